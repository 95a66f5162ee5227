"""What both SQL backends share above the plumbing: collections, item reads, the change feed and
the search skeleton. Backends supply the access path for spatial search and how JSON and geometry
are read (see ``sqlite.py`` and ``postgis.py``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, delete, func, insert, select, update

from eonode.catalog.documents import etag_of, prepare_collection
from eonode.catalog.pagination import PageToken, encode
from eonode.catalog.sqlsearch import SearchPlan, build_plan, keyset_condition, order_by
from eonode.catalog.sqlwrites import ItemWrites
from eonode.catalog.store import ChangeEvent, Doc, EventOp, SearchPage, StoredItem, WriteResult
from eonode.db.tables import collection_stats, collections, events, feed_counter, item_search, items
from eonode.errors import AlreadyExists, CollectionNotFound, PreconditionFailed
from eonode.models.search import SearchQuery

S = item_search.c
I = items.c  # noqa: E741


def _dumps(doc: Doc) -> str:
    return orjson.dumps(doc).decode()


class SqlCatalogStore(ItemWrites):
    # -- collections ----------------------------------------------------------------------------
    def list_collections(self) -> list[Doc]:
        with self._reading() as conn:
            rows = conn.execute(select(collections.c.body).order_by(collections.c.id)).scalars().all()
        return [orjson.loads(b) for b in rows]

    def collection_ids(self) -> list[str]:
        with self._reading() as conn:
            return list(conn.execute(select(collections.c.id).order_by(collections.c.id)).scalars())

    def get_collection(self, collection_id: str) -> Doc:
        with self._reading() as conn:
            body = conn.execute(
                select(collections.c.body).where(collections.c.id == collection_id)
            ).scalar_one_or_none()
        if body is None:
            raise CollectionNotFound(f"collection {collection_id!r} not found")
        return orjson.loads(body)  # type: ignore[no-any-return]

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
            row = self._item_row(conn, collection_id, item_id, I.body, I.etag, I.updated)
        return StoredItem(orjson.loads(row.body), row.etag, row.updated)

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
        # An offset page is the tail of a longer first page: the same plan, the same order.
        skip = query.offset if query.token is None else 0
        plan = build_plan(replace(query, limit=query.limit + skip) if skip else query, self._columns())
        with self._reading() as conn:
            total, rows = self._run_search(conn, plan)
            rows = rows[skip:]
            backward = plan.token is not None and plan.token.direction == "prev"
            more = len(rows) > query.limit
            page = list(rows[: query.limit])
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
            if (plan.token is not None and not backward) or (backward and more) or skip:
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

    def queryable_summaries(
        self, collection_id: str | None = None, *, within: Collection[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        docs = [self.get_collection(collection_id)] if collection_id else self.list_collections()
        if within is not None:
            docs = [d for d in docs if d.get("id") in within]
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
