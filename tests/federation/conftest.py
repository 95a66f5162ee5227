"""Fixtures shared by the node-network tests (real node processes on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eonode.demo.synthetic import collections
from tests.federation.netkit import NodeRun, create_collections


@pytest.fixture
def main(tmp_path: Path) -> Iterator[NodeRun]:
    """A running main node with the demo collections (and no items)."""
    node = NodeRun("main", tmp_path / "main").start()
    create_collections(node, collections())
    yield node
    node.stop()
