"""The one access decision, as a table: every action × every role × representative policies.

Pure function, no database. Each row gives the outcome for the roles in the order
anonymous, user, operator, admin, node: ``ok`` (allowed), or the refusal's status —
404 (the collection or account does not exist for you), 401 (sign in), 403 (not allowed).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from eonode.accounts.model import CollectionPolicy, DataAccess, Principal, Role, User, UserStatus, Visibility
from eonode.accounts.permissions import Action, decide

ROLES = (Role.ANONYMOUS, Role.USER, Role.OPERATOR, Role.ADMIN, Role.NODE)
C = "gf6-wfv"
OTHER = 999  # an account that is nobody in the table


def policy(visibility: str, data_access: str, *roles: Role) -> CollectionPolicy:
    return CollectionPolicy(C, Visibility(visibility), DataAccess(data_access), frozenset(roles))


NO_GRANTS: frozenset[tuple[str, str]] = frozenset()
GRANTED = frozenset({(C, "approval"), (C, "purchase")})
ELSEWHERE = frozenset({("gf1-pms", "approval"), ("gf1-pms", "purchase")})

# (action, policy, grants, owner: "own" | "other" | None, expected for anonymous user operator admin node)
TABLE: list[tuple[Action, CollectionPolicy | None, frozenset[tuple[str, str]], str | None, str]] = [
    # metadata visibility
    (Action.SEE, policy("public", "none"), NO_GRANTS, None, "ok ok ok ok ok"),
    (Action.SEE, policy("registered", "open"), NO_GRANTS, None, "404 ok ok ok ok"),
    (Action.SEE, policy("role", "open", Role.NODE), NO_GRANTS, None, "404 404 ok ok ok"),
    (Action.SEE, policy("role", "open", Role.USER), NO_GRANTS, None, "404 ok ok ok 404"),
    (Action.SEE, policy("role", "open", Role.NODE), GRANTED, None, "404 404 ok ok ok"),
    # data access on a public collection
    (Action.DOWNLOAD, policy("public", "open"), NO_GRANTS, None, "ok ok ok ok ok"),
    (Action.DOWNLOAD, policy("public", "registered"), NO_GRANTS, None, "401 ok ok ok ok"),
    (Action.DOWNLOAD, policy("public", "approval"), NO_GRANTS, None, "401 403 ok ok 403"),
    (Action.DOWNLOAD, policy("public", "approval"), GRANTED, None, "401 ok ok ok ok"),
    (Action.DOWNLOAD, policy("public", "approval"), ELSEWHERE, None, "401 403 ok ok 403"),
    (Action.DOWNLOAD, policy("public", "approval"), frozenset({(C, "purchase")}), None, "401 403 ok ok 403"),
    (Action.DOWNLOAD, policy("public", "purchase"), NO_GRANTS, None, "401 403 ok ok 403"),
    (Action.DOWNLOAD, policy("public", "purchase"), GRANTED, None, "401 ok ok ok ok"),
    (Action.DOWNLOAD, policy("public", "purchase"), frozenset({(C, "approval")}), None, "401 403 ok ok 403"),
    (Action.DOWNLOAD, policy("public", "none"), NO_GRANTS, None, "403 403 ok ok 403"),
    (Action.DOWNLOAD, policy("public", "none"), GRANTED, None, "403 403 ok ok 403"),
    # data access on collections some cannot see: invisible first (404), whatever the data access
    (Action.DOWNLOAD, policy("registered", "open"), NO_GRANTS, None, "404 ok ok ok ok"),
    (Action.DOWNLOAD, policy("registered", "registered"), NO_GRANTS, None, "404 ok ok ok ok"),
    (Action.DOWNLOAD, policy("registered", "approval"), NO_GRANTS, None, "404 403 ok ok 403"),
    (Action.DOWNLOAD, policy("registered", "approval"), GRANTED, None, "404 ok ok ok ok"),
    (Action.DOWNLOAD, policy("registered", "none"), NO_GRANTS, None, "404 403 ok ok 403"),
    (Action.DOWNLOAD, policy("role", "open", Role.NODE), NO_GRANTS, None, "404 404 ok ok ok"),
    (Action.DOWNLOAD, policy("role", "registered", Role.NODE), NO_GRANTS, None, "404 404 ok ok ok"),
    (Action.DOWNLOAD, policy("role", "purchase", Role.NODE), GRANTED, None, "404 404 ok ok ok"),
    (Action.DOWNLOAD, policy("role", "purchase", Role.NODE), NO_GRANTS, None, "404 404 ok ok 403"),
    # the catalogue and the administration
    (Action.WRITE_CATALOG, None, NO_GRANTS, None, "401 403 ok ok 403"),
    (Action.LIST_USERS, None, NO_GRANTS, None, "401 403 ok ok 403"),
    (Action.READ_AUDIT, None, NO_GRANTS, None, "401 403 ok ok 403"),
    (Action.ADMINISTER_USERS, None, NO_GRANTS, None, "401 403 403 ok 403"),
    (Action.SET_POLICY, None, NO_GRANTS, None, "401 403 403 ok 403"),
    # accounts: one's own, and somebody else's (which a non-staff caller must not learn exists)
    (Action.VIEW_ACCOUNT, None, NO_GRANTS, "own", "401 ok ok ok ok"),
    (Action.VIEW_ACCOUNT, None, NO_GRANTS, "other", "401 404 ok ok 404"),
    (Action.MANAGE_ACCOUNT, None, NO_GRANTS, "own", "401 ok ok ok ok"),
    (Action.MANAGE_ACCOUNT, None, NO_GRANTS, "other", "401 404 404 404 404"),
    (Action.CHANGE_PASSWORD, None, NO_GRANTS, "own", "401 ok ok ok ok"),
    (Action.CHANGE_PASSWORD, None, NO_GRANTS, "other", "401 403 403 403 403"),
]


def account(role: Role, *, must_change: bool = False) -> User:
    n = ROLES.index(role)
    when = datetime(2030, 1, 1, tzinfo=UTC)
    return User(
        id=n,
        username=f"{role.value}1",
        email=f"{role.value}1@example.org",
        role=role,
        status=UserStatus.ACTIVE,
        full_name="",
        organisation="",
        country="",
        created=when,
        verified_at=when,
        last_login=None,
        must_change_password=must_change,
    )


def principal(role: Role, via: str = "session", *, must_change: bool = False) -> Principal:
    if role is Role.ANONYMOUS:
        return Principal(role, "192.0.2.1")
    return Principal(role, "192.0.2.1", account(role, must_change=must_change), via)  # type: ignore[arg-type]


def owner_id(who: Principal, owner: str | None) -> int | None:
    if owner == "own":
        return who.user_id
    return OTHER if owner == "other" else None


def cases() -> list[object]:
    out = []
    for n, (action, pol, grants, owner, expected) in enumerate(TABLE):
        for role, want in zip(ROLES, expected.split(), strict=True):
            name = f"{n:02d}-{action.value}-{pol.visibility.value + '/' + pol.data_access.value if pol else owner}"
            out.append(pytest.param(action, pol, grants, owner, role, want, id=f"{name}-{len(grants)}g-{role.value}"))
    return out


@pytest.mark.parametrize(("action", "pol", "grants", "owner", "role", "want"), cases())
def test_decide(
    action: Action,
    pol: CollectionPolicy | None,
    grants: frozenset[tuple[str, str]],
    owner: str | None,
    role: Role,
    want: str,
) -> None:
    who = principal(role)
    decision = decide(who, action, policy=pol, grants=grants, owner=owner_id(who, owner))
    if want == "ok":
        assert (decision.allowed, decision.status, bool(decision)) == (True, 200, True), decision
    else:
        assert (decision.allowed, decision.status, bool(decision)) == (False, int(want), False), decision
        assert decision.reason  # every refusal says why
        if decision.status == 404 and pol is not None:
            assert C in decision.reason


def test_the_table_covers_every_action_and_role() -> None:
    assert {row[0] for row in TABLE} == set(Action)
    assert set(ROLES) == set(Role)
    for visibility in Visibility:
        assert any(row[1] and row[1].visibility is visibility for row in TABLE if row[0] is Action.SEE)
    for data_access in DataAccess:
        assert any(row[1] and row[1].data_access is data_access for row in TABLE if row[0] is Action.DOWNLOAD)


@pytest.mark.parametrize("via", ["link", "token", "anonymous"])
def test_only_a_signed_in_owner_changes_a_password(via: str) -> None:
    for role in (Role.USER, Role.ADMIN):
        who = principal(role, via)
        refused = decide(who, Action.CHANGE_PASSWORD, owner=who.user_id)
        assert (refused.allowed, refused.status) == (False, 403)
    by_key = principal(Role.USER, "key")
    assert decide(by_key, Action.CHANGE_PASSWORD, owner=by_key.user_id)


def test_the_admin_token_is_not_an_account() -> None:
    token = Principal(Role.ADMIN, "127.0.0.1", None, "token")
    assert decide(token, Action.ADMINISTER_USERS) and decide(token, Action.SET_POLICY)
    assert decide(token, Action.VIEW_ACCOUNT, owner=OTHER)
    assert decide(token, Action.MANAGE_ACCOUNT, owner=OTHER).status == 404
    assert decide(token, Action.CHANGE_PASSWORD, owner=None).status == 403


@pytest.mark.parametrize("role", [Role.USER, Role.OPERATOR, Role.ADMIN, Role.NODE])
def test_a_one_time_password_allows_only_changing_it(role: Role) -> None:
    who = principal(role, must_change=True)
    for action, pol, grants, owner, _ in TABLE:
        decision = decide(who, action, policy=pol, grants=grants, owner=owner_id(who, owner))
        allowed = owner == "own" and action in (Action.CHANGE_PASSWORD, Action.VIEW_ACCOUNT)
        assert decision.allowed is allowed, (action, pol, owner)
        if not allowed:
            assert decision.status == 403 and "one-time password" in decision.reason
