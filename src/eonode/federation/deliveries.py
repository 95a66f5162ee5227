"""What each child node confirmed it holds (the parent's delivery records), kept true to the
catalogue: records of items deleted here, or no longer covered by the child's agreement, are
dropped as the change feed shows them.

A mixin of :class:`~eonode.federation.children.Children` (the same database and tables).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, delete, func, insert, select

from eonode.accounts.db import AccountDb
from eonode.db.federation_tables import fed_deliveries
from eonode.db.tables import events, item_search, items, node_meta
from eonode.federation.agreement import Agreement

if TYPE_CHECKING:
    from eonode.accounts.services import AccountServices
    from eonode.federation.children import Child


class DeliveryRecords(AccountDb, ABC):
    accounts: AccountServices

    @abstractmethod
    def _agreements(self) -> dict[int, Agreement]:
        """The agreements of the approved children, by id."""

    def acknowledge(self, child: Child, delivered: list[dict[str, str]]) -> int:
        """Record assets the child verified (collection, item, asset, sha256); idempotent. Assets
        of items deleted here meanwhile, or no longer in the child's scope, are not recorded (the
        child has a tombstone for them on its way); returns how many were."""
        assert child.agreement is not None
        now = self.accounts.users.clock()
        with self.write() as conn:
            docs = _current_docs(conn, {(d["collection"], d["item"]) for d in delivered})
            kept = [d for d in delivered if _covers(child.agreement, docs.get((d["collection"], d["item"])))]
            for d in kept:
                key = (
                    (fed_deliveries.c.child_id == child.id)
                    & (fed_deliveries.c.collection == d["collection"])
                    & (fed_deliveries.c.item_id == d["item"])
                    & (fed_deliveries.c.asset == d["asset"])
                )
                conn.execute(delete(fed_deliveries).where(key))
                conn.execute(
                    insert(fed_deliveries).values(
                        child_id=child.id,
                        collection=d["collection"],
                        item_id=d["item"],
                        asset=d["asset"],
                        sha256=d["sha256"],
                        at=now,
                    )
                )
        return len(kept)

    def deliveries(self, child_id: int, collection: str | None = None) -> list[dict[str, Any]]:
        """What the child confirmed it holds, of items that are still here and in its scope."""
        self.prune_deliveries()
        q = select(fed_deliveries).where(fed_deliveries.c.child_id == child_id)
        if collection:
            q = q.where(fed_deliveries.c.collection == collection)
        with self.read() as conn:
            return [
                {
                    "collection": r.collection,
                    "item": r.item_id,
                    "asset": r.asset,
                    "sha256": r.sha256,
                    "at": r.at.isoformat(),
                }
                for r in conn.execute(q.order_by(fed_deliveries.c.at))
            ]

    def prune_deliveries(self) -> int:
        """Drop the delivery records of items deleted here, or changed out of their child's scope,
        since the last call: the catalogue's change feed is read from a cursor kept in the database
        (its first call ever checks every record instead). Runs with each child's status report
        and before a delivery list is shown; returns how many records were dropped."""
        with self.read() as conn:
            saved = conn.execute(select(node_meta.c.value).where(node_meta.c.key == PRUNED_SEQ)).scalar()
            head = int(conn.execute(select(func.coalesce(func.max(events.c.seq), 0))).scalar_one())
        dropped = 0
        if saved is None:
            agreements = self._agreements()
            with self.write() as conn:
                for child_id in _delivered_children(conn):
                    agreement = agreements.get(child_id)
                    dropped += self._drop_deliveries(conn, child_id, agreement, self._delivered_items(conn, child_id))
                _save_pruned(conn, head)
            return dropped
        cursor = int(saved)
        while cursor < head:
            upto = min(head, cursor + PRUNE_EVENTS)
            agreements = self._agreements()
            with self.write() as conn:
                changed = conn.execute(
                    select(events.c.collection, events.c.item_id)
                    .where(events.c.seq > cursor, events.c.seq <= upto, events.c.kind == "item")
                    .distinct()
                ).all()
                pairs = {(str(c), str(i)) for c, i in changed}
                for child_id in _delivered_children(conn):
                    held = _delivered_among(conn, child_id, pairs)
                    dropped += self._drop_deliveries(conn, child_id, agreements.get(child_id), held)
                _save_pruned(conn, upto)
            cursor = upto
        return dropped

    @staticmethod
    def _delivered_items(conn: Connection, child_id: int) -> set[tuple[str, str]]:
        q = select(fed_deliveries.c.collection, fed_deliveries.c.item_id).where(fed_deliveries.c.child_id == child_id)
        return {(str(c), str(i)) for c, i in conn.execute(q.distinct())}

    @staticmethod
    def _drop_deliveries(
        conn: Connection, child_id: int, agreement: Agreement | None, pairs: set[tuple[str, str]]
    ) -> int:
        """Of ``pairs`` (collection, item) delivered to the child, drop those no longer here or no
        longer covered by ``agreement`` (None: the child is not approved any more: keep them)."""
        if agreement is None or not pairs:
            return 0
        docs = _current_docs(conn, pairs)
        gone = sorted(p for p in pairs if not _covers(agreement, docs.get(p)))
        for collection, ids in _by_collection(gone).items():
            for chunk in _chunks(ids):
                conn.execute(
                    delete(fed_deliveries).where(
                        fed_deliveries.c.child_id == child_id,
                        fed_deliveries.c.collection == collection,
                        fed_deliveries.c.item_id.in_(chunk),
                    )
                )
        return len(gone)


# -- delivery records against the catalogue (its tables are in the same database; read only) -----
PRUNED_SEQ = "federation.deliveries_pruned_seq"  # node_meta: the change feed is accounted for up to here
PRUNE_EVENTS = 20_000  # events read per transaction, so a burst of writes does not hold the lock long
CHUNK = 500  # values per IN (...)


def _covers(agreement: Agreement, doc: dict[str, Any] | None) -> bool:
    return doc is not None and agreement.matcher().matches(doc)


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[k : k + CHUNK] for k in range(0, len(values), CHUNK)]


def _by_collection(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for collection, item_id in pairs:
        out.setdefault(collection, []).append(item_id)
    return out


def _current_docs(conn: Connection, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The catalogue's current documents of these (collection, item) pairs; missing ones are deleted."""
    s, i = item_search.c, items.c
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for collection, ids in _by_collection(pairs).items():
        for chunk in _chunks(ids):
            q = (
                select(s.id, i.body)
                .select_from(item_search.join(items, i.pk == s.pk))
                .where(s.collection == collection, s.id.in_(chunk))
            )
            out.update({(collection, str(r.id)): orjson.loads(r.body) for r in conn.execute(q)})
    return out


def _delivered_children(conn: Connection) -> list[int]:
    return [int(c) for c in conn.execute(select(fed_deliveries.c.child_id).distinct()).scalars()]


def _delivered_among(conn: Connection, child_id: int, pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of ``pairs`` the child was delivered (by its primary key: child, collection, item)."""
    d = fed_deliveries.c
    held: set[tuple[str, str]] = set()
    for collection, ids in _by_collection(pairs).items():
        for chunk in _chunks(ids):
            q = select(d.item_id).where(d.child_id == child_id, d.collection == collection, d.item_id.in_(chunk))
            held.update((collection, str(item_id)) for item_id in conn.execute(q.distinct()).scalars())
    return held


def _save_pruned(conn: Connection, seq: int) -> None:
    conn.execute(delete(node_meta).where(node_meta.c.key == PRUNED_SEQ))
    conn.execute(insert(node_meta).values(key=PRUNED_SEQ, value=str(seq)))
