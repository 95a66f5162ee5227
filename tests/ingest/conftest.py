"""Nodes on both catalogue backends, and generated packages, for the ingest tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from eonode.node import Node
from eonode.settings import load_settings


def digest_of(path: Path) -> str:
    """sha256 of a file, or of a folder's relative paths and file contents."""
    digest = hashlib.sha256()
    if not path.is_dir():
        digest.update(path.read_bytes())
        return digest.hexdigest()
    for f in sorted(path.rglob("*")):
        digest.update(f.relative_to(path).as_posix().encode())
        if f.is_file():
            digest.update(f.read_bytes())
    return digest.hexdigest()


def open_node(data_dir: Path, database_url: str | None = None, **settings: object) -> Node:
    return Node.open(load_settings(data_dir=data_dir, database_url=database_url, **settings))


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Node]:
    """A node on SQLite, then on PostgreSQL+PostGIS (the same tests on both)."""
    url = None
    if request.param == "postgis":
        factory: Callable[[], str] = request.getfixturevalue("pg_database_factory")
        url = factory()
    opened = open_node(tmp_path / "node", url)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_node(tmp_path: Path) -> Iterator[Node]:
    opened = open_node(tmp_path / "node")
    yield opened
    opened.close()
