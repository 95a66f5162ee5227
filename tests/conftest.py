"""Shared fixtures: real SQLite files, a real PostgreSQL+PostGIS database, real servers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get("EONODE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).one()
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of the test PostgreSQL; in CI its absence is a failure, not a skip."""
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL with PostGIS is required (run scripts/test, which installs it)")
        pytest.skip("PostgreSQL with PostGIS is not available")
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def pg_database_factory(pg_server: str) -> Iterator[object]:
    """Creates throw-away databases (dropped at the end of the session)."""
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"eonode_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return pg_server.rsplit("/", 1)[0] + f"/{name}"

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
