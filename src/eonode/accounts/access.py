"""Access control with the stored facts: the node's policies and a principal's grants, fed to
the one decision (:func:`eonode.accounts.permissions.decide`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from eonode.accounts.model import CollectionPolicy, DataAccess, Principal, Role, Visibility
from eonode.accounts.permissions import Action, Decision, decide
from eonode.accounts.store import AccountStore
from eonode.errors import AccessDenied, CollectionNotFound, InvalidParameter, Unauthorized
from eonode.settings import Settings

GRANT_KINDS = ("approval", "purchase")
POLICY_CACHE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Scope:
    """The collections one principal may see: all but ``hidden`` (the node's default lets them
    see), or ``only`` those (the default hides collections from them)."""

    hidden: frozenset[str] = frozenset()
    only: frozenset[str] | None = None

    @property
    def everything(self) -> bool:
        return self.only is None and not self.hidden

    def sees(self, collection: str) -> bool:
        if self.only is not None:
            return collection in self.only
        return collection not in self.hidden

    def within(self, collections: Iterable[str]) -> list[str]:
        return [c for c in collections if self.sees(c)]


def refuse(decision: Decision) -> None:
    """Raise the error a refused decision stands for (nothing if allowed)."""
    if decision.allowed:
        return
    if decision.status == 404:
        raise CollectionNotFound(decision.reason)
    if decision.status == 401:
        raise Unauthorized(decision.reason)
    raise AccessDenied(decision.reason)


class AccessControl:
    def __init__(self, store: AccountStore, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.store, self.clock = store, clock
        self.default = (Visibility(settings.default_visibility), DataAccess(settings.default_data_access))
        self._cache: tuple[float, dict[str, CollectionPolicy]] = (float("-inf"), {})

    def policies(self) -> dict[str, CollectionPolicy]:
        """The stored policies, re-read at most once a second (every catalogue request needs them).
        A change made through this object applies at once; other processes see it within a second."""
        read_at, stored = self._cache
        if time.monotonic() - read_at >= POLICY_CACHE_SECONDS:
            stored = self.store.policies()
            self._cache = (time.monotonic(), stored)
        return stored

    # -- facts ---------------------------------------------------------------------------------------------
    def policy(self, collection: str, stored: dict[str, CollectionPolicy] | None = None) -> CollectionPolicy:
        found = (stored if stored is not None else self.policies()).get(collection)
        return found or CollectionPolicy(collection, self.default[0], self.default[1], explicit=False)

    def grants(self, principal: Principal) -> frozenset[tuple[str, str]]:
        if principal.user is None:
            return frozenset()
        return self.store.grants_of(principal.user.id, self.clock())

    # -- questions -----------------------------------------------------------------------------------------
    def decide(
        self, principal: Principal, action: Action, collection: str | None = None, *, owner: int | None = None
    ) -> Decision:
        if collection is None:
            return decide(principal, action, owner=owner)
        grants = self.grants(principal) if action is Action.DOWNLOAD else frozenset()
        return decide(principal, action, policy=self.policy(collection), grants=grants)

    def require(
        self, principal: Principal, action: Action, collection: str | None = None, *, owner: int | None = None
    ) -> None:
        refuse(self.decide(principal, action, collection, owner=owner))

    def scope(self, principal: Principal) -> Scope:
        """What ``principal`` may see, decided per collection policy (plus the default for the rest)."""
        stored = self.policies()
        default = CollectionPolicy("*", self.default[0], self.default[1], explicit=False)
        seen = {c: decide(principal, Action.SEE, policy=p).allowed for c, p in stored.items()}
        if decide(principal, Action.SEE, policy=default).allowed:
            return Scope(hidden=frozenset(c for c, ok in seen.items() if not ok))
        return Scope(only=frozenset(c for c, ok in seen.items() if ok))

    # -- changes (administrators) ---------------------------------------------------------------------------
    def set_policy(
        self,
        collection: str,
        *,
        visibility: str | None = None,
        data_access: str | None = None,
        roles: Iterable[str] | None = None,
        actor: str,
        ip: str = "",
    ) -> CollectionPolicy:
        before = self.policy(collection)
        try:
            vis = Visibility(visibility) if visibility is not None else before.visibility
            access = DataAccess(data_access) if data_access is not None else before.data_access
            role_set = frozenset(Role(r) for r in roles) if roles is not None else before.roles
        except ValueError as exc:
            raise InvalidParameter(
                f"{exc}; visibility: {', '.join(v.value for v in Visibility)}; "
                f"data access: {', '.join(d.value for d in DataAccess)}; roles: user, operator, admin, node"
            ) from None
        if vis is Visibility.ROLE and not role_set:
            raise InvalidParameter("visibility 'role' needs the roles that may see the collection")
        if vis is not Visibility.ROLE:
            role_set = frozenset()
        policy = CollectionPolicy(collection, vis, access, role_set)
        now = self.clock()
        self.store.put_policy(policy, by=actor, now=now)
        self._cache = (float("-inf"), {})
        self.store.audit(
            "policy.change",
            actor=actor,
            subject=collection,
            ip=ip,
            now=now,
            before=before.public(),
            after=policy.public(),
        )
        return policy

    def reset_policy(self, collection: str, *, actor: str, ip: str = "") -> CollectionPolicy:
        before = self.policy(collection)
        self.store.delete_policy(collection)
        self._cache = (float("-inf"), {})
        self.store.audit(
            "policy.reset", actor=actor, subject=collection, ip=ip, now=self.clock(), before=before.public()
        )
        return self.policy(collection)

    def grant(
        self,
        user_id: int,
        collection: str,
        kind: str,
        *,
        actor: str,
        days: float | None = None,
        note: str = "",
        ip: str = "",
    ) -> None:
        if kind not in GRANT_KINDS:
            raise InvalidParameter(f"grant kind must be one of {', '.join(GRANT_KINDS)}")
        user = self.store.get_user(user_id)
        now = self.clock()
        expires = now + timedelta(days=days) if days else None
        self.store.put_grant(user_id, collection, kind, by=actor, now=now, expires=expires, note=note)
        self.store.audit(
            "grant.add", actor=actor, subject=user.username, ip=ip, now=now, collection=collection, kind=kind
        )

    def revoke_grant(self, user_id: int, collection: str, kind: str, *, actor: str, ip: str = "") -> bool:
        user = self.store.get_user(user_id)
        done = self.store.delete_grant(user_id, collection, kind)
        if done:
            self.store.audit(
                "grant.revoke",
                actor=actor,
                subject=user.username,
                ip=ip,
                now=self.clock(),
                collection=collection,
                kind=kind,
            )
        return done
