"""Nodes filled with realistic demo products: generated packages, ingested for real."""

from __future__ import annotations

from pathlib import Path

from eonode.demo.packages import generate
from eonode.node import Node


def ingest_demo(node: Node, folder: Path, *, count: int, seed: int, families: tuple[str, ...] | None = None) -> None:
    """Generate ``count`` deterministic packages into ``folder`` and ingest them into ``node``."""
    ingester = node.ingester()
    for path in generate(folder, count=count, seed=seed, families=families):
        ingester.ingest(path)
