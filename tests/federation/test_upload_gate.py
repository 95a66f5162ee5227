"""The parent's transfer slots for child nodes: waiting children are admitted highest agreement
priority first (in arrival order within a priority), one that waits too long is refused with a
time to come back, and at the API only downloads with a node's key are gated."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient

from eonode.accounts.tokens import new_api_key
from eonode.api.app import create_app
from eonode.demo.synthetic import populate
from eonode.federation.agreement import Agreement
from eonode.federation.upload_gate import GateBusy, Slot, UploadGate
from eonode.node import Node
from eonode.settings import load_settings

T = TypeVar("T")


def run(scenario: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: a browser test's event loop may still be running in
    this one (Playwright's sync API keeps one for its session)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario).result()


def test_waiters_are_admitted_by_priority_then_arrival() -> None:
    async def scenario() -> list[str]:
        gate = UploadGate(2, wait_seconds=5)
        held = [await gate.acquire(0), await gate.acquire(0)]
        admitted: list[str] = []

        async def child(name: str, priority: int) -> None:
            slot = await gate.acquire(priority)
            admitted.append(name)
            await asyncio.sleep(0.01)
            slot.release()

        waiting = []
        for name, priority in [("low-1", 0), ("high-1", 5), ("mid", 2), ("high-2", 5), ("low-2", 0)]:
            waiting.append(asyncio.create_task(child(name, priority)))
            await asyncio.sleep(0)  # each is in line before the next arrives
        assert gate.waiting == 5 and gate.busy == 2
        held[0].release()  # one slot at a time: the order is the gate's, not the scheduler's
        await asyncio.sleep(0.005)
        await asyncio.gather(*waiting)
        held[1].release()
        assert gate.busy == 0 and gate.waiting == 0
        return admitted

    assert run(scenario()) == ["high-1", "high-2", "mid", "low-1", "low-2"]


def test_a_request_that_gets_no_slot_in_time_is_refused_and_leaves_the_line() -> None:
    async def scenario() -> None:
        gate = UploadGate(1, wait_seconds=0.05, retry_after=3)
        slot = await gate.acquire(0)
        with pytest.raises(GateBusy) as refused:
            await gate.acquire(9)
        assert refused.value.retry_after == 3 and "busy" in str(refused.value)
        assert gate.waiting == 0
        slot.release()
        slot.release()  # twice changes nothing
        assert gate.busy == 0
        again = await asyncio.wait_for(gate.acquire(0), 1)  # the slot was kept, not given to the one that left
        assert gate.busy == 1
        again.release()

    run(scenario())


def test_a_cancelled_waiter_passes_its_slot_on() -> None:
    async def scenario() -> None:
        gate = UploadGate(1, wait_seconds=5)
        first = await gate.acquire(0)
        leaving = asyncio.create_task(gate.acquire(5))
        staying = asyncio.create_task(gate.acquire(1))
        await asyncio.sleep(0)
        leaving.cancel()
        first.release()
        slot = await asyncio.wait_for(staying, 1)
        assert leaving.cancelled() and gate.busy == 1 and gate.waiting == 0
        slot.release()
        assert gate.busy == 0

    run(scenario())


def test_slots_must_exist() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        UploadGate(0, wait_seconds=1)


# -- at the API ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def parent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    root: Path = tmp_path_factory.mktemp("gate")
    node = Node.open(
        load_settings(
            data_dir=root / "node",
            default_data_access="open",
            federation_upload_slots=1,
            federation_upload_wait_seconds=0.3,
        )
    )
    populate(node.catalog, node.blobs, 10, seed=5)
    yield node
    node.close()


def child_key(node: Node, name: str, priority: int) -> str:
    key = new_api_key().secret
    asked = node.children.request(name=name, contact=f"ops@{name}.example.org", key=key)
    node.children.approve(asked.id, Agreement.parse({"mode": "full", "priority": priority}), actor="test")
    return key


def test_only_node_downloads_wait_for_a_slot(parent: Node) -> None:
    key = child_key(parent, "province", 3)
    with TestClient(create_app(parent)) as client:
        item: dict[str, Any] = client.get("/search", params={"limit": 1}).json()["features"][0]
        path = item["assets"]["data"]["href"].split("testserver", 1)[1]
        node_auth = {"Authorization": f"Bearer {key}"}
        assert client.get(path, headers=node_auth).status_code == 200
        gate = client.app.state.upload_gate  # made by the first download with a node's key
        assert isinstance(gate, UploadGate) and gate.slots == 1 and gate.busy == 0
        portal = client.portal
        assert portal is not None
        taken: Slot = portal.call(gate.acquire, 0)
        try:
            busy = client.get(path, headers=node_auth)
            assert busy.status_code == 503, busy.text
            assert busy.json()["code"] == "TransferSlotsBusy" and busy.headers["Retry-After"] == "2"
            assert client.head(path, headers=node_auth).status_code == 200  # a status check moves no bytes
            assert client.get(path).status_code == 200  # users' downloads are not gated
        finally:
            portal.call(lambda: taken.release())
        assert client.get(path, headers=node_auth).status_code == 200
        assert gate.busy == 0, "a finished download gives its slot back"
