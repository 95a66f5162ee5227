"""Reconnection backoff of a child's follower: a connection that brought anything (an event, a
keep-alive, a catch-up page) resets it, so a drop after a healthy period reconnects at once, while
a parent that keeps refusing is tried ever less often. The parent is an ``httpx.MockTransport``
scripted attempt by attempt and the waits are recorded instead of slept."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from eonode.federation import follower as follower_module
from eonode.federation.follower import BACKOFF_CAP, RECONNECT_JITTER, Follower
from eonode.node import Node
from eonode.settings import load_settings

PARENT = "http://parent.test"
Attempt = Callable[[httpx.Request], httpx.Response]


class RecordedWaits(threading.Event):
    """A stop event whose waits are recorded and return at once."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0.0))
        return self.is_set()


class Dropping(httpx.SyncByteStream):
    """A stream body: these bytes, then the connection drops."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        if self.data:
            yield self.data
        raise httpx.ReadError("connection reset by peer")


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def streaming(data: bytes) -> Attempt:
    """The parent answers, opens the stream, sends ``data`` and drops the connection."""

    def attempt(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/federation/me":
            return httpx.Response(200, json={"agreement": {"mode": "metadata"}, "parent": {"last_seq": 0}})
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Dropping(data))

    return attempt


KEEPALIVE = b": ping - 2026-01-01 00:00:00\r\n\r\n"  # what sse-starlette sends every 15 s
HEALTHY = streaming(KEEPALIVE)
SILENT = streaming(b"")  # accepted, then dropped before sending anything


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    opened = Node.open(load_settings(data_dir=tmp_path / "child"))
    yield opened
    opened.close()


def waits_after(node: Node, monkeypatch: pytest.MonkeyPatch, script: list[Attempt]) -> list[float]:
    """Run the follow loop over ``script`` (one entry per connection attempt) and return the
    upper bound of each wait between attempts (the jitter drawn is its maximum)."""
    follower = Follower(node, PARENT, "key")
    stop = follower.stop_event = RecordedWaits()
    attempts = iter(script)
    current: list[Attempt] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/federation/me" or not current:
            step = next(attempts, None)
            if step is None:
                stop.set()
                raise httpx.ConnectError("the script is over", request=request)
            current[:] = [step]
        return current[0](request)

    transport = httpx.MockTransport(handler)
    monkeypatch.setattr(follower, "client", lambda *a, **k: httpx.Client(base_url=PARENT, transport=transport))
    monkeypatch.setattr(follower_module.random, "uniform", lambda low, high: high)
    follower._follow()
    return stop.waits[: len(script)]


def test_a_parent_that_keeps_refusing_is_tried_ever_less_often(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    waits = waits_after(node, monkeypatch, [refused] * 8)
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, BACKOFF_CAP, BACKOFF_CAP, BACKOFF_CAP]


def test_a_drop_after_a_healthy_connection_reconnects_at_once(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    waits = waits_after(node, monkeypatch, [refused] * 6 + [HEALTHY, refused, refused, HEALTHY, HEALTHY])
    assert waits[:6] == [1.0, 2.0, 4.0, 8.0, 16.0, BACKOFF_CAP]
    # the keep-alive showed the connection healthy: no backoff, then a fresh one from the start
    assert waits[6:] == [RECONNECT_JITTER[1], 1.0, 2.0, RECONNECT_JITTER[1], RECONNECT_JITTER[1]]


def test_a_stream_that_drops_before_bringing_anything_backs_off(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    waits = waits_after(node, monkeypatch, [SILENT, SILENT, SILENT, SILENT])
    assert waits == [1.0, 2.0, 4.0, 8.0]
