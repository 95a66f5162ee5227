"""A parent node's child nodes: enrollment requests, the decision on each (an agreement and a
machine account), revocation, what each child reported and what it confirmed it holds.

The child chooses its own credential (an API key it generates) and sends it with its request;
the parent stores only its hash and, on approval, makes it the key of the child's machine account
(role ``node``). No secret ever travels from the parent to the child, and revoking disables that
account, which every request checks.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import delete, func, insert, select, update

from eonode.accounts.model import Role, UserStatus
from eonode.accounts.services import AccountServices
from eonode.accounts.tokens import KEY_PREFIX, sha256_hex
from eonode.db.federation_tables import fed_children, fed_reports
from eonode.errors import AlreadyExists, Conflict, Forbidden, InvalidParameter, NotFound
from eonode.federation.agreement import Agreement
from eonode.federation.deliveries import DeliveryRecords

Status = Literal["pending", "approved", "rejected", "revoked"]
NAME = re.compile(r"^[a-z][a-z0-9-]{1,26}$")  # its machine account is node-NAME (at most 32)
KEEP_REPORTS = 1000  # per child; older reports are pruned as new ones arrive


@dataclass(frozen=True, slots=True)
class Child:
    id: int
    name: str
    contact: str
    organisation: str
    country: str
    url: str
    status: Status
    requested: dict[str, Any]
    agreement: Agreement | None
    user_id: int | None
    reason: str
    created: datetime
    decided: datetime | None
    decided_by: str
    resync_from: int | None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "contact": self.contact,
            "organisation": self.organisation,
            "country": self.country,
            "url": self.url,
            "status": self.status,
            "requested": self.requested,
            "agreement": None if self.agreement is None else self.agreement.model_dump(mode="json"),
            "reason": self.reason,
            "created": self.created.isoformat(),
            "decided": self.decided.isoformat() if self.decided else None,
            "decided_by": self.decided_by,
        }


def _child(row: Any) -> Child:
    m = row._mapping
    agreement = m["agreement"]
    return Child(
        id=m["id"],
        name=m["name"],
        contact=m["contact"],
        organisation=m["organisation"],
        country=m["country"],
        url=m["url"],
        status=m["status"],
        requested=orjson.loads(m["requested"]),
        agreement=None if agreement is None else Agreement.parse(agreement),
        user_id=m["user_id"],
        reason=m["reason"],
        created=m["created"],
        decided=m["decided"],
        decided_by=m["decided_by"],
        resync_from=m["resync_from"],
    )


class Children(DeliveryRecords):
    """The child registry of one node (its tables live in the node's database)."""

    def __init__(self, url: str, accounts: AccountServices) -> None:
        super().__init__(url, pool_size=2)
        self.accounts = accounts

    # -- enrollment ---------------------------------------------------------------------------
    def request(
        self,
        *,
        name: str,
        contact: str,
        key: str,
        organisation: str = "",
        country: str = "",
        url: str = "",
        requested: dict[str, Any] | None = None,
    ) -> Child:
        """Record a child's request to join (pending until an administrator decides)."""
        name = name.strip().lower()
        if not NAME.match(name):
            raise InvalidParameter("a node name is 2–27 lower-case letters, digits and hyphens, starting with a letter")
        contact = self.accounts.users.clean_email(contact)
        if not key.startswith(KEY_PREFIX) or len(key) < 30:
            raise InvalidParameter(f"the node's credential must be an eonode API key ({KEY_PREFIX}…)")
        form = {k: v for k, v in (requested or {}).items() if k in Agreement.model_fields}
        Agreement.parse(form)  # refuse nonsense now, not at approval
        now = self.accounts.users.clock()
        with self.write() as conn:
            if conn.execute(select(fed_children.c.id).where(fed_children.c.name == name)).first():
                raise AlreadyExists(f"a node named {name!r} has already asked to join")
            conn.execute(
                insert(fed_children).values(
                    name=name,
                    contact=contact,
                    organisation=organisation.strip()[:200],
                    country=self.accounts.users.clean_country(country),
                    url=url.strip()[:500],
                    status="pending",
                    key_hash=sha256_hex(key.strip()),
                    requested=orjson.dumps(form).decode(),
                    reason="",
                    created=now,
                    decided_by="",
                )
            )
        self.accounts.store.audit("node.request", actor=name, subject=name, now=now, contact=contact)
        return self.by_name(name)

    def by_key(self, key: str) -> Child | None:
        """The request a credential belongs to (how a waiting child asks about its request)."""
        with self.read() as conn:
            row = conn.execute(select(fed_children).where(fed_children.c.key_hash == sha256_hex(key.strip()))).first()
        return None if row is None else _child(row)

    def approve(self, child_id: int, agreement: Agreement, *, actor: str) -> Child:
        """Grant the agreement and make the child's machine account with the child's own key."""
        child = self.get(child_id)
        if child.status not in ("pending", "rejected"):
            raise Conflict(f"node {child.name} is {child.status}; only a pending or rejected request can be approved")
        users = self.accounts.users
        if self.accounts.store.find_user(f"node-{child.name}") is not None:
            raise Conflict(f"an account named node-{child.name} exists already; rename or remove it first")
        user = users.add_user(
            f"node-{child.name}",
            f"node-{child.name}@nodes.invalid",
            secrets.token_urlsafe(24) + "aA1!",  # never used: a machine account signs in by key only
            role=Role.NODE,
            organisation=child.organisation,
            country=child.country,
            actor=actor,
        )
        with self.read() as conn:
            key_hash = conn.execute(select(fed_children.c.key_hash).where(fed_children.c.id == child_id)).scalar_one()
        now = users.clock()
        self.accounts.store.add_key(user.id, f"node {child.name}", f"{KEY_PREFIX}node", key_hash, now)
        self._decide(child_id, "approved", actor, agreement=agreement, user_id=user.id)
        self.accounts.store.audit("node.approve", actor=actor, subject=child.name, now=now)
        return self.get(child_id)

    def reject(self, child_id: int, reason: str, *, actor: str) -> Child:
        child = self.get(child_id)
        if child.status != "pending":
            raise Conflict(f"node {child.name} is {child.status}; only a pending request can be rejected")
        self._decide(child_id, "rejected", actor, reason=reason)
        self.accounts.store.audit("node.reject", actor=actor, subject=child.name, now=self.accounts.users.clock())
        return self.get(child_id)

    def revoke(self, child_id: int, reason: str, *, actor: str) -> Child:
        """Refuse the child from now on: its machine account is disabled (checked on every request)."""
        child = self.get(child_id)
        if child.status != "approved" or child.user_id is None:
            raise Conflict(f"node {child.name} is {child.status}; only an approved node can be revoked")
        self.accounts.users.set_status(child.user_id, UserStatus.DISABLED, actor=actor)
        self._decide(child_id, "revoked", actor, reason=reason)
        self.accounts.store.audit("node.revoke", actor=actor, subject=child.name, now=self.accounts.users.clock())
        return self.get(child_id)

    def set_agreement(self, child_id: int, agreement: Agreement, *, actor: str) -> Child:
        """Change the agreement. The child reads its agreement when it connects, so it is asked
        (with its next status reply) to reconnect from where it last reported: its mode, pacing
        and feed follow the new terms from then on. What it was delivered and the new terms no
        longer cover is dropped from its delivery list."""
        child = self._approved(child_id)
        latest = self.reports(child_id, limit=1)
        cursor = latest[0][1].get("cursor") if latest else None
        resync = int(cursor) if isinstance(cursor, int) and cursor >= 0 else 0
        with self.write() as conn:
            conn.execute(
                update(fed_children)
                .where(fed_children.c.id == child_id)
                .values(agreement=orjson.dumps(agreement.model_dump(mode="json")).decode(), resync_from=resync)
            )
            self._drop_deliveries(conn, child_id, agreement, self._delivered_items(conn, child_id))
        self.accounts.store.audit("node.agreement", actor=actor, subject=child.name, now=self.accounts.users.clock())
        return self.get(child_id)

    def ask_resync(self, child_id: int, since: int, *, actor: str) -> Child:
        """Ask the child to read its feed again from ``since`` (told in its next status reply)."""
        child = self._approved(child_id)
        with self.write() as conn:
            conn.execute(update(fed_children).where(fed_children.c.id == child_id).values(resync_from=max(0, since)))
        self.accounts.store.audit("node.resync", actor=actor, subject=child.name, now=self.accounts.users.clock())
        return self.get(child_id)

    def _approved(self, child_id: int) -> Child:
        child = self.get(child_id)
        if child.status != "approved":
            raise Conflict(f"node {child.name} is {child.status}; only an approved node has an agreement")
        return child

    def _decide(self, child_id: int, status: Status, actor: str, **values: Any) -> None:
        if "agreement" in values:
            values["agreement"] = orjson.dumps(values["agreement"].model_dump(mode="json")).decode()
        with self.write() as conn:
            conn.execute(
                update(fed_children)
                .where(fed_children.c.id == child_id)
                .values(status=status, decided=self.accounts.users.clock(), decided_by=actor, **values)
            )

    # -- lookups ------------------------------------------------------------------------------
    def get(self, child_id: int) -> Child:
        with self.read() as conn:
            row = conn.execute(select(fed_children).where(fed_children.c.id == child_id)).first()
        if row is None:
            raise NotFound(f"no node with id {child_id}")
        return _child(row)

    def by_name(self, name: str) -> Child:
        with self.read() as conn:
            row = conn.execute(select(fed_children).where(fed_children.c.name == name.strip().lower())).first()
        if row is None:
            raise NotFound(f"no node named {name!r}")
        return _child(row)

    def of_user(self, user_id: int) -> Child | None:
        """The approved child whose machine account this is."""
        with self.read() as conn:
            row = conn.execute(
                select(fed_children).where(fed_children.c.user_id == user_id, fed_children.c.status == "approved")
            ).first()
        return None if row is None else _child(row)

    def licence(self, user_id: int, item: dict[str, Any]) -> Child:
        """The approved child whose machine account this is, if its agreement lets it copy this
        item's data (the agreement is the child's licence: approval or purchase policies do not
        apply to it); Forbidden otherwise. A ``metadata`` child copies no data at all (its users
        are sent to this node's own asset URLs); ``full`` and ``on_demand`` children may copy
        whatever their agreement covers."""
        child = self.of_user(user_id)
        if child is None or child.agreement is None:
            raise Forbidden("this node's enrollment is not approved")
        if child.agreement.mode == "metadata":
            raise Forbidden(f"node {child.name}'s agreement is metadata only: it does not copy data")
        if not child.agreement.matcher().matches(item):
            raise Forbidden(f"{item.get('id')} is not covered by node {child.name}'s agreement")
        return child

    def all(self, status: Status | None = None) -> list[Child]:
        q = select(fed_children).order_by(fed_children.c.id)
        if status:
            q = q.where(fed_children.c.status == status)
        with self.read() as conn:
            return [_child(r) for r in conn.execute(q)]

    # -- what children tell us ----------------------------------------------------------------
    def report(self, child: Child, body: dict[str, Any]) -> int | None:
        """Keep a status report; returns the sequence number to resynchronise from, if asked."""
        now = self.accounts.users.clock()
        with self.write() as conn:
            conn.execute(insert(fed_reports).values(child_id=child.id, at=now, body=orjson.dumps(body).decode()))
            count = conn.execute(select(func.count()).where(fed_reports.c.child_id == child.id)).scalar_one()
            if count > KEEP_REPORTS:
                oldest = (
                    select(fed_reports.c.id)
                    .where(fed_reports.c.child_id == child.id)
                    .order_by(fed_reports.c.id)
                    .limit(count - KEEP_REPORTS)
                )
                conn.execute(delete(fed_reports).where(fed_reports.c.id.in_(oldest.scalar_subquery())))
            resync = conn.execute(
                select(fed_children.c.resync_from).where(fed_children.c.id == child.id)
            ).scalar_one_or_none()
            if resync is not None:  # told once; a newer request made meanwhile is not lost
                conn.execute(
                    update(fed_children)
                    .where(fed_children.c.id == child.id, fed_children.c.resync_from == resync)
                    .values(resync_from=None)
                )
        self.prune_deliveries()
        return int(resync) if resync is not None else None

    def reports(self, child_id: int, limit: int = 100) -> list[tuple[datetime, dict[str, Any]]]:
        q = (
            select(fed_reports.c.at, fed_reports.c.body)
            .where(fed_reports.c.child_id == child_id)
            .order_by(fed_reports.c.id.desc())
            .limit(limit)
        )
        with self.read() as conn:
            return [(r[0], orjson.loads(r[1])) for r in conn.execute(q)]

    def _agreements(self) -> dict[int, Agreement]:
        return {c.id: c.agreement for c in self.all("approved") if c.agreement is not None}
