"""Roles, enabling and disabling accounts, the last administrator and the first one (both backends)."""

from __future__ import annotations

import pytest

from eonode.accounts.model import CollectionPolicy, DataAccess, Role, UserStatus, Visibility
from eonode.accounts.permissions import Action, decide
from eonode.errors import InvalidCredentials, InvalidParameter, LoginThrottled, NotFound

from .conftest import PASSWORD, Env

PUBLIC = CollectionPolicy("gf1-wfv", Visibility.PUBLIC, DataAccess.OPEN)


def test_set_role_is_audited(env: Env) -> None:
    root, ada = env.add("root", Role.ADMIN), env.add("ada")
    changed = env.users.set_role(ada.id, Role.OPERATOR, actor=root.username, ip="192.0.2.9")
    assert changed.role is Role.OPERATOR and env.store.get_user(ada.id).role is Role.OPERATOR
    [entry] = env.store.list_audit(event="role.change")
    assert (entry.actor, entry.subject, entry.ip, entry.at) == ("root", "ada", "192.0.2.9", env.clock.now)
    assert entry.detail == {"before": "user", "after": "operator"}
    env.users.set_role(ada.id, Role.NODE, actor="root")
    assert env.users.login("ada", PASSWORD).user.role is Role.NODE
    with pytest.raises(InvalidParameter, match="anonymous"):
        env.users.set_role(ada.id, Role.ANONYMOUS, actor="root")
    with pytest.raises(NotFound):
        env.users.set_role(ada.id + 1000, Role.USER, actor="root")
    assert len(env.store.list_audit(event="role.change")) == 2


def test_set_status_is_audited_and_clears_a_lock(make_env) -> None:
    env = make_env(login_failures=1)
    ada = env.add("ada")
    with pytest.raises(InvalidCredentials):
        env.users.login("ada", "guess")
    with pytest.raises(LoginThrottled):
        env.users.login("ada", PASSWORD)
    disabled = env.users.set_status(ada.id, UserStatus.DISABLED, actor="root", ip="192.0.2.9")
    assert disabled.status is UserStatus.DISABLED
    env.users.set_status(ada.id, UserStatus.ACTIVE, actor="root")
    assert env.users.login("ada", PASSWORD).user.status is UserStatus.ACTIVE  # the lock went with it
    events = [(e.event, e.actor, e.subject) for e in env.store.list_audit(event="account.*")]
    assert ("account.disable", "root", "ada") in events and ("account.enable", "root", "ada") in events


def test_the_last_active_admin_cannot_be_demoted_or_disabled(env: Env) -> None:
    root = env.add("root", Role.ADMIN)
    with pytest.raises(InvalidParameter, match="last active administrator"):
        env.users.set_role(root.id, Role.OPERATOR, actor="root")
    with pytest.raises(InvalidParameter, match="last active administrator"):
        env.users.set_status(root.id, UserStatus.DISABLED, actor="root")
    assert env.store.get_user(root.id).role is Role.ADMIN and env.events("role.change") == []
    env.users.set_role(root.id, Role.ADMIN, actor="root")  # staying admin is fine

    second = env.add("second", Role.ADMIN)
    env.users.set_status(second.id, UserStatus.DISABLED, actor="root")  # two were active: allowed
    with pytest.raises(InvalidParameter):  # a disabled admin does not count
        env.users.set_role(root.id, Role.USER, actor="root")
    env.users.set_status(second.id, UserStatus.ACTIVE, actor="root")
    assert env.users.set_role(root.id, Role.USER, actor="second").role is Role.USER
    with pytest.raises(InvalidParameter):
        env.users.set_status(second.id, UserStatus.DISABLED, actor="second")


def test_ensure_first_admin_creates_admin_once(env: Env) -> None:
    password = env.users.ensure_first_admin()
    assert password and len(password) >= 12
    admin = env.store.find_user("admin")
    assert admin is not None
    assert (admin.role, admin.status, admin.must_change_password) == (Role.ADMIN, UserStatus.ACTIVE, True)
    assert env.users.ensure_first_admin() is None
    assert env.store.count_users() == 1
    [entry] = env.store.list_audit(event="account.add")
    assert (entry.actor, entry.subject, entry.detail) == ("first-start", "admin", {"role": "admin"})

    login = env.users.login("admin", password)
    assert login.user.must_change_password
    me = env.users.session_principal(login.session_token, "127.0.0.1")
    assert me is not None
    allowed = {
        action
        for action in Action
        for owner in (admin.id, admin.id + 1)
        if decide(me, action, policy=PUBLIC, owner=owner).allowed
    }
    assert allowed == {Action.CHANGE_PASSWORD, Action.VIEW_ACCOUNT}
    assert not decide(me, Action.VIEW_ACCOUNT, owner=admin.id + 1)  # only its own account
    refused = decide(me, Action.SEE, policy=PUBLIC)
    assert refused.status == 403 and "one-time password" in refused.reason

    env.users.change_password(login.user, password, "a new admin pw", "a new admin pw")
    again = env.users.login("admin", "a new admin pw")
    assert not again.user.must_change_password
    me = env.users.session_principal(again.session_token, "127.0.0.1")
    assert decide(me, Action.ADMINISTER_USERS) and decide(me, Action.SEE, policy=PUBLIC)


def test_no_first_admin_when_one_exists_or_it_is_switched_off(make_env) -> None:
    env = make_env(first_admin=False)
    assert env.users.ensure_first_admin() is None and env.store.count_users() == 0
    env = make_env()
    env.add("chief", Role.ADMIN)
    assert env.users.ensure_first_admin() is None
    assert env.store.find_user("admin") is None


def test_no_first_admin_when_an_account_is_named_admin(env: Env) -> None:
    plain = env.users.add_user("admin", "someone@example.org", PASSWORD)  # a user, not an administrator
    assert env.users.ensure_first_admin() is None
    assert env.store.get_user(plain.id).role is Role.USER and env.store.count_users() == 1
