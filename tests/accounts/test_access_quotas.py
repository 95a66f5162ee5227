"""Access policies with stored facts (scope, policies, grants) and quotas (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eonode.accounts.access import Scope
from eonode.accounts.model import DataAccess, Principal, QuotaLimits, QuotaOverride, Role, Visibility
from eonode.accounts.permissions import Action
from eonode.accounts.quotas import DEFAULT_ROLE_QUOTAS, GIB
from eonode.db.account_tables import rate_counters
from eonode.errors import (
    AccessDenied,
    CollectionNotFound,
    InvalidParameter,
    NotFound,
    QuotaExceeded,
    Unauthorized,
)

from .conftest import PASSWORD, Env, assert_wait

ANON = Principal(Role.ANONYMOUS, "192.0.2.1")
MIDNIGHT = "2030-01-16T00:00:00+00:00"  # the next UTC midnight after the clock's start
NEXT_MINUTE = "2030-01-15T10:01:00+00:00"


def by_role(env: Env) -> dict[Role, Principal]:
    out = {Role.ANONYMOUS: ANON}
    for role in (Role.USER, Role.OPERATOR, Role.ADMIN, Role.NODE):
        out[role] = env.principal(env.add(f"{role.value}1", role))
    return out


# -- scope: which collections a principal sees --------------------------------------------------------
def test_scope_hides_collections_when_the_default_is_public(env: Env) -> None:
    env.access.set_policy("members", visibility="registered", actor="root")
    env.access.set_policy("partners", visibility="role", roles=["node"], actor="root")
    env.access.set_policy("showcase", visibility="public", data_access="open", actor="root")
    scopes = {role: env.access.scope(p) for role, p in by_role(env).items()}
    assert scopes[Role.ANONYMOUS] == Scope(hidden=frozenset({"members", "partners"}))
    assert scopes[Role.USER] == Scope(hidden=frozenset({"partners"}))
    for role in (Role.OPERATOR, Role.ADMIN, Role.NODE):
        assert scopes[role].everything, role
    anon = scopes[Role.ANONYMOUS]
    assert anon.sees("unlisted") and anon.sees("showcase") and not anon.sees("members")
    assert anon.within(["members", "gf1", "partners", "showcase"]) == ["gf1", "showcase"]


def test_scope_lists_what_may_be_seen_when_the_default_is_registered(make_env) -> None:
    env = make_env(default_visibility="registered")
    env.access.set_policy("showcase", visibility="public", actor="root")
    env.access.set_policy("partners", visibility="role", roles=["node"], actor="root")
    scopes = {role: env.access.scope(p) for role, p in by_role(env).items()}
    anon = scopes[Role.ANONYMOUS]
    assert anon == Scope(only=frozenset({"showcase"}))
    assert not anon.everything and not anon.sees("unlisted") and anon.within(["unlisted", "showcase"]) == ["showcase"]
    assert scopes[Role.USER] == Scope(hidden=frozenset({"partners"}))
    assert scopes[Role.NODE].everything and scopes[Role.ADMIN].everything
    with pytest.raises(CollectionNotFound):
        env.access.require(ANON, Action.SEE, "unlisted")


def test_require_raises_the_error_a_refusal_stands_for(env: Env) -> None:
    env.access.set_policy("members", visibility="registered", data_access="open", actor="root")
    env.access.set_policy("approved", data_access="approval", actor="root")
    user = by_role(env)[Role.USER]
    with pytest.raises(CollectionNotFound):
        env.access.require(ANON, Action.DOWNLOAD, "members")
    with pytest.raises(Unauthorized):  # default data access: registered
        env.access.require(ANON, Action.DOWNLOAD, "unlisted")
    with pytest.raises(AccessDenied):
        env.access.require(user, Action.DOWNLOAD, "approved")
    with pytest.raises(AccessDenied):
        env.access.require(user, Action.SET_POLICY)
    env.access.require(user, Action.DOWNLOAD, "members")
    env.access.require(user, Action.VIEW_ACCOUNT, owner=user.user_id)


# -- policies -----------------------------------------------------------------------------------------
def test_set_policy_and_reset_policy_are_audited(env: Env) -> None:
    default = env.access.policy("gf1")
    assert not default.explicit and (default.visibility, default.data_access) == (
        Visibility.PUBLIC,
        DataAccess.REGISTERED,
    )
    changed = env.access.set_policy("gf1", data_access="approval", actor="root", ip="192.0.2.9")
    assert (changed.visibility, changed.data_access) == (Visibility.PUBLIC, DataAccess.APPROVAL)  # the rest kept
    assert env.access.policy("gf1").explicit
    [entry] = env.store.list_audit(event="policy.change")
    assert (entry.actor, entry.subject, entry.ip) == ("root", "gf1", "192.0.2.9")
    assert entry.detail == {"before": default.public(), "after": changed.public()}
    assert entry.detail["before"]["default"] is True

    partners = env.access.set_policy("gf1", visibility="role", roles=["node", "operator"], actor="root")
    assert partners.roles == {Role.NODE, Role.OPERATOR} and env.access.policy("gf1").roles == partners.roles
    assert env.access.set_policy("gf1", visibility="public", actor="root").roles == frozenset()

    for bad in ({"visibility": "secret"}, {"data_access": "free"}, {"visibility": "role", "roles": ["king"]}):
        with pytest.raises(InvalidParameter):
            env.access.set_policy("gf1", actor="root", **bad)
    with pytest.raises(InvalidParameter, match="needs the roles"):
        env.access.set_policy("gf1", visibility="role", actor="root")
    assert len(env.store.list_audit(event="policy.change")) == 3  # refusals change nothing

    back = env.access.reset_policy("gf1", actor="root")
    assert back == default and not env.access.policy("gf1").explicit
    [reset] = env.store.list_audit(event="policy.reset")
    assert reset.detail["before"]["data_access"] == "approval" and reset.detail["before"]["default"] is False


def test_a_grant_with_days_expires_with_the_clock(env: Env) -> None:
    env.access.set_policy("gf7", data_access="approval", actor="root")
    env.access.set_policy("sold", data_access="purchase", actor="root")
    ada = env.add("ada")
    me = env.principal(ada)
    assert env.access.decide(me, Action.DOWNLOAD, "gf7").status == 403
    env.access.grant(ada.id, "gf7", "approval", actor="root", days=2, note="project X")
    env.access.grant(ada.id, "sold", "purchase", actor="root")  # no days: it lasts
    assert env.access.decide(me, Action.DOWNLOAD, "gf7") and env.access.decide(me, Action.DOWNLOAD, "sold")
    [grant, _] = env.store.list_grants(ada.id)
    assert grant["note"] == "project X" and grant["granted_by"] == "root"
    assert {e.detail["kind"] for e in env.store.list_audit(event="grant.add")} == {"approval", "purchase"}

    env.clock.advance(days=2, seconds=-1)
    assert env.access.decide(me, Action.DOWNLOAD, "gf7")
    env.clock.advance(seconds=1)
    assert env.access.decide(me, Action.DOWNLOAD, "gf7").status == 403
    env.clock.advance(days=365)
    assert env.access.decide(me, Action.DOWNLOAD, "sold")

    assert env.access.revoke_grant(ada.id, "sold", "purchase", actor="root") is True
    assert env.access.revoke_grant(ada.id, "sold", "purchase", actor="root") is False
    assert env.access.decide(me, Action.DOWNLOAD, "sold").status == 403
    assert env.events("grant.revoke") == ["grant.revoke"]
    with pytest.raises(InvalidParameter):
        env.access.grant(ada.id, "gf7", "gift", actor="root")
    with pytest.raises(NotFound):
        env.access.grant(ada.id + 1000, "gf7", "approval", actor="root")


def test_a_freed_registration_leaves_nothing_to_its_successor(env: Env) -> None:
    """A pending account freed after a day must not hand its grants or quota to the next account."""
    env.access.set_policy("gf7", data_access="approval", actor="root")
    first = env.users.register(username="eve", email="eve@example.org", password=PASSWORD, password2=PASSWORD)
    env.access.grant(first.id, "gf7", "approval", actor="root")
    env.store.put_user_quota(first.id, QuotaOverride(bytes_per_day=None, given=frozenset({"bytes_per_day"})))
    env.clock.advance(days=1, seconds=1)
    env.users.send_code("other@example.org", "register")
    newcomer = env.users.register(
        username="eve", email="other@example.org", password=PASSWORD, code=env.mailer.code_for("other@example.org")
    )
    me = env.principal(newcomer)
    assert env.access.decide(me, Action.DOWNLOAD, "gf7").status == 403
    assert env.quotas.limits(me).bytes_per_day == DEFAULT_ROLE_QUOTAS[Role.USER].bytes_per_day


# -- quotas -------------------------------------------------------------------------------------------
def test_requests_per_minute_limit_and_reset(env: Env) -> None:
    env.quotas.set_role_limits(Role.USER, QuotaLimits(None, None, 3))
    ada, bob = env.principal(env.add("ada")), env.principal(env.add("bob"))
    for _ in range(3):
        env.quotas.count_request(ada)
    with pytest.raises(QuotaExceeded) as over:
        env.quotas.count_request(ada)
    assert_wait(over.value, 55)
    assert over.value.headers() == {
        "Retry-After": str(over.value.retry_after),
        "X-Quota-Limit": "requests-per-minute=3",
        "X-Quota-Reset": NEXT_MINUTE,
    }
    assert "3 requests per minute for user accounts" in str(over.value) and NEXT_MINUTE in str(over.value)
    env.quotas.count_request(bob)  # each account has its own count
    env.clock.advance(seconds=54)
    with pytest.raises(QuotaExceeded) as over:
        env.quotas.count_request(ada)
    assert_wait(over.value, 1)
    env.clock.advance(seconds=1)  # a new minute
    for _ in range(3):
        env.quotas.count_request(ada)
    with pytest.raises(QuotaExceeded):
        env.quotas.count_request(ada)


def test_anonymous_requests_count_per_address(env: Env) -> None:
    env.quotas.set_role_limits(Role.ANONYMOUS, QuotaLimits(None, None, 2))
    one, two = ANON, Principal(Role.ANONYMOUS, "192.0.2.2")
    env.quotas.count_request(one)
    env.quotas.count_request(one)
    with pytest.raises(QuotaExceeded, match="anonymous"):
        env.quotas.count_request(one)
    env.quotas.count_request(two)
    assert env.quotas.usage(two)["requests_per_minute"]["used"] == 1


def test_unlimited_roles_store_no_counters(env: Env) -> None:
    roles = by_role(env)
    token = Principal(Role.ADMIN, "127.0.0.1", None, "token")
    for who in (roles[Role.ADMIN], roles[Role.OPERATOR], roles[Role.NODE], token):
        assert env.quotas.limits(who).requests_per_minute is None
        for _ in range(20):
            env.quotas.count_request(who)
    with env.store.counting() as conn:
        assert conn.execute(select(func.count()).select_from(rate_counters)).scalar_one() == 0
    env.quotas.count_request(roles[Role.USER])  # a limited role does count
    with env.store.counting() as conn:
        assert conn.execute(select(func.count()).select_from(rate_counters)).scalar_one() == 1


def begin(env: Env, who: Principal, start: int = 0, end: int = 99, item: str = "item-1") -> int:
    return env.quotas.begin_download(who, collection="gf1", item=item, asset="data", start=start, end=end)


def test_concurrent_downloads_are_limited(env: Env) -> None:
    env.quotas.set_role_limits(Role.USER, QuotaLimits(None, 2, None))
    ada, bob = env.add("ada"), env.add("bob")
    me = env.principal(ada)
    first, _second = begin(env, me), begin(env, me, item="item-2")
    with pytest.raises(QuotaExceeded) as over:
        begin(env, me, item="item-3")
    assert (over.value.limit, over.value.retry_after) == ("concurrent-downloads=2", 30)
    assert "2 at a time" in str(over.value)
    begin(env, env.principal(bob))  # others have their own slots
    env.quotas.finish(first, 100, complete=True)
    third = begin(env, me, item="item-3")
    downloads = {d.id: d for d in env.store.list_downloads(user_id=ada.id)}
    assert set(downloads) == {first, _second, third}
    assert (downloads[first].status, downloads[first].bytes_sent, downloads[first].finished) == (
        "done",
        100,
        env.clock.now,
    )
    assert downloads[third].status == "active" and downloads[third].via == "session"


def test_a_download_without_heartbeat_stops_counting(env: Env) -> None:
    env.quotas.set_role_limits(Role.USER, QuotaLimits(None, 2, None))
    ada = env.add("ada")
    me = env.principal(ada)
    alive, dead = begin(env, me), begin(env, me, item="item-2")
    env.clock.advance(seconds=60)
    env.quotas.progress(alive, 50)
    env.clock.advance(seconds=60)  # the dead one's heartbeat is exactly 2 minutes old: still counts
    with pytest.raises(QuotaExceeded):
        begin(env, me, item="item-3")
    assert env.quotas.usage(me)["concurrent_downloads"]["used"] == 2
    env.clock.advance(seconds=1)
    assert env.quotas.usage(me)["concurrent_downloads"]["used"] == 1
    begin(env, me, item="item-3")
    with pytest.raises(QuotaExceeded):
        begin(env, me, item="item-4")
    downloads = {d.id: d for d in env.store.list_downloads(user_id=ada.id)}
    assert downloads[dead].status == "aborted" and downloads[dead].finished == downloads[dead].started
    assert downloads[alive].status == "active" and downloads[alive].bytes_sent == 50


def test_bytes_per_day_limit_and_reset_at_midnight(env: Env) -> None:
    env.quotas.set_role_limits(Role.USER, QuotaLimits(1000, None, None))
    me = env.principal(env.add("ada"))
    running = begin(env, me, 0, 599)
    with pytest.raises(QuotaExceeded, match="needs 401 B"):  # a running download holds its whole range
        begin(env, me, 0, 400)
    env.quotas.finish(running, 600, complete=True)
    env.quotas.finish(begin(env, me, 600, 999), 400, complete=True)  # exactly the limit
    with pytest.raises(QuotaExceeded) as over:
        begin(env, me, 0, 0)
    assert_wait(over.value, 14 * 3600 - 5)
    assert over.value.headers() == {
        "Retry-After": str(over.value.retry_after),
        "X-Quota-Limit": "bytes-per-day=1000",
        "X-Quota-Reset": MIDNIGHT,
    }
    assert "1000 B per day, 1000 B used" in str(over.value) and "0 B left" in str(over.value)
    env.clock.advance(hours=14, seconds=-6)  # 23:59:59
    with pytest.raises(QuotaExceeded):
        begin(env, me, 0, 0)
    env.clock.advance(seconds=1)  # midnight UTC: a new day
    assert env.quotas.usage(me)["bytes_per_day"]["used"] == 0
    cut = begin(env, me, 0, 999)
    assert env.quotas.usage(me)["bytes_per_day"]["used"] == 1000
    env.quotas.finish(cut, 300, complete=False)  # an aborted download counts what it sent
    assert env.quotas.usage(me)["bytes_per_day"]["used"] == 300
    with pytest.raises(QuotaExceeded):
        begin(env, me, 0, 700)
    begin(env, me, 0, 699)


def test_a_user_override_beats_the_role_limits(env: Env) -> None:
    env.quotas.set_role_limits(Role.USER, QuotaLimits(1000, 1, 100))
    ada, bob = env.add("ada"), env.add("bob")
    override = QuotaOverride(
        bytes_per_day=None, requests_per_minute=2, given=frozenset({"bytes_per_day", "requests_per_minute"})
    )
    env.store.put_user_quota(ada.id, override)
    me = env.principal(ada)
    assert env.quotas.limits(me) == QuotaLimits(None, 1, 2)  # unlimited bytes, inherited concurrency
    assert env.quotas.limits(env.principal(bob)) == QuotaLimits(1000, 1, 100)
    env.quotas.count_request(me)
    env.quotas.count_request(me)
    with pytest.raises(QuotaExceeded, match="2 requests per minute"):
        env.quotas.count_request(me)
    big = begin(env, me, 0, 10 * GIB)
    with pytest.raises(QuotaExceeded, match="concurrent"):
        begin(env, me, item="item-2")
    env.quotas.finish(big, 10 * GIB, complete=True)

    root = env.add("root", Role.ADMIN)  # an override also limits an otherwise unlimited role
    env.store.put_user_quota(root.id, QuotaOverride(requests_per_minute=1, given=frozenset({"requests_per_minute"})))
    env.quotas.count_request(env.principal(root))
    with pytest.raises(QuotaExceeded):
        env.quotas.count_request(env.principal(root))

    env.store.put_user_quota(ada.id, None)
    assert env.quotas.limits(me) == QuotaLimits(1000, 1, 100)
    assert env.quotas.role_limits()[Role.USER] == QuotaLimits(1000, 1, 100)
    assert env.quotas.role_limits()[Role.NODE] == DEFAULT_ROLE_QUOTAS[Role.NODE]


def test_usage_reports_limits_use_and_resets_without_counting(env: Env) -> None:
    env.quotas.set_role_limits(Role.USER, QuotaLimits(1000, 2, 10))
    me = env.principal(env.add("ada"))
    env.quotas.count_request(me)
    env.quotas.count_request(me)
    env.quotas.finish(begin(env, me, 0, 599), 600, complete=True)
    env.quotas.progress(begin(env, me, 0, 99), 40)
    expected = {
        "principal": "ada",
        "role": "user",
        "bytes_per_day": {"limit": 1000, "used": 700, "remaining": 300, "reset": MIDNIGHT},  # 600 sent, 100 running
        "concurrent_downloads": {"limit": 2, "used": 1, "remaining": 1, "reset": None},
        "requests_per_minute": {"limit": 10, "used": 2, "remaining": 8, "reset": NEXT_MINUTE},
    }
    assert env.quotas.usage(me) == expected
    assert env.quotas.usage(me) == expected  # asking is free

    anon = env.quotas.usage(ANON)
    assert anon["principal"] == "192.0.2.1" and anon["role"] == "anonymous"
    assert anon["bytes_per_day"] == {"limit": 5 * GIB, "used": 0, "remaining": 5 * GIB, "reset": MIDNIGHT}
    admin = env.quotas.usage(env.principal(env.add("root", Role.ADMIN)))
    assert admin["requests_per_minute"] == {"limit": None, "used": 0, "remaining": None, "reset": NEXT_MINUTE}
