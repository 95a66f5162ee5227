"""Data a node does not hold, fetched when a user asks — through two levels of nodes — and a
child's storage quota: least recently downloaded copies are evicted, metadata stays, and an
evicted product comes back on demand. Real node processes over loopback."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from shapely.geometry import mapping

from eonode.geo.countries import country
from eonode.node import Node
from eonode.settings import load_settings
from tests.demo_nodes import ingest_demo
from tests.federation.test_network import ADMIN, eonode, ids, wait_for
from tests.server.conftest import NodeProcess, start_node

pytestmark = [pytest.mark.server]
QUOTA_BYTES = 400_000  # a few of the demo packages (about 110 KB each) fit


@dataclass
class Tree:
    main: NodeProcess
    sub: NodeProcess  # fetches on demand, South America
    low: NodeProcess  # under sub, fetches on demand
    small: NodeProcess  # full copies of China within a small quota


def _join(parent: NodeProcess, data_dir: Path, name: str, agreement: dict[str, object]) -> None:
    eonode(
        "node",
        "join",
        "--parent",
        parent.url,
        "--name",
        name,
        "--contact",
        f"ops@{name}.example.org",
        "--data-dir",
        str(data_dir),
    )
    listed = httpx.get(f"{parent.url}/admin/nodes", headers=ADMIN, trust_env=False).json()["nodes"]
    child = next(n for n in listed if n["name"] == name)
    approved = httpx.post(
        f"{parent.url}/admin/nodes/{child['id']}/approve", json={"agreement": agreement}, headers=ADMIN, trust_env=False
    )
    assert approved.status_code == 200, approved.text


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tree]:
    root: Path = tmp_path_factory.mktemp("fetch-through")
    opened = Node.open(load_settings(data_dir=root / "main"))
    ingest_demo(opened, root / "packages", count=60, seed=21)
    opened.close()
    fast = {"EONODE_STATUS_SECONDS": "1"}
    started: list[NodeProcess] = []
    try:
        main = start_node(root / "main")
        started.append(main)
        _join(main, root / "sub", "sub", {"territory": ["BR", "AR"], "mode": "on_demand"})
        sub = start_node(root / "sub", env=fast)
        started.append(sub)
        _join(sub, root / "low", "low", {"territory": ["BR"], "mode": "on_demand"})
        low = start_node(root / "low", env=fast)
        started.append(low)
        _join(main, root / "small", "small", {"territory": ["CN"], "mode": "full"})
        small = start_node(root / "small", env={**fast, "EONODE_STORAGE_QUOTA_GIB": str(QUOTA_BYTES / 1024**3)})
        started.append(small)
        yield Tree(main, sub, low, small)
    finally:
        for node in reversed(started):
            node.stop()


def _download(url: str, seconds: float = 60.0) -> tuple[bytes, list[str]]:
    """GET until the data is there; returns it and the progress reported meanwhile."""
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while True:
        reply = httpx.get(url, headers=ADMIN, trust_env=False)
        if reply.status_code == 200:
            return reply.content, seen
        assert reply.status_code == 503, reply.text
        assert reply.json()["code"] == "FetchingUpstream" and int(reply.headers["Retry-After"]) >= 1
        seen.append(reply.headers["X-Eonode-Progress"])
        assert time.monotonic() < deadline, f"still not fetched: {reply.text}"
        time.sleep(0.3)


def test_a_download_cascades_up_two_levels(tree: Tree) -> None:
    brazil = ids(tree.main.url, {"intersects": mapping(country("BR").geometry)})
    assert brazil, "the demo data should have products in Brazil"
    wait_for(lambda: ids(tree.low.url) == brazil, what="low catching up")
    item = httpx.post(f"{tree.low.url}/search", json={"limit": 1}, trust_env=False).json()["features"][0]
    assert item["properties"]["eonode:availability"] == "remote"
    data = item["assets"]["data"]
    assert data["href"].startswith(tree.low.url), "users download from their own node"
    body, progress = _download(data["href"])
    assert progress, "the first answers report the fetch under way"
    assert "1220" + hashlib.sha256(body).hexdigest() == data["file:checksum"]
    for node in (tree.sub, tree.low):  # both levels now hold a verified copy
        here = httpx.get(f"{node.url}/collections/{item['collection']}/items/{item['id']}", trust_env=False).json()
        assert here["properties"]["eonode:availability"] == "online"
    # a range request on the copy works like any other download
    ranged = httpx.get(data["href"], headers={**ADMIN, "Range": "bytes=10-19"}, trust_env=False)
    assert ranged.status_code == 206 and ranged.content == body[10:20]


def test_the_quota_evicts_least_recently_used_copies(tree: Tree) -> None:
    china = ids(tree.main.url, {"intersects": mapping(country("CN").geometry)})
    assert len(china) >= 6
    wait_for(lambda: ids(tree.small.url) == china, what="small catching up")

    def settled() -> dict[str, str] | None:
        found = httpx.post(f"{tree.small.url}/search", json={"limit": 500}, headers=ADMIN, trust_env=False).json()[
            "features"
        ]
        states = {f["id"]: f["properties"].get("eonode:availability") for f in found}
        evicted = [f for f in found if "eonode:evicted" in f["properties"]]
        online = [i for i, s in states.items() if s == "online"]
        return states if online and evicted and len(online) + len(evicted) == len(found) else None

    states = wait_for(settled, 60, "copies within the quota")
    found = httpx.post(f"{tree.small.url}/search", json={"limit": 500}, headers=ADMIN, trust_env=False).json()
    blob_dir = tree.small.data_dir / "blobs"

    def blob_of(feature: dict[str, Any]) -> Path:
        sha = feature["assets"]["data"]["file:checksum"][4:]
        return blob_dir / sha[:2] / sha[2:4] / sha

    held = [f for f in found["features"] if states[f["id"]] == "online"]
    assert sum(f["assets"]["data"]["file:size"] for f in held) <= QUOTA_BYTES
    assert all(blob_of(f).exists() for f in held)
    kept = [f for f in found["features"] if states[f["id"]] != "online" and blob_of(f).exists()]
    assert not kept, [(f["id"], f["properties"].get("eonode:evicted")) for f in kept]
    # an evicted product keeps its metadata and quicklook, and comes back when asked for
    evicted_id = next(i for i, s in states.items() if s != "online")
    doc = httpx.get(f"{tree.small.url}/search?ids={evicted_id}", trust_env=False).json()["features"][0]
    thumb = httpx.get(doc["assets"]["thumbnail"]["href"], trust_env=False)
    assert thumb.status_code == 200 and thumb.content
    body, _ = _download(doc["assets"]["data"]["href"])
    assert "1220" + hashlib.sha256(body).hexdigest() == doc["assets"]["data"]["file:checksum"]
    back = httpx.get(f"{tree.small.url}/search?ids={evicted_id}", trust_env=False).json()["features"][0]
    assert back["properties"]["eonode:availability"] == "online" and "eonode:evicted" not in back["properties"]
    # the one just downloaded is the most recently used: making room again evicts others first
    report = wait_for(
        lambda: next(
            (
                c["report"]
                for c in httpx.get(f"{tree.main.url}/admin/nodes/tree", headers=ADMIN, trust_env=False).json()[
                    "children"
                ]
                if c["name"] == "small" and c["report"].get("evicted")
            ),
            None,
        ),
        15,
        "evictions in the status report",
    )
    assert report["evicted"] >= 1
    link = orjson.loads((tree.small.data_dir / "federation" / "parent.json").read_bytes())
    assert link["parent"] == tree.main.url
