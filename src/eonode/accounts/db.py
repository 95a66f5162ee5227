"""Connections of the accounts store: the node's database, opened with its own small pools.

SQLite: one writer connection (``BEGIN IMMEDIATE``, so write transactions of the accounts and
the catalogue queue on the database lock instead of deadlocking) and a few readers.
PostgreSQL: one pooled engine; counters commit without waiting for the WAL flush.

Request counters change every second on a busy node. On SQLite they live in a file of their own
(``counters.sqlite`` beside the catalogue): a write to the catalogue file makes every reader
connection drop its page cache, and the catalogue's readers should keep theirs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from eonode.db.engine import postgres_engine, sqlite_engine, sqlite_path
from eonode.errors import DatabaseError

# The same table as migration 0002 makes in PostgreSQL (a counter file needs no migrations: it
# holds only the current minute's counts and may be deleted at any time).
COUNTERS_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rate_counters "
    '(key TEXT NOT NULL, "window" BIGINT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (key, "window"))'
)


class AccountDb:
    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self._write_engine: Engine = sqlite_engine(url, writer=True, pool_size=1, cache_mib=4)
            self._read_engine: Engine = sqlite_engine(url, writer=False, pool_size=pool_size, cache_mib=4)
        else:
            self._write_engine = self._read_engine = postgres_engine(url, pool_size=pool_size)
        # SQLite has one writer connection: threads queue here rather than time out in the pool.
        self._write_lock: AbstractContextManager[object] = threading.Lock() if self.sqlite else nullcontext()
        self._counter_engine: Engine | None = None
        self._counter_lock = threading.Lock()
        if self.sqlite:
            path = sqlite_path(url).with_name("counters.sqlite")
            self._counter_engine = sqlite_engine(f"sqlite:///{path}", writer=True, pool_size=1, cache_mib=2)
            with self._counter_engine.connect() as conn, conn.begin():
                conn.exec_driver_sql(COUNTERS_SCHEMA)

    def close(self) -> None:
        if self._counter_engine is not None:
            self._counter_engine.dispose()
        self._read_engine.dispose()
        if self._write_engine is not self._read_engine:
            self._write_engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self._read_engine.connect() as conn, conn.begin():
                yield conn
        except OperationalError as exc:
            raise DatabaseError(f"the accounts database is unavailable: {exc.orig}") from None

    @contextmanager
    def write(self, *, relaxed: bool = False) -> Iterator[Connection]:
        """A write transaction; ``relaxed`` (counters) may lose its last commit in a crash on PostgreSQL."""
        try:
            with self._write_lock, self._write_engine.connect() as conn, conn.begin():
                if relaxed and not self.sqlite:
                    conn.execute(text("SET LOCAL synchronous_commit = off"))
                yield conn
        except OperationalError as exc:
            raise DatabaseError(f"the accounts database is unavailable: {exc.orig}") from None

    @contextmanager
    def counting(self) -> Iterator[Connection]:
        """A transaction on the request counters (their own file on SQLite)."""
        if self._counter_engine is None:
            with self.write(relaxed=True) as conn:
                yield conn
            return
        try:
            with self._counter_lock, self._counter_engine.connect() as conn, conn.begin():
                yield conn
        except OperationalError as exc:
            raise DatabaseError(f"the counters database is unavailable: {exc.orig}") from None
