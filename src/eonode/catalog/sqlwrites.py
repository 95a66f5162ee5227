"""Item writes shared by the SQL backends: single and bulk, each with its events and statistics
in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Connection, bindparam, case, delete, func, insert, select, update

from eonode.catalog.documents import PreparedItem, prepare_item
from eonode.catalog.properties import PROMOTED
from eonode.catalog.spatialkey import spatial_keys
from eonode.catalog.sqlbase import SqlBase, _Tx
from eonode.catalog.store import Doc, EventOp, LoadReport, WriteResult
from eonode.db.tables import collection_stats, collections, events, item_search, items
from eonode.errors import AlreadyExists, CollectionNotFound, EonodeError, ItemNotFound, PreconditionFailed

S = item_search.c
I = items.c  # noqa: E741
SEARCH_COLUMNS = (
    "skey",
    "pk",
    "collection",
    "id",
    "t_start",
    "t_end",
    "datetime",
    "start_datetime",
    "end_datetime",
    "minx",
    "miny",
    "maxx",
    "maxy",
    "geom",
    *(p.column for p in PROMOTED),
)


@dataclass(slots=True)
class _Batch:
    """One transaction's worth of prepared items, after comparison with what is stored."""

    new: list[PreparedItem] = field(default_factory=list)
    changed: list[tuple[PreparedItem, int, int]] = field(default_factory=list)  # item, pk, old skey
    unchanged: list[PreparedItem] = field(default_factory=list)


class ItemWrites(SqlBase):
    # -- items: writes --------------------------------------------------------------------------
    def create_item(self, doc: Doc, collection_id: str | None = None) -> WriteResult:
        prepared = prepare_item(doc, collection_id)
        with self._writing() as (conn, tx):
            return self._write_one(conn, tx, prepared, create_only=True)

    def put_item(
        self, doc: Doc, collection_id: str | None = None, *, must_exist: bool = False, if_match: str | None = None
    ) -> WriteResult:
        prepared = prepare_item(doc, collection_id)
        with self._writing() as (conn, tx):
            return self._write_one(conn, tx, prepared, must_exist=must_exist, if_match=if_match)

    def _write_one(
        self,
        conn: Connection,
        tx: _Tx,
        item: PreparedItem,
        *,
        create_only: bool = False,
        must_exist: bool = False,
        if_match: str | None = None,
    ) -> WriteResult:
        if self._collection_row(conn, item.collection) is None:
            raise CollectionNotFound(f"collection {item.collection!r} not found")
        batch = self._classify(conn, [item])
        where = f"item {item.id!r} in collection {item.collection!r}"
        exists = bool(batch.changed or batch.unchanged)
        if exists and create_only:
            raise AlreadyExists(f"{where} already exists")
        if not exists and must_exist:
            raise ItemNotFound(f"{where} not found")
        if if_match is not None and self._stored_etag(conn, item) != if_match:
            raise PreconditionFailed(f"{where} changed since it was read (ETag mismatch)")
        if batch.unchanged:
            return WriteResult(item.document(), item.etag, None, None)
        first = self._apply(conn, tx, batch)
        return WriteResult(item.document(), item.etag, "create" if batch.new else "update", first)

    def upsert_items(self, docs: Iterable[Doc | PreparedItem], *, batch_size: int = 1000) -> LoadReport:
        report = LoadReport()
        pending: list[PreparedItem] = []
        for n, doc in enumerate(docs):
            try:
                pending.append(doc if isinstance(doc, PreparedItem) else prepare_item(doc))
            except EonodeError as exc:
                where = doc.get("id", f"#{n}") if isinstance(doc, dict) else f"#{n}"
                report.rejected.append((str(where), exc.description))
            if len(pending) >= batch_size:
                self._load_batch(pending, report)
                pending = []
        if pending:
            self._load_batch(pending, report)
        return report

    def _load_batch(self, prepared: list[PreparedItem], report: LoadReport) -> None:
        with self._writing() as (conn, tx):
            names = {p.collection for p in prepared}
            known = set(conn.execute(select(collections.c.id).where(collections.c.id.in_(names))).scalars())
            accepted = []
            for p in prepared:
                if p.collection in known:
                    accepted.append(p)
                else:
                    report.rejected.append((p.id, f"collection {p.collection!r} not found"))
            batch = self._classify(conn, accepted)
            self._apply(conn, tx, batch)
        report.created += len(batch.new)
        report.updated += len(batch.changed)
        report.unchanged += len(batch.unchanged)

    def _classify(self, conn: Connection, prepared: list[PreparedItem]) -> _Batch:
        latest: dict[tuple[str, str], PreparedItem] = {}
        for p in prepared:  # the last copy of a duplicated item wins
            latest.pop((p.collection, p.id), None)
            latest[(p.collection, p.id)] = p
        batch = _Batch()
        if not latest:
            return batch
        by_collection: dict[str, list[str]] = {}
        for coll, item_id in latest:
            by_collection.setdefault(coll, []).append(item_id)
        stored = {}
        for coll, ids in by_collection.items():  # one (collection, id IN ...) lookup uses the index
            for r in conn.execute(
                select(S.collection, S.id, S.pk, S.skey, I.etag)
                .select_from(item_search.join(items, I.pk == S.pk))
                .where(S.id.in_(ids), S.collection == coll)
            ):
                stored[(r.collection, r.id)] = r
        for key, p in latest.items():
            row = stored.get(key)
            if row is None:
                batch.new.append(p)
            elif row.etag == p.etag:
                batch.unchanged.append(p)
            else:
                batch.changed.append((p, row.pk, row.skey))
        return batch

    @staticmethod
    def _stored_etag(conn: Connection, item: PreparedItem) -> str | None:
        return conn.execute(
            select(I.etag)
            .select_from(item_search.join(items, I.pk == S.pk))
            .where(S.id == item.id, S.collection == item.collection)
        ).scalar()

    def _apply(self, conn: Connection, tx: _Tx, batch: _Batch) -> int | None:
        """Write new and changed items, their search rows, events and stats; returns first seq."""
        n = len(batch.new) + len(batch.changed)
        if n == 0:
            return None
        first = self._allocate(conn, tx, n)
        now = datetime.now(UTC)
        next_pk = int(conn.execute(select(func.coalesce(func.max(I.pk), 0))).scalar_one()) + 1
        writes: list[tuple[PreparedItem, int, EventOp]] = [
            *((p, next_pk + k, "create") for k, p in enumerate(batch.new)),
            *((p, pk, "update") for p, pk, _skey in batch.changed),
        ]
        seqs = {pk: first + k for k, (_p, pk, _op) in enumerate(writes)}
        ts = self._ts
        now_v = ts(now)
        if batch.new:
            self._insert_rows(
                conn,
                items,
                ("pk", "collection", "id", "body", "etag", "last_seq", "created", "updated"),
                [
                    (pk, p.collection, p.id, p.body, p.etag, seqs[pk], now_v, now_v)
                    for p, pk, op in writes
                    if op == "create"
                ],
            )
        if batch.changed:
            conn.execute(
                update(items)
                .where(I.pk == bindparam("b_pk"))
                .values(body=bindparam("b_body"), etag=bindparam("b_etag"), last_seq=bindparam("b_seq"), updated=now),
                [dict(b_pk=pk, b_body=p.body, b_etag=p.etag, b_seq=seqs[pk]) for p, pk, op in writes if op == "update"],
            )
            self._search_rows_removed(conn, [skey for _p, _pk, skey in batch.changed])
            conn.execute(delete(item_search).where(S.skey.in_([skey for _p, _pk, skey in batch.changed])))
        self._insert_search_rows(conn, [(p, pk) for p, pk, _op in writes])
        self._insert_rows(
            conn,
            events,
            ("seq", "at", "kind", "op", "collection", "item_id", "etag"),
            [(seqs[pk], now_v, "item", op, p.collection, p.id, p.etag) for p, pk, op in writes],
        )
        self._update_stats(conn, writes)
        return first

    def _insert_search_rows(self, conn: Connection, rows: list[tuple[PreparedItem, int]]) -> None:
        skeys = spatial_keys([pk for _p, pk in rows], np.array([p.bounds for p, _pk in rows], dtype=np.float64))
        ts = self._ts
        geom = self._geom_value
        keyed = sorted(zip(skeys, rows, strict=True), key=lambda kr: kr[0])  # key order: fewer page visits
        values = [
            (
                skey,
                pk,
                p.collection,
                p.id,
                ts(p.t_start),
                ts(p.t_end),
                ts(p.prop_datetime),
                ts(p.prop_start),
                ts(p.prop_end),
                *p.bounds,
                geom(p.wkb),
                *p.promoted,
            )
            for skey, (p, pk) in keyed
        ]
        self._insert_rows(conn, item_search, SEARCH_COLUMNS, values)
        self._search_rows_added(conn, [(skey, p) for skey, (p, _pk) in keyed])

    def _update_stats(self, conn: Connection, writes: list[tuple[PreparedItem, int, EventOp]]) -> None:
        per: dict[str, tuple[int, int]] = {}
        for p, _pk, op in writes:
            count, span = per.get(p.collection, (0, 0))
            span_us = p.t_end - p.t_start
            per[p.collection] = (count + (op == "create"), max(span, span_us))
        st = collection_stats.c
        conn.execute(
            update(collection_stats)
            .where(st.collection == bindparam("b_coll"))
            .values(
                item_count=st.item_count + bindparam("b_n"),
                max_span_us=case((st.max_span_us < bindparam("b_span"), bindparam("b_span")), else_=st.max_span_us),
            ),
            [dict(b_coll=c, b_n=n, b_span=span) for c, (n, span) in per.items()],
        )

    def delete_item(self, collection_id: str, item_id: str, *, if_match: str | None = None) -> int:
        now = datetime.now(UTC)
        with self._writing() as (conn, tx):
            row = self._item_row(conn, collection_id, item_id, I.pk, I.etag, S.skey)
            if if_match is not None and row.etag != if_match:
                raise PreconditionFailed(f"item {item_id!r} changed since it was read (ETag mismatch)")
            seq = self._allocate(conn, tx, 1)
            self._search_rows_removed(conn, [row.skey])
            conn.execute(delete(item_search).where(S.skey == row.skey))
            conn.execute(delete(items).where(I.pk == row.pk))
            conn.execute(
                insert(events).values(
                    seq=seq, at=now, kind="item", op="delete", collection=collection_id, item_id=item_id, etag=None
                )
            )
            st = collection_stats.c
            conn.execute(
                update(collection_stats).where(st.collection == collection_id).values(item_count=st.item_count - 1)
            )
        return seq
