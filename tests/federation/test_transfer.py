"""The resumable, verified fetcher against a real HTTP server on loopback that misbehaves on request."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from eonode.federation import transfer_state
from eonode.federation.pacing import Pacer, SystemClock, TransferWindows
from eonode.federation.transfer import (
    ContentMismatch,
    FetchResult,
    TransferCancelled,
    TransferFailed,
    TransferOptions,
    TransferProgress,
    fetch,
)
from eonode.federation.transfer_digest import DigestFollower
from eonode.federation.transfer_http import Verdict, judge, parse_retry_after
from eonode.federation.transfer_state import PartFile
from eonode.federation.transfer_transport import bulk_client
from tests.federation.rangeserver import RangeServer, requested_span, running

KiB = 1024
MiB = 1024 * KiB
FAST = TransferOptions(backoff_base=0.01, backoff_cap=2.0, checkpoint_bytes=64 * KiB, progress_interval=0.0)
PARALLEL = TransferOptions(  # four streams from the start, whatever the speed
    parallel_threshold=256 * KiB,
    parallel=4,
    ramp_seconds=0,
    more_streams_below=float("inf"),
    backoff_base=0.01,
    backoff_cap=2.0,
    checkpoint_bytes=64 * KiB,
)


def payload(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def server() -> Iterator[RangeServer]:
    with running() as srv:
        yield srv


def make_client(kind: str, timeout: float) -> httpx.Client:
    """The engine's own client (urllib3 underneath), or a plain httpx one: fetch() takes either."""
    return bulk_client(timeout=timeout) if kind == "bulk" else httpx.Client(trust_env=False, timeout=timeout)


@pytest.fixture(params=["bulk", "httpx"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    with make_client(request.param, 10) as http:
        yield http


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    return request.node.name.replace("[", "-").replace("]", "")


def get(
    server: RangeServer, name: str, data: bytes, dest: Path, client: httpx.Client, options: TransferOptions = FAST, **kw
) -> FetchResult:
    return fetch(server.url(name), dest, size=len(data), sha256=digest(data), client=client, options=options, **kw)


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.parent.iterdir() if p.name.startswith(dest.name + "."))


def test_small_file_is_one_plain_get(server: RangeServer, client: httpx.Client, tmp_path: Path, name: str) -> None:
    data = payload(300 * KiB + 7)
    hosted = server.host(name, data)
    events: list[TransferProgress] = []
    result = get(server, name, data, tmp_path / "a.bin", client, progress=events.append)

    assert (tmp_path / "a.bin").read_bytes() == data
    assert leftovers(tmp_path / "a.bin") == []
    assert hosted.ranges == [None] and result.requests == 1
    assert (result.received, result.resumed_from) == (len(data), 0)
    states = [e.state for e in events]
    assert states[0] == "queued" and states[-2:] == ["verifying", "verified"] and "transferring" in states
    assert events[-1].done == events[-1].total == len(data)


def test_large_file_comes_in_parallel_ranges(
    server: RangeServer, client: httpx.Client, tmp_path: Path, name: str
) -> None:
    data = payload(MiB + 3)
    hosted = server.host(name, data)
    result = get(server, name, data, tmp_path / "big.bin", client, options=PARALLEL)

    assert (tmp_path / "big.bin").read_bytes() == data
    assert (result.requests, result.streams, result.received) == (4, 4, len(data))
    assert len(hosted.statuses) == 4 and set(hosted.statuses) == {206}
    spans = sorted(requested_span(r, len(data)) for r in hosted.ranges)
    assert spans[0][0] == 0 and spans[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))  # they tile the file


def test_a_big_file_over_a_fast_link_is_one_request(
    server: RangeServer, client: httpx.Client, tmp_path: Path, name: str
) -> None:
    """Extra streams would cost both ends a core and buy nothing: one request carries it all."""
    data = payload(2 * MiB)
    hosted = server.host(name, data)
    options = TransferOptions(parallel_threshold=256 * KiB, parallel=4, ramp_seconds=5, more_streams_below=MiB)
    result = get(server, name, data, tmp_path / "fast.bin", client, options=options)

    assert (tmp_path / "fast.bin").read_bytes() == data
    assert (result.requests, result.streams) == (1, 1)
    assert hosted.ranges == [f"bytes=0-{len(data) - 1}"] and hosted.statuses == [206]


def test_a_slow_stream_turns_parallel(server: RangeServer, client: httpx.Client, tmp_path: Path, name: str) -> None:
    """One stream at 1 MiB/s (a long, lossy link): after the ramp the rest is shared by four."""
    data = payload(4 * MiB)
    hosted = server.host(name, data, rate=MiB)  # per response: four streams are four times as fast
    options = TransferOptions(
        parallel_threshold=256 * KiB, parallel=4, ramp_seconds=0.3, more_streams_below=2 * MiB, range_bytes=256 * KiB
    )
    result = get(server, name, data, tmp_path / "slow.bin", client, options=options)

    assert (tmp_path / "slow.bin").read_bytes() == data and result.received == len(data)
    assert result.streams == 4 and result.requests > 4
    assert hosted.ranges[0] == f"bytes=0-{len(data) - 1}"  # it began as one stream …
    later = [requested_span(r, len(data)) for r in hosted.ranges[1:]]
    assert all(end - start <= 256 * KiB for start, end in later)  # … and went on in pieces


@pytest.mark.parametrize("options", [FAST, PARALLEL], ids=["single", "parallel"])
def test_resumes_after_a_dropped_connection(
    server: RangeServer, client: httpx.Client, tmp_path: Path, name: str, options: TransferOptions
) -> None:
    data = payload(MiB)
    hosted = server.host(name, data, drop_after=100 * KiB, drops=2)
    result = get(server, name, data, tmp_path / "d.bin", client, options=options)

    assert (tmp_path / "d.bin").read_bytes() == data
    assert result.received == len(data) == hosted.served  # nothing fetched twice
    assert result.requests == len(hosted.ranges) >= 3
    if options is FAST:
        assert hosted.ranges[:2] == [None, f"bytes={100 * KiB}-"]


@pytest.mark.parametrize("kind", ["bulk", "httpx"])
def test_a_stalled_response_times_out_and_resumes(server: RangeServer, tmp_path: Path, name: str, kind: str) -> None:
    data = payload(200 * KiB)
    hosted = server.host(name, data, stall=2.0)
    with make_client(kind, 0.3) as impatient:
        result = get(server, name, data, tmp_path / "t.bin", impatient)
    assert (tmp_path / "t.bin").read_bytes() == data
    assert hosted.ranges[0] is None and hosted.ranges[1].startswith("bytes=") and result.requests == 2


CHILD = """
import sys
from pathlib import Path
from eonode.federation.transfer import TransferOptions, fetch
from eonode.federation.transfer_transport import bulk_client
url, dest, size, sha, threshold = sys.argv[1:]
opts = TransferOptions(parallel_threshold=int(threshold), checkpoint_bytes=32 * 1024, checkpoint_seconds=0.05)
with bulk_client() as client:
    fetch(url, Path(dest), size=int(size), sha256=sha, client=client, options=opts)
"""


@pytest.mark.parametrize("threshold", [64 * MiB, 256 * KiB], ids=["single", "parallel"])
def test_resumes_after_kill_9(
    server: RangeServer, client: httpx.Client, tmp_path: Path, name: str, threshold: int
) -> None:
    data = payload(2 * MiB, seed=9)
    hosted = server.host(name, data, rate=1.5 * MiB if threshold > len(data) else 0.5 * MiB)  # per response
    dest = tmp_path / "k.bin"
    args = [server.url(name), str(dest), str(len(data)), digest(data), str(threshold)]
    child = subprocess.Popen([sys.executable, "-c", CHILD, *args])
    deadline = time.monotonic() + 15
    while hosted.served < len(data) // 3 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    assert child.wait(10) == -signal.SIGKILL
    time.sleep(0.2)  # let the server see the dead connections; their bytes count for the first run
    first_requests = len(hosted.sent)
    state = json.loads((tmp_path / "k.bin.part.json").read_text())
    assert state["sha256"] == digest(data) and state["written"]

    hosted.misbehaviour.rate = None
    result = get(server, name, data, dest, client, options=PARALLEL if threshold < MiB else FAST)
    second = sum(hosted.sent[first_requests:])
    assert dest.read_bytes() == data and leftovers(dest) == []
    assert 0 < result.resumed_from <= sum(hosted.sent[:first_requests])
    assert second == result.received == len(data) - result.resumed_from < len(data)


def test_sha256_mismatch_keeps_nothing(server: RangeServer, client: httpx.Client, tmp_path: Path, name: str) -> None:
    data = payload(200 * KiB)
    server.host(name, data, corrupt=True)
    events: list[TransferProgress] = []
    with pytest.raises(ContentMismatch) as caught:
        get(server, name, data, tmp_path / "c.bin", client, progress=events.append)

    assert caught.value.reason.startswith(f"sha256 mismatch: expected {digest(data)}, got ")
    assert not (tmp_path / "c.bin").exists() and leftovers(tmp_path / "c.bin") == []
    assert events[-1].state == "failed" and events[-1].reason == caught.value.reason


def test_size_mismatch_is_reported(server: RangeServer, client: httpx.Client, tmp_path: Path, name: str) -> None:
    data = payload(10 * KiB)
    server.host(name, data + b"extra")
    with pytest.raises(ContentMismatch, match="size mismatch: expected 10240 bytes, the server has 10245"):
        get(server, name, data, tmp_path / "s.bin", client)
    assert leftovers(tmp_path / "s.bin") == []


def test_404_is_permanent_and_not_retried(server: RangeServer, client: httpx.Client, tmp_path: Path, name: str) -> None:
    data = payload(KiB)
    hosted = server.host(name, data, status=404)
    with pytest.raises(TransferFailed) as caught:
        get(server, name, data, tmp_path / "n.bin", client)
    assert caught.value.permanent and "404" in caught.value.reason
    assert len(hosted.ranges) == 1
    assert leftovers(tmp_path / "n.bin") == []  # nothing will resume it


def test_503_with_retry_after_is_waited_out(
    server: RangeServer, client: httpx.Client, tmp_path: Path, name: str
) -> None:
    data = payload(50 * KiB)
    hosted = server.host(name, data, unavailable=1, retry_after="1")
    started = time.monotonic()
    get(server, name, data, tmp_path / "r.bin", client)
    assert time.monotonic() - started >= 1.0
    assert hosted.statuses == [503, 200]


def test_retry_after_beyond_the_cap_is_handed_back(
    server: RangeServer, client: httpx.Client, tmp_path: Path, name: str
) -> None:
    data = payload(KiB)
    server.host(name, data, unavailable=5, retry_after="600")
    with pytest.raises(TransferFailed) as caught:
        get(server, name, data, tmp_path / "l.bin", client)
    assert not caught.value.permanent and caught.value.retry_after == 600
    assert "retry in 600 s" in caught.value.reason


def test_gives_up_after_max_attempts(server: RangeServer, client: httpx.Client, tmp_path: Path, name: str) -> None:
    data = payload(KiB)
    hosted = server.host(name, data, status=502)
    options = TransferOptions(max_attempts=3, backoff_base=0.01)
    with pytest.raises(TransferFailed, match=r"HTTP 502 .*gave up after 3 attempts") as caught:
        get(server, name, data, tmp_path / "g.bin", client, options=options)
    assert not caught.value.permanent and len(hosted.ranges) == 3
    assert leftovers(tmp_path / "g.bin") == ["g.bin.part", "g.bin.part.json"]  # a later attempt resumes


@pytest.mark.parametrize("options", [FAST, PARALLEL], ids=["single", "parallel"])
def test_server_ignoring_range_restarts_from_zero(
    server: RangeServer, client: httpx.Client, tmp_path: Path, name: str, options: TransferOptions
) -> None:
    data = payload(MiB, seed=3)
    hosted = server.host(name, data, ignore_range=True, drop_after=300 * KiB)
    get(server, name, data, tmp_path / "i.bin", client, options=options)
    assert (tmp_path / "i.bin").read_bytes() == data
    assert hosted.ranges[-1] is None and hosted.statuses[-1] == 200  # the last request took everything


def test_wrong_content_range_is_an_error(server: RangeServer, client: httpx.Client, tmp_path: Path, name: str) -> None:
    data = payload(MiB)
    server.host(name, data, wrong_content_range=True)
    with pytest.raises(TransferFailed, match="206 with Content-Range") as caught:
        get(server, name, data, tmp_path / "w.bin", client, options=PARALLEL)
    assert caught.value.permanent


def test_judging_answers() -> None:
    def answer(status: int, **headers: str) -> Verdict:
        return judge(httpx.Response(status, headers=headers), start=100, end=200, size=1000).verdict

    assert answer(206, **{"Content-Range": "bytes 100-199/1000"}) is Verdict.READ
    assert answer(206, **{"Content-Range": "bytes 100-199/999"}) is Verdict.MISMATCH
    assert answer(206, **{"Content-Range": "bytes 0-99/1000"}) is Verdict.FAIL
    assert answer(416, **{"Content-Range": "bytes */50"}) is Verdict.MISMATCH
    assert answer(200) is Verdict.RANGES_IGNORED
    assert answer(429, **{"Retry-After": "3"}) is Verdict.RETRY
    assert answer(403) is Verdict.FAIL
    assert answer(206, **{"Content-Range": "bytes 100-199/1000", "Content-Encoding": "gzip"}) is Verdict.FAIL
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", datetime(2015, 10, 21, 7, 27, tzinfo=UTC)) == 60


def test_cancel_checkpoints_and_resumes(server: RangeServer, client: httpx.Client, tmp_path: Path, name: str) -> None:
    data = payload(MiB, seed=4)
    server.host(name, data, rate=4 * MiB)
    cancel = threading.Event()

    events: list[TransferProgress] = []

    def on_progress(event: TransferProgress) -> None:
        events.append(event)
        if event.done >= 200 * KiB:
            cancel.set()

    with pytest.raises(TransferCancelled):
        get(server, name, data, tmp_path / "x.bin", client, cancel=cancel, progress=on_progress)
    assert events[-1].state == "cancelled"
    assert leftovers(tmp_path / "x.bin") == ["x.bin.part", "x.bin.part.json"]
    result = get(server, name, data, tmp_path / "x.bin", client)
    assert result.resumed_from >= 200 * KiB and (tmp_path / "x.bin").read_bytes() == data


def test_bandwidth_cap_holds_in_a_real_transfer(
    server: RangeServer, client: httpx.Client, tmp_path: Path, name: str
) -> None:
    data = payload(MiB)
    server.host(name, data)
    pacer = Pacer(2 * MiB, burst=64 * KiB)
    started = time.monotonic()
    get(server, name, data, tmp_path / "p.bin", client, pacer=pacer, options=PARALLEL)
    assert time.monotonic() - started >= (len(data) - 64 * KiB) / (2 * MiB) * 0.95


class ClosingClock(SystemClock):
    """Real monotonic time, but the wall clock leaves the window after a few looks and jumps on sleep."""

    def __init__(self, close_after: int) -> None:
        self.looks, self.close_after = 0, close_after
        self.wall = datetime(2026, 1, 1, 11, 0, tzinfo=UTC)
        self.slept: list[float] = []

    def now(self) -> datetime:
        self.looks += 1
        if self.looks == self.close_after:
            self.wall = datetime(2026, 1, 1, 12, 30, tzinfo=UTC)
        return self.wall

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> None:
        self.slept.append(seconds)
        self.wall += timedelta(seconds=seconds)


def test_window_closing_pauses_until_the_next_one(
    server: RangeServer, client: httpx.Client, tmp_path: Path, name: str
) -> None:
    data = payload(MiB)
    hosted = server.host(name, data)
    clock = ClosingClock(close_after=6)
    pacer = Pacer(windows=TransferWindows.parse("00:00-12:00", "UTC"), clock=clock)
    events: list[TransferProgress] = []
    result = get(server, name, data, tmp_path / "win.bin", client, pacer=pacer, progress=events.append)

    assert (tmp_path / "win.bin").read_bytes() == data
    assert sum(clock.slept) == 11.5 * 3600 and max(clock.slept) <= 300  # naps, re-reading the wall clock
    assert clock.wall == datetime(2026, 1, 2, tzinfo=UTC)
    assert any(e.state == "queued" and e.reason == "waiting for the transfer window" for e in events)
    assert len(hosted.ranges) == 2 and hosted.ranges[0] is None
    resumed_at = requested_span(hosted.ranges[1], len(data))[0]
    assert 0 < resumed_at < len(data) and result.received == len(data)  # taken up where it stopped


def test_a_part_of_another_transfer_is_started_over(
    server: RangeServer, client: httpx.Client, tmp_path: Path, name: str
) -> None:
    data = payload(100 * KiB)
    server.host(name, data)
    dest = tmp_path / "o.bin"
    dest.with_name("o.bin.part").write_bytes(b"\0" * len(data))
    dest.with_name("o.bin.part.json").write_text(
        json.dumps(
            {
                "format": "eonode-part/1",
                "url": "http://elsewhere/",
                "size": len(data),
                "sha256": "0" * 64,
                "done": [[0, len(data)]],
            }
        )
    )
    result = get(server, name, data, dest, client)
    assert result.resumed_from == 0 and dest.read_bytes() == data


def test_after_a_restart_of_the_machine_only_synced_bytes_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kill -9 keeps what was written (the page cache survives it); a power cut only what was fsynced."""
    boot = tmp_path / "boot_id"
    boot.write_text("first-boot\n")
    monkeypatch.setattr(transfer_state, "BOOT_ID", boot)
    data = payload(4 * KiB)
    dest = tmp_path / "b.bin"

    def part() -> PartFile:
        return PartFile(dest, url="http://127.0.0.1/b", size=len(data), sha256=digest(data))

    first = part()
    first.write(0, data[:KiB])
    first.checkpoint()  # fsynced
    first.write(KiB, data[KiB : 3 * KiB])
    first.checkpoint(durable=False)  # recorded only
    first.close()
    same_boot = part()
    assert same_boot.missing() == [(3 * KiB, 4 * KiB)]
    same_boot.close()
    boot.write_text("second-boot\n")
    restarted = part()
    assert restarted.missing() == [(KiB, 4 * KiB)]
    restarted.close()


def test_one_writer_per_part_file(server: RangeServer, client: httpx.Client, tmp_path: Path, name: str) -> None:
    data = payload(KiB)
    server.host(name, data)
    holder = PartFile(tmp_path / "h.bin", url=server.url(name), size=len(data), sha256=digest(data))
    try:
        with pytest.raises(TransferFailed, match="another transfer is writing"):
            get(server, name, data, tmp_path / "h.bin", client)
    finally:
        holder.close()


def test_empty_file_needs_no_request(server: RangeServer, client: httpx.Client, tmp_path: Path, name: str) -> None:
    hosted = server.host(name, b"")
    result = get(server, name, b"", tmp_path / "e.bin", client)
    assert (tmp_path / "e.bin").read_bytes() == b"" and result.requests == 0 and hosted.ranges == []


@pytest.mark.parametrize("order", ["in order", "shuffled", "after a reset"])
def test_digest_keeps_up_with_writes(tmp_path: Path, order: str) -> None:
    data = payload(3 * MiB + 5, seed=7)
    part = PartFile(tmp_path / "f.bin", url="http://127.0.0.1/f", size=len(data), sha256=digest(data))
    pieces = [(offset, data[offset : offset + 64 * KiB]) for offset in range(0, len(data), 64 * KiB)]
    if order == "shuffled":
        random.Random(2).shuffle(pieces)
    try:
        with DigestFollower(part) as follower:
            if order == "after a reset":
                for offset, piece in pieces[:20]:
                    part.write(offset, b"\xff" * len(piece))
                    follower.offer(offset, b"\xff" * len(piece))
                part.reset()
            for offset, piece in pieces:
                part.write(offset, piece)
                follower.offer(offset, piece)
            assert follower.result(should_stop=lambda: False) == digest(data)
    finally:
        part.discard()
