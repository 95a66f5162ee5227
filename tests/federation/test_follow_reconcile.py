"""No reconciliation while a child catches up: a round is postponed while the follower reads its
parent's feed in pages (more than ``CATCH_UP_BEHIND`` events behind), stops between two buckets
if a catch-up begins meanwhile, and says so in the child's status report. The parent is an
``httpx.MockTransport``; the child's catalogue is a real SQLite one."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from eonode.catalog.testing import make_collection, make_item
from eonode.federation.follower import CATCH_UP_BEHIND, Follower
from eonode.node import Node
from eonode.settings import load_settings

PARENT = "http://parent.test"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def follower(tmp_path: Path) -> Iterator[Follower]:
    node = Node.open(load_settings(data_dir=tmp_path / "child"))
    node.catalog.put_collection(make_collection("gf1-wfv"))
    yield Follower(node, PARENT, "key")
    node.close()


def parent(follower: Follower, monkeypatch: pytest.MonkeyPatch, handler: Handler) -> list[str]:
    """Let ``handler`` answer for the parent; returns the requests it gets, as ``path?query``."""
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path + (f"?{request.url.query.decode()}" if request.url.query else ""))
        return handler(request)

    transport = httpx.MockTransport(answer)
    monkeypatch.setattr(follower, "client", lambda *a, **k: httpx.Client(base_url=PARENT, transport=transport))
    return asked


def unreachable(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the parent was asked for {request.url} during a catch-up")


def test_a_round_is_postponed_while_the_child_catches_up(
    follower: Follower, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    asked = parent(follower, monkeypatch, unreachable)
    follower.catching_up = True
    follower.parent_last = 25_000
    follower.cursor.save(4_000)
    with caplog.at_level(logging.INFO, logger="eonode.federation"):
        report = follower.reconciler.run_once()
    assert asked == []
    assert report.postponed == "the node is catching up with its parent (21000 events behind)"
    assert report.buckets_checked == report.fetched == report.deleted == 0
    assert follower.reconciler.last is None  # no round has run to its end
    assert follower.reporter.report()["reconciliation_postponed"] == report.postponed
    assert "reconciliation postponed: the node is catching up with its parent (21000 events behind)" in caplog.text


def inventory_of_two_days(follower: Follower) -> Handler:
    """A parent holding one item on each of two days, both missing at the child; a catch-up
    begins while the first day is repaired."""
    items = {"A": make_item("A", datetime="2024-05-01T03:00:00Z"), "B": make_item("B", datetime="2024-05-02T03:00:00Z")}
    days = {"2024-05-01": "A", "2024-05-02": "B"}

    def answer(request: httpx.Request) -> httpx.Response:
        path, params = request.url.path, request.url.params
        if path == "/federation/inventory" and "day" not in params:
            buckets = {day: {"count": 1, "digest": f"digest-{day}"} for day in days}
            return httpx.Response(200, json={"collections": {"gf1-wfv": buckets}})
        if path == "/federation/inventory":
            return httpx.Response(200, json={"items": {days[params["day"]]: "v1"}})
        follower.catching_up = True  # the feed has brought news of a burst at the parent
        return httpx.Response(200, json=items[path.rsplit("/", 1)[-1]])

    return answer


def test_a_round_stops_between_buckets_when_a_catch_up_begins(
    follower: Follower, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = parent(follower, monkeypatch, inventory_of_two_days(follower))
    report = follower.reconciler.run_once()
    assert report.postponed is not None and report.postponed.startswith("the node is catching up")
    assert (report.buckets_checked, report.buckets_differing, report.fetched) == (1, 1, 1)
    assert "/federation/inventory?collection=gf1-wfv&day=2024-05-02" not in asked
    assert follower.node.catalog.get_item("gf1-wfv", "A").doc["properties"]["eonode:upstream"] == "v1"

    follower.catching_up = False  # caught up: the next round runs to its end
    report = follower.reconciler.run_once()
    assert report.postponed is None and follower.reconciler.postponed is None
    assert follower.reconciler.last is report
    assert report.buckets_checked == 2 and report.fetched == 1  # B; A is already right


def feed_pages(follower: Follower, pages: list[dict[str, Any]], seen: list[bool]) -> Handler:
    """A parent whose feed gives these pages in turn; ``seen`` records ``catching_up`` at each."""
    left = iter(pages)

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/federation/feed"
        seen.append(follower.catching_up)
        return httpx.Response(200, json=next(left))

    return answer


def page(next_seq: int, *, more: bool, last: int = 5_000) -> dict[str, Any]:
    return {"events": [], "next": next_seq, "more": more, "last": last, "release_at": None}


def test_catching_up_lasts_while_the_feed_is_read_in_pages(follower: Follower, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    pages = [page(2_000, more=True), page(3_500, more=True), page(5_000, more=False)]
    parent(follower, monkeypatch, feed_pages(follower, pages, seen))
    follower.parent_last = 5_000
    with follower.client() as client:
        follower._catch_up(client)
    assert seen == [True, True, True]
    assert follower.cursor.seq == 5_000 and not follower.catching_up


def test_a_feed_held_back_by_an_embargo_is_not_a_catch_up(follower: Follower, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of events under embargo leave the cursor far behind the parent's last sequence
    number for days: reconciliation must not wait for them (the inventory leaves them out too)."""
    seen: list[bool] = []
    held = {**page(1_200, more=False), "release_at": "2030-01-01T00:00:00+00:00"}
    parent(follower, monkeypatch, feed_pages(follower, [held], seen))
    follower.parent_last = 5_000
    with follower.client() as client:
        follower._catch_up(client)
    assert seen == [True]
    assert follower.parent_last - follower.cursor.seq > CATCH_UP_BEHIND and not follower.catching_up
    assert follower.reconciler.busy() is None
