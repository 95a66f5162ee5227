"""Connections of the accounts store: the node's database, opened with its own small pools.

SQLite: one writer connection (``BEGIN IMMEDIATE``, so write transactions of the accounts and
the catalogue queue on the database lock instead of deadlocking) and a few readers.
PostgreSQL: one pooled engine; counters commit without waiting for the WAL flush.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from eonode.db.engine import postgres_engine, sqlite_engine
from eonode.errors import DatabaseError


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

    def close(self) -> None:
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
