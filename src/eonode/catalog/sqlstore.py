"""What both SQL backends share: writes with their events in one transaction, reads, the change
feed, and the search skeleton. Backends supply the access path for spatial search and how JSON
and geometry are read (see ``sqlite.py`` and ``postgis.py``).
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, Engine, Row, Table, bindparam, case, delete, func, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import SQLAlchemyError as _SAError

from eonode.catalog.documents import PreparedItem, etag_of, prepare_collection, prepare_item
from eonode.catalog.pagination import PageToken, encode
from eonode.catalog.properties import PROMOTED
from eonode.catalog.spatialkey import spatial_keys
from eonode.catalog.sqlsearch import SearchColumns, SearchPlan, build_plan, keyset_condition, order_by
from eonode.catalog.store import (
    CatalogStore,
    ChangeEvent,
    CommitListener,
    Doc,
    EventOp,
    LoadReport,
    SearchPage,
    StoredItem,
    WriteResult,
)
from eonode.db.tables import collection_stats, collections, events, feed_counter, item_search, items
from eonode.errors import (
    AlreadyExists,
    CollectionNotFound,
    DatabaseError,
    EonodeError,
    ItemNotFound,
    PreconditionFailed,
)
from eonode.models.search import SearchQuery
from eonode.models.temporal import from_micros

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


def _dumps(doc: Doc) -> str:
    return orjson.dumps(doc).decode()


@dataclass(slots=True)
class _Tx:
    last_seq: int = 0


@dataclass(slots=True)
class _Batch:
    """One transaction's worth of prepared items, after comparison with what is stored."""

    new: list[PreparedItem] = field(default_factory=list)
    changed: list[tuple[PreparedItem, int, int]] = field(default_factory=list)  # item, pk, old skey
    unchanged: list[PreparedItem] = field(default_factory=list)


class SqlCatalogStore(CatalogStore):
    def __init__(self, read_engine: Engine, write_engine: Engine) -> None:
        self._read_engine = read_engine
        self._write_engine = write_engine
        self._write_lock = threading.Lock()
        self._commit_listeners: list[CommitListener] = []

    def close(self) -> None:
        self._read_engine.dispose()
        if self._write_engine is not self._read_engine:
            self._write_engine.dispose()

    def _listeners(self) -> list[CommitListener]:
        return self._commit_listeners

    # -- backend hooks --------------------------------------------------------------------------
    @abstractmethod
    def _columns(self) -> SearchColumns: ...

    @abstractmethod
    def _geom_value(self, wkb: bytes) -> Any: ...

    @staticmethod
    def _ts(value: datetime | int | None) -> Any:
        """A timestamp (datetime, or integer microseconds) as the driver takes it in bulk inserts."""
        return from_micros(value) if isinstance(value, int) else value

    def _insert_rows(self, conn: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert many rows given as tuples in ``names`` order; backends may take a faster path."""
        if rows:
            conn.execute(insert(table), [dict(zip(names, r, strict=True)) for r in rows])

    def _search_rows_added(self, conn: Connection, rows: list[tuple[int, PreparedItem]]) -> None:
        """Hook: search rows (skey, item) were inserted (SQLite mirrors them into its R*Tree)."""

    def _search_rows_removed(self, conn: Connection, skeys: list[int]) -> None:
        """Hook: search rows were deleted."""

    @abstractmethod
    def _run_search(self, conn: Connection, plan: SearchPlan) -> tuple[int, Sequence[Row[Any]] | list[tuple[Any, ...]]]:
        """Count all matches and return the page rows (skey, pk, sort values...), in walk order,
        at most ``plan.limit + 1`` of them."""

    # -- transactions ---------------------------------------------------------------------------
    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._read_engine.connect() as conn, conn.begin():
                yield conn
        except OperationalError as exc:
            raise DatabaseError(f"catalogue database error: {exc.orig}") from exc

    @contextmanager
    def _writing(self) -> Iterator[tuple[Connection, _Tx]]:
        tx = _Tx()
        try:
            with self._write_lock, self._write_engine.begin() as conn:
                yield conn, tx
        except EonodeError:
            raise
        except _SAError as exc:
            raise DatabaseError(f"catalogue write failed: {getattr(exc, 'orig', exc)}") from exc
        if tx.last_seq:
            for listener in list(self._commit_listeners):
                listener(tx.last_seq)

    def _allocate(self, conn: Connection, tx: _Tx, n: int) -> int:
        """Reserve ``n`` consecutive sequence numbers; returns the first. The counter row stays
        locked until commit, so numbers are gap-free and committed in order."""
        stmt = (
            update(feed_counter)
            .where(feed_counter.c.id == 1)
            .values(seq=feed_counter.c.seq + n)
            .returning(feed_counter.c.seq)
        )
        last = int(conn.execute(stmt).scalar_one())
        tx.last_seq = last
        return last - n + 1

    # -- collections ----------------------------------------------------------------------------
    def list_collections(self) -> list[Doc]:
        with self._reading() as conn:
            rows = conn.execute(select(collections.c.body).order_by(collections.c.id)).scalars().all()
        return [orjson.loads(b) for b in rows]

    def get_collection(self, collection_id: str) -> Doc:
        with self._reading() as conn:
            body = conn.execute(
                select(collections.c.body).where(collections.c.id == collection_id)
            ).scalar_one_or_none()
        if body is None:
            raise CollectionNotFound(f"collection {collection_id!r} not found")
        return orjson.loads(body)  # type: ignore[no-any-return]

    def _collection_row(self, conn: Connection, collection_id: str) -> Any:
        return conn.execute(
            select(collections.c.id, collections.c.etag).where(collections.c.id == collection_id)
        ).first()

    def create_collection(self, doc: Doc) -> WriteResult:
        return self._put_collection(prepare_collection(doc), create_only=True)

    def put_collection(self, doc: Doc, *, must_exist: bool = False, if_match: str | None = None) -> WriteResult:
        return self._put_collection(prepare_collection(doc), must_exist=must_exist, if_match=if_match)

    def _put_collection(
        self, doc: Doc, *, create_only: bool = False, must_exist: bool = False, if_match: str | None = None
    ) -> WriteResult:
        etag = etag_of(doc)
        cid = doc["id"]
        now = datetime.now(UTC)
        with self._writing() as (conn, tx):
            row = self._collection_row(conn, cid)
            if row is not None and create_only:
                raise AlreadyExists(f"collection {cid!r} already exists")
            if row is None and must_exist:
                raise CollectionNotFound(f"collection {cid!r} not found")
            if if_match is not None and (row is None or row.etag != if_match):
                raise PreconditionFailed(f"collection {cid!r} changed since it was read (ETag mismatch)")
            if row is not None and row.etag == etag:
                return WriteResult(doc, etag, None, None)
            seq = self._allocate(conn, tx, 1)
            op: EventOp = "update" if row is not None else "create"
            if row is None:
                conn.execute(
                    insert(collections).values(
                        id=cid, body=_dumps(doc), etag=etag, last_seq=seq, created=now, updated=now
                    )
                )
                conn.execute(insert(collection_stats).values(collection=cid, item_count=0, max_span_us=0))
            else:
                conn.execute(
                    update(collections)
                    .where(collections.c.id == cid)
                    .values(body=_dumps(doc), etag=etag, last_seq=seq, updated=now)
                )
            conn.execute(
                insert(events).values(
                    seq=seq, at=now, kind="collection", op=op, collection=cid, item_id=None, etag=etag
                )
            )
        return WriteResult(doc, etag, op, seq)

    def delete_collection(self, collection_id: str) -> int:
        now = datetime.now(UTC)
        with self._writing() as (conn, tx):
            if self._collection_row(conn, collection_id) is None:
                raise CollectionNotFound(f"collection {collection_id!r} not found")
            doomed = conn.execute(select(S.skey, S.pk, S.id).where(S.collection == collection_id).order_by(S.id)).all()
            first = self._allocate(conn, tx, len(doomed) + 1)
            if doomed:
                conn.execute(
                    insert(events),
                    [
                        dict(
                            seq=first + n,
                            at=now,
                            kind="item",
                            op="delete",
                            collection=collection_id,
                            item_id=r.id,
                            etag=None,
                        )
                        for n, r in enumerate(doomed)
                    ],
                )
                self._search_rows_removed(conn, [r.skey for r in doomed])
                for start in range(0, len(doomed), 10_000):
                    part = doomed[start : start + 10_000]
                    conn.execute(delete(items).where(I.pk.in_([r.pk for r in part])))
                    conn.execute(delete(item_search).where(S.skey.in_([r.skey for r in part])))
            last = first + len(doomed)
            conn.execute(
                insert(events).values(
                    seq=last, at=now, kind="collection", op="delete", collection=collection_id, item_id=None, etag=None
                )
            )
            conn.execute(delete(collections).where(collections.c.id == collection_id))
            conn.execute(delete(collection_stats).where(collection_stats.c.collection == collection_id))
        return last

    def item_count(self, collection_id: str | None = None) -> int:
        stmt = select(func.coalesce(func.sum(collection_stats.c.item_count), 0))
        if collection_id is not None:
            stmt = stmt.where(collection_stats.c.collection == collection_id)
        with self._reading() as conn:
            return int(conn.execute(stmt).scalar_one())

    # -- items: reads ---------------------------------------------------------------------------
    def get_item(self, collection_id: str, item_id: str) -> StoredItem:
        with self._reading() as conn:
            row = conn.execute(
                select(I.body, I.etag, I.updated)
                .select_from(item_search.join(items, I.pk == S.pk))
                .where(S.id == item_id, S.collection == collection_id)
            ).first()
            if row is None:
                if self._collection_row(conn, collection_id) is None:
                    raise CollectionNotFound(f"collection {collection_id!r} not found")
                raise ItemNotFound(f"item {item_id!r} not found in collection {collection_id!r}")
        return StoredItem(orjson.loads(row.body), row.etag, row.updated)

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
            row = conn.execute(
                select(I.pk, I.etag, S.skey)
                .select_from(item_search.join(items, I.pk == S.pk))
                .where(S.id == item_id, S.collection == collection_id)
            ).first()
            if row is None:
                if self._collection_row(conn, collection_id) is None:
                    raise CollectionNotFound(f"collection {collection_id!r} not found")
                raise ItemNotFound(f"item {item_id!r} not found in collection {collection_id!r}")
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

    # -- change feed ----------------------------------------------------------------------------
    def last_seq(self) -> int:
        with self._reading() as conn:
            return int(conn.execute(select(feed_counter.c.seq).where(feed_counter.c.id == 1)).scalar_one())

    def changes_since(self, seq: int, limit: int = 1000) -> list[ChangeEvent]:
        e = events.c
        c = collections.c
        stmt = (
            select(
                e.seq,
                e.at,
                e.kind,
                e.op,
                e.collection,
                e.item_id,
                e.etag,
                I.body.label("item_body"),
                c.body.label("collection_body"),
            )
            .select_from(
                events.outerjoin(item_search, (e.kind == "item") & (S.id == e.item_id) & (S.collection == e.collection))
                .outerjoin(items, (I.pk == S.pk) & (I.last_seq == e.seq))
                .outerjoin(collections, (e.kind == "collection") & (c.id == e.collection) & (c.last_seq == e.seq))
            )
            .where(e.seq > seq)
            .order_by(e.seq)
            .limit(limit)
        )
        with self._reading() as conn:
            rows = conn.execute(stmt).all()
        out = []
        for r in rows:
            body = r.item_body if r.kind == "item" else r.collection_body
            out.append(
                ChangeEvent(
                    seq=r.seq,
                    at=r.at,
                    kind=r.kind,
                    op=r.op,
                    collection=r.collection,
                    item_id=r.item_id,
                    etag=r.etag,
                    body=orjson.loads(body) if body is not None else None,
                )
            )
        return out

    # -- search ---------------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchPage:
        plan = build_plan(query, self._columns())
        with self._reading() as conn:
            total, rows = self._run_search(conn, plan)
            backward = plan.token is not None and plan.token.direction == "prev"
            more = len(rows) > plan.limit
            page = list(rows[: plan.limit])
            if backward:
                page.reverse()
            bodies: dict[int, str] = {}
            if page:  # rows are (skey, pk, sort values...)
                bodies = dict(conn.execute(select(I.pk, I.body).where(I.pk.in_([r[1] for r in page]))).all())
        n_keys = len(plan.sort)
        next_token = prev_token = None
        if page:
            if more or backward:
                last = page[-1]
                next_token = encode(PageToken("next", tuple(last[2 : 2 + n_keys]), last[0]))
            if (plan.token is not None and not backward) or (backward and more):
                head = page[0]
                prev_token = encode(PageToken("prev", tuple(head[2 : 2 + n_keys]), head[0]))
        docs = [orjson.loads(bodies[r[1]]) for r in page if r[1] in bodies]
        return SearchPage(docs, total, next_token, prev_token)

    def _page_select(self, plan: SearchPlan) -> Any:
        return select(S.skey, S.pk, *plan.sort_columns())

    def _finish_page(self, stmt: Any, plan: SearchPlan) -> Any:
        keyset = keyset_condition(plan)
        if keyset is not None:
            stmt = stmt.where(keyset)
        backward = plan.token is not None and plan.token.direction == "prev"
        return stmt.order_by(*order_by(plan, backward)).limit(plan.limit + 1)

    def _window_index_bound(self, conn: Connection, plan: SearchPlan) -> list[Any]:
        """``t_start >= window.start - longest span``: exact-preserving, and lets a B-tree on
        t_start bound both ends of a time-window search."""
        if plan.window is None or plan.window.start is None:
            return []
        st = collection_stats.c
        stmt = select(func.coalesce(func.max(st.max_span_us), 0))
        if plan.collections:
            stmt = stmt.where(st.collection.in_(plan.collections))
        span = int(conn.execute(stmt).scalar_one())
        return [S.t_start >= plan.window.start - timedelta(microseconds=span)]

    def _simple_count(self, conn: Connection, plan: SearchPlan) -> int:
        st = collection_stats.c
        stmt = select(func.coalesce(func.sum(st.item_count), 0))
        if plan.collections:
            stmt = stmt.where(st.collection.in_(plan.collections))
        return int(conn.execute(stmt).scalar_one())

    def queryable_summaries(self, collection_id: str | None = None) -> dict[str, dict[str, Any]]:
        docs = [self.get_collection(collection_id)] if collection_id else self.list_collections()
        out: dict[str, dict[str, Any]] = {}
        for doc in docs:
            for name, summary in (doc.get("summaries") or {}).items():
                schema = _summary_schema(summary)
                if schema is None:
                    continue
                if name in out and "enum" in out[name] and "enum" in schema:
                    merged = out[name]["enum"] + [v for v in schema["enum"] if v not in out[name]["enum"]]
                    out[name] = {**out[name], "enum": merged}
                else:
                    out.setdefault(name, schema)
        return out


def _summary_schema(summary: Any) -> dict[str, Any] | None:
    if isinstance(summary, list) and summary and all(isinstance(v, str | int | float) for v in summary):
        kind = "string" if all(isinstance(v, str) for v in summary) else "number"
        return {"type": kind, "enum": list(summary)}
    if isinstance(summary, dict) and "minimum" in summary and "maximum" in summary:
        return {"type": "number", "minimum": summary["minimum"], "maximum": summary["maximum"]}
    return None
