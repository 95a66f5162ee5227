"""Login, lockout and throttling, sessions, and API keys (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from eonode.accounts import tokens
from eonode.accounts.model import Role, UserStatus
from eonode.db.account_tables import api_keys
from eonode.errors import (
    AccountInactive,
    InvalidCredentials,
    InvalidParameter,
    LoginThrottled,
    NotFound,
    Unauthorized,
)

from .conftest import ACCOUNT_TABLES, PASSWORD, Env, assert_wait

IP = "198.51.100.7"


# -- login and sessions --------------------------------------------------------------------------------
def test_login_creates_a_session_the_node_recognises(env: Env) -> None:
    user = env.add("ada")
    login = env.users.login("ADA", PASSWORD, ip=IP, user_agent="pytest")
    assert login.user.id == user.id and login.user.last_login == env.clock.now
    assert login.expires == env.clock.now + timedelta(days=14)
    principal = env.users.session_principal(login.session_token, "203.0.113.5")
    assert principal is not None
    assert (principal.role, principal.via, principal.user_id, principal.client_ip) == (
        Role.USER,
        "session",
        user.id,
        "203.0.113.5",
    )
    assert env.users.session_principal(login.session_token + "x", IP) is None
    assert env.users.session_principal(tokens.new_session_token(), IP) is None

    [entry] = env.store.list_audit(event="login.success")
    assert (entry.actor, entry.subject, entry.ip, entry.at) == ("ada", "ada", IP, env.clock.now)

    env.clock.advance(days=14, seconds=-1)
    assert env.users.session_principal(login.session_token, IP) is not None
    env.clock.advance(seconds=1)
    assert env.users.session_principal(login.session_token, IP) is None  # expired


def test_logout_ends_only_that_session(env: Env) -> None:
    env.add("ada")
    one = env.users.login("ada", PASSWORD).session_token
    two = env.users.login("ada", PASSWORD).session_token
    assert one != two
    env.users.logout(one, ip=IP)
    assert env.users.session_principal(one, IP) is None
    assert env.users.session_principal(two, IP) is not None
    assert env.events("logout") == ["logout"]
    env.users.logout(one)  # again: nothing happens, nothing is audited
    assert env.events("logout") == ["logout"]


def test_wrong_password_or_unknown_account_is_refused_alike(env: Env) -> None:
    env.add("ada")
    with pytest.raises(InvalidCredentials) as wrong:
        env.users.login("ada", "not the password", ip=IP)
    with pytest.raises(InvalidCredentials) as unknown:
        env.users.login("nobody", PASSWORD, ip=IP)
    assert str(wrong.value) == str(unknown.value)
    failures = {e.actor: e for e in env.store.list_audit(event="login.failure")}
    assert failures["ada"].detail == {"reason": "wrong password", "failures": 1, "locked": False}
    assert failures["nobody"].detail == {"reason": "unknown account"}
    assert failures["ada"].ip == IP


def test_failed_logins_lock_the_account_with_a_doubling_wait(make_env) -> None:
    env = make_env(login_failures=3, login_lock_seconds=60)
    env.add("ada")
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            env.users.login("ada", "guess", ip=IP)
    with pytest.raises(LoginThrottled) as locked:  # even the right password waits
        env.users.login("ada", PASSWORD, ip=IP)
    assert_wait(locked.value, 60)
    assert locked.value.reset == (env.clock.now + timedelta(seconds=60)).isoformat()
    assert "locked after 3 failed logins" in str(locked.value)
    assert env.events("login.locked") == ["login.locked"]
    assert env.store.list_audit(event="login.failure", limit=1)[0].detail["locked"] is True

    env.clock.advance(seconds=59)
    with pytest.raises(LoginThrottled) as locked:
        env.users.login("ada", PASSWORD, ip=IP)
    assert_wait(locked.value, 1)
    env.clock.advance(seconds=1)  # the lock is over; one more failure locks twice as long
    with pytest.raises(InvalidCredentials):
        env.users.login("ada", "guess", ip=IP)
    with pytest.raises(LoginThrottled) as locked:
        env.users.login("ada", PASSWORD, ip=IP)
    assert_wait(locked.value, 120)

    env.clock.advance(seconds=120)
    assert env.users.login("ada", PASSWORD, ip=IP).user.username == "ada"
    with pytest.raises(InvalidCredentials):  # a success starts the count again
        env.users.login("ada", "guess", ip=IP)
    env.users.login("ada", PASSWORD, ip=IP)


def test_the_lock_never_exceeds_an_hour(make_env) -> None:
    env = make_env(login_failures=1, login_lock_seconds=2000)
    env.add("ada")
    with pytest.raises(InvalidCredentials):
        env.users.login("ada", "guess")
    env.clock.advance(seconds=2000)
    with pytest.raises(InvalidCredentials):  # 4000 s would be due: capped at 3600
        env.users.login("ada", "guess")
    with pytest.raises(LoginThrottled) as locked:
        env.users.login("ada", PASSWORD)
    assert_wait(locked.value, 3600)


def test_many_failures_from_one_address_throttle_it(env: Env) -> None:
    env.add("ada")
    for n in range(30):
        with pytest.raises(InvalidCredentials):
            env.users.login(f"ghost{n}", PASSWORD, ip=IP)
    with pytest.raises(LoginThrottled) as throttled:
        env.users.login("ada", PASSWORD, ip=IP)
    assert_wait(throttled.value, 595)  # the 10-minute window started 5 s before the clock
    assert env.events("login.throttled") == ["login.throttled"]
    assert env.users.login("ada", PASSWORD, ip="198.51.100.8").user.username == "ada"  # other addresses pass
    env.clock.advance(seconds=594)
    with pytest.raises(LoginThrottled):
        env.users.login("ada", PASSWORD, ip=IP)
    env.clock.advance(seconds=1)
    assert env.users.login("ada", PASSWORD, ip=IP).user.username == "ada"


def test_a_disabled_account_cannot_log_in(env: Env) -> None:
    user = env.add("ada")
    session = env.users.login("ada", PASSWORD).session_token
    env.users.set_status(user.id, UserStatus.DISABLED, actor="root")
    assert env.users.session_principal(session, IP) is None
    with pytest.raises(AccountInactive, match="disabled"):
        env.users.login("ada", PASSWORD, ip=IP)
    assert env.events("login.disabled") == ["login.disabled"]
    with pytest.raises(InvalidCredentials):  # the password is still checked first
        env.users.login("ada", "guess")
    env.users.set_status(user.id, UserStatus.ACTIVE, actor="root")
    env.users.login("ada", PASSWORD)


# -- API keys -----------------------------------------------------------------------------------------
def test_an_api_key_is_shown_once_and_stored_hashed(env: Env) -> None:
    user = env.add("ada")
    key, secret = env.users.create_key(user, "  laptop  ", ip=IP)
    assert secret.startswith("eon_") and len(secret) >= 40
    assert key.name == "laptop" and key.prefix == secret[:10] and key.revoked_at is None
    assert secret not in repr(key) and secret not in str(key.public())

    [listed] = env.users.store.list_keys(user.id)
    assert listed.public() == {
        "id": key.id,
        "name": "laptop",
        "prefix": secret[:10],
        "created": env.clock.now.isoformat(),
        "last_used": None,
        "revoked": False,
    }
    principal = env.users.key_principal(f" {secret}\n", IP)
    assert (principal.via, principal.key_id, principal.user_id, principal.role) == ("key", key.id, user.id, Role.USER)
    assert env.users.store.list_keys(user.id)[0].last_used == env.clock.now
    assert {"key.create", "key.use"} <= set(env.events("key.*"))

    with env.store.read() as conn:
        stored = [
            dict(row._mapping)
            for table in ACCOUNT_TABLES
            if table.name != "rate_counters"  # in a file of its own on SQLite; holds no secrets
            for row in conn.execute(select(table))
        ]
        key_hash = conn.execute(select(api_keys.c.key_hash)).scalar_one()
    assert key_hash == tokens.sha256_hex(secret)
    assert not [row for row in stored if secret in repr(row) or secret[10:] in repr(row)]


def test_a_revoked_or_unknown_key_is_refused(env: Env) -> None:
    user = env.add("ada")
    key, secret = env.users.create_key(user, "ci")
    revoked = env.users.revoke_key(user, key.id, ip=IP)
    assert revoked.revoked_at == env.clock.now
    env.clock.advance(minutes=1)
    assert env.users.revoke_key(user, key.id).revoked_at == revoked.revoked_at  # again: unchanged
    with pytest.raises(Unauthorized, match="revoked"):
        env.users.key_principal(secret, IP)
    with pytest.raises(Unauthorized, match="not valid"):
        env.users.key_principal(tokens.new_api_key().secret, IP)
    assert env.store.list_keys(user.id)[0].public()["revoked"] is True
    assert {"key.revoke", "key.refused"} <= set(env.events("key.*"))


def test_a_user_cannot_revoke_another_users_key(env: Env) -> None:
    ada, bob = env.add("ada"), env.add("bob")
    key, secret = env.users.create_key(ada, "mine")
    with pytest.raises(NotFound):
        env.users.revoke_key(bob, key.id)
    with pytest.raises(NotFound):
        env.users.revoke_key(ada, key.id + 1000)
    assert env.users.key_principal(secret, IP).user_id == ada.id
    assert env.store.list_keys(bob.id) == []


def test_the_key_of_a_disabled_account_is_refused(env: Env) -> None:
    user = env.add("ada")
    _, secret = env.users.create_key(user, "ci")
    env.users.set_status(user.id, UserStatus.DISABLED, actor="root")
    with pytest.raises(AccountInactive):
        env.users.key_principal(secret, IP)
    env.users.set_status(user.id, UserStatus.ACTIVE, actor="root")
    assert env.users.key_principal(secret, IP).user_id == user.id


def test_key_names_and_the_number_of_keys_are_limited(env: Env) -> None:
    user = env.add("ada")
    for name in ("", "   ", "k" * 101):
        with pytest.raises(InvalidParameter, match="name"):
            env.users.create_key(user, name)
    made = [env.users.create_key(user, f"key {n}")[0] for n in range(50)]
    with pytest.raises(InvalidParameter, match="at most 50"):
        env.users.create_key(user, "one too many")
    env.users.revoke_key(user, made[0].id)
    env.users.create_key(user, "fits again")
    assert len({k.prefix for k in env.store.list_keys(user.id)}) == 51
