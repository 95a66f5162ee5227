"""The plumbing both SQL backends share: engines, transactions, feed numbers, backend hooks."""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, Table, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import SQLAlchemyError as _SAError

from eonode.catalog.documents import PreparedItem
from eonode.catalog.sqlsearch import SearchColumns, SearchPlan
from eonode.catalog.store import CatalogStore, CommitListener
from eonode.db.tables import collections, feed_counter, item_search, items
from eonode.errors import CollectionNotFound, DatabaseError, EonodeError, ItemNotFound
from eonode.models.temporal import from_micros


@dataclass(slots=True)
class _Tx:
    last_seq: int = 0


class SqlBase(CatalogStore):
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

    def _collection_row(self, conn: Connection, collection_id: str) -> Any:
        return conn.execute(
            select(collections.c.id, collections.c.etag).where(collections.c.id == collection_id)
        ).first()

    def _item_row(self, conn: Connection, collection_id: str, item_id: str, *columns: Any) -> Any:
        """These columns of an item's row (search row joined to document), or the right NotFound."""
        row = conn.execute(
            select(*columns)
            .select_from(item_search.join(items, items.c.pk == item_search.c.pk))
            .where(item_search.c.id == item_id, item_search.c.collection == collection_id)
        ).first()
        if row is None:
            if self._collection_row(conn, collection_id) is None:
                raise CollectionNotFound(f"collection {collection_id!r} not found")
            raise ItemNotFound(f"item {item_id!r} not found in collection {collection_id!r}")
        return row
