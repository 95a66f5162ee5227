"""The federation stream wakes as soon as its own process commits a change, and still finds
changes committed by another process (``eonode ingest``) by its slower poll. A real node app
under uvicorn in a thread, a real approved child key, a real SQLite catalogue."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import uvicorn
from httpx_sse import connect_sse

from eonode.accounts.tokens import new_api_key
from eonode.api.app import create_app
from eonode.api.federation import POLL_SECONDS
from eonode.catalog.testing import make_collection, make_item
from eonode.federation.agreement import Agreement
from eonode.node import Node
from eonode.settings import load_settings
from tests.federation.netkit import wait_for
from tests.server.conftest import free_port


class Served:
    def __init__(self, node: Node, key: str, url: str) -> None:
        self.node, self.key, self.url = node, key, url


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    node = Node.open(load_settings(data_dir=tmp_path / "main"))
    node.catalog.put_collection(make_collection("gf1-wfv"))
    key = new_api_key().secret
    asked = node.children.request(name="sub", contact="ops@sub.example.org", key=key)
    node.children.approve(asked.id, Agreement.parse({"mode": "metadata"}), actor="test")
    port = free_port()
    config = uvicorn.Config(create_app(node), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-node", daemon=True)
    thread.start()
    wait_for(lambda: server.started, 20, "the node serving", every=0.01)
    try:
        yield Served(node, key, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(20)
        node.close()


def arrivals(served: Served, writer: Node, count: int) -> list[float]:
    """Seconds from each commit through ``writer`` to its event on an open stream; each commit is
    made just after the stream delivered the previous event (so a poll has just looked)."""
    took: list[float] = []
    headers = {"Authorization": f"Bearer {served.key}"}
    with httpx.Client(base_url=served.url, headers=headers, timeout=30, trust_env=False) as client:
        since = served.node.catalog.last_seq()
        with connect_sse(client, "GET", "/federation/stream", params={"since": since}) as source:
            source.response.raise_for_status()
            events = source.iter_sse()
            for k in range(count):
                committed = time.monotonic()
                writer.catalog.put_item(make_item(f"PUSH-{k}"))
                sse = next(e for e in events if e.event == "change")
                took.append(time.monotonic() - committed)
                assert orjson.loads(sse.data)["item"] == f"PUSH-{k}"
    return took


def test_a_commit_in_the_same_process_wakes_the_stream_at_once(served: Served) -> None:
    took = arrivals(served, served.node, 4)
    print(f"\npush latencies {[round(t, 3) for t in took]} s (fallback poll {POLL_SECONDS} s)")
    assert max(took) < POLL_SECONDS / 2, took


def test_a_commit_by_another_process_is_found_by_the_poll(served: Served, tmp_path: Path) -> None:
    other = Node.open(load_settings(data_dir=tmp_path / "main"), migrate=False)  # as `eonode ingest` would
    try:
        took = arrivals(served, other, 2)
    finally:
        other.close()
    print(f"\nlatencies of another process's commits {[round(t, 3) for t in took]} s")
    assert max(took) < POLL_SECONDS + 2, took
