"""The one access decision. Every question — may this principal see this collection, download
this asset, manage users, change policies — is answered by :func:`decide` and nowhere else.

Search, item pages, the change feed, queryables, downloads and the administration API all ask
it (through :class:`eonode.accounts.access.AccessControl`, which supplies the stored facts).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from eonode.accounts.model import STAFF, CollectionPolicy, DataAccess, Principal, Role, Visibility


class Action(StrEnum):
    SEE = "see"  # the collection, its items, counts, queryables, feed events, previews
    DOWNLOAD = "download"  # data assets
    WRITE_CATALOG = "write_catalog"  # STAC transactions, ingest
    VIEW_ACCOUNT = "view_account"  # a user's profile, keys, downloads (``owner``)
    MANAGE_ACCOUNT = "manage_account"  # the user's own keys, links, profile (``owner``)
    CHANGE_PASSWORD = "change_password"  # the user's own password (``owner``)
    LIST_USERS = "list_users"
    ADMINISTER_USERS = "administer_users"  # roles, enable/disable, quotas, grants
    SET_POLICY = "set_policy"
    READ_AUDIT = "read_audit"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""
    status: int = 200  # for a refusal: 401 (sign in), 403 (not allowed), 404 (not visible)

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)
_BEFORE_PASSWORD_CHANGE = frozenset({Action.CHANGE_PASSWORD, Action.VIEW_ACCOUNT})


def _deny(reason: str, status: int = 403) -> Decision:
    return Decision(False, reason, status)


def decide(
    principal: Principal,
    action: Action,
    *,
    policy: CollectionPolicy | None = None,
    grants: frozenset[tuple[str, str]] = frozenset(),
    owner: int | None = None,
) -> Decision:
    """May ``principal`` do ``action`` (on ``policy``'s collection, or on ``owner``'s account)?"""
    role = principal.role
    user = principal.user
    own = user is not None and user.id == owner
    if user is not None and user.must_change_password and not (own and action in _BEFORE_PASSWORD_CHANGE):
        return _deny("change the one-time password first (POST /me/password, or My account in the portal)")
    if action is Action.CHANGE_PASSWORD:
        return ALLOW if own and principal.via in ("session", "key") else _need(role, "the account's owner, signed in")
    if action in (Action.SEE, Action.DOWNLOAD):
        assert policy is not None, "collection actions need the collection's policy"
        seen = _see(role, policy)
        if not seen or action is Action.SEE:
            return seen
        return _download(principal, policy, grants)
    if action is Action.WRITE_CATALOG:
        return ALLOW if role in STAFF else _need(role, "operators and administrators")
    if action in (Action.VIEW_ACCOUNT, Action.MANAGE_ACCOUNT):
        if own:
            return ALLOW
        if action is Action.VIEW_ACCOUNT and role in STAFF:
            return ALLOW
        return _deny("no such account", 404) if role is not Role.ANONYMOUS else _need(role, "its owner")
    if action in (Action.LIST_USERS, Action.READ_AUDIT):
        return ALLOW if role in STAFF else _need(role, "operators and administrators")
    if action in (Action.ADMINISTER_USERS, Action.SET_POLICY):
        return ALLOW if role is Role.ADMIN else _need(role, "administrators")
    raise AssertionError(f"unhandled action {action}")


def _need(role: Role, who: str) -> Decision:
    if role is Role.ANONYMOUS:
        return _deny(f"sign in: only {who} may do this", 401)
    return _deny(f"only {who} may do this")


def _see(role: Role, policy: CollectionPolicy) -> Decision:
    if role in STAFF or policy.visibility is Visibility.PUBLIC:
        return ALLOW
    if policy.visibility is Visibility.REGISTERED and role is not Role.ANONYMOUS:
        return ALLOW
    if policy.visibility is Visibility.ROLE and role in policy.roles:
        return ALLOW
    # Not 403: a collection you may not see does not exist for you.
    return _deny(f"collection {policy.collection!r} not found", 404)  # word for word as for an unknown one


def _download(principal: Principal, policy: CollectionPolicy, grants: frozenset[tuple[str, str]]) -> Decision:
    access, role = policy.data_access, principal.role
    if role in STAFF or access is DataAccess.OPEN:
        return ALLOW
    if access is DataAccess.NONE:
        return _deny(f"the data of {policy.collection} is not distributed by this node")
    if role is Role.ANONYMOUS:
        return _deny(f"sign in to download data of {policy.collection}", 401)
    if access is DataAccess.REGISTERED:
        return ALLOW
    kind = access.value  # approval | purchase
    if (policy.collection, kind) in grants:
        return ALLOW
    if access is DataAccess.APPROVAL:
        return _deny(f"downloading {policy.collection} needs an administrator's approval; ask for access")
    return _deny(f"the data of {policy.collection} is sold; order the product to download it")
