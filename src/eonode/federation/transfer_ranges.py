"""Streaming the missing byte ranges of one file into its part file, with retries.

Each missing range is one request with its own ``Range`` header, each chunk written in place
with ``pwrite``. A big file starts the same way — one stream — and turns parallel only if that
is slow: two ``ramp_seconds`` in a row below ``more_streams_below`` bytes/s, after one to warm
up (a long, lossy or latency-bound link, where one TCP stream cannot fill the pipe). Then the
stream in flight is cut short ``range_bytes`` ahead and everything after is cut in ``range_bytes`` pieces, taken in file
order by ``parallel`` threads, so the complete prefix (and with it the sha256, which can only be
computed in order) keeps growing. On a fast link one request carries the whole file: extra
streams there would only cost both ends a core (every request is authorised and counted by the
parent, and out-of-order bytes must be read back to be hashed).

A range that breaks is asked again from the byte where it stopped, after a jittered backoff.
The first range to fail for good, to see the transfer window close or to be cancelled stops the
others at their next chunk, so nothing keeps writing behind the caller's back.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from eonode.federation.pacing import Pacer
from eonode.federation.transfer_errors import ContentMismatch, TransferCancelled, TransferFailed
from eonode.federation.transfer_http import Verdict, backoff_delay, judge, range_header
from eonode.federation.transfer_state import PartFile, Span

if TYPE_CHECKING:
    from eonode.federation.transfer import TransferOptions

log = logging.getLogger("eonode.federation")
SLOW_ROUNDS = 2  # ramp intervals in a row below ``more_streams_below`` before going parallel


class Retry(Exception):
    """A passing trouble (5xx, 429, a dropped or timed-out connection): ask again after a pause."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


class Paused(Exception):
    """The transfer window closed: every range stops, to resume when the next one opens."""


class Halted(Exception):
    """Another range of the same file stopped the transfer."""


class RangesIgnored(Exception):
    """The server answered 200 to a Range request, so it can only send the whole file."""


@dataclass(slots=True)
class _Cursor:
    """One range being fetched: bytes [pos, end) still wanted. ``end`` may be moved closer while
    the request (which asked for up to ``asked``) is in flight; ``claimed`` is how far the thread
    reading it has taken bytes it is about to write (never cut below that)."""

    pos: int
    end: int
    asked: int = 0
    claimed: int = 0


class RangeFetcher:
    """Fills the gaps of one part file from one URL; ``on_written`` hears of every chunk written."""

    def __init__(
        self,
        url: str,
        part: PartFile,
        *,
        headers: dict[str, str],
        client: httpx.Client,
        options: TransferOptions,
        pacer: Pacer | None,
        cancel: threading.Event,
        on_written: Callable[[int, bytes], None],
    ) -> None:
        self.url, self.part, self.size = url, part, part.size
        self.headers = {**headers, "Accept-Encoding": "identity"}  # the bytes exactly as stored
        self.client, self.options, self.pacer, self.cancel = client, options, pacer, cancel
        self.on_written = on_written
        self.ranges_ok = True  # False once the server has shown it ignores Range
        self.requests = 0
        self.received = 0  # bytes taken from the network by this fetcher
        self.streams = 1  # threads fetching at most (for the log and tests)
        self._halt = threading.Event()
        self._lock = threading.Lock()  # the queue, the cursors in flight, the counters
        self._queue: deque[Span] = deque()
        self._active: list[_Cursor] = []
        self._pieces = False  # the queue holds range_bytes pieces (parallel) rather than whole gaps
        self._may_split = False  # a big file: its requests may be cut short and shared out

    def download(self) -> None:
        """Fetch every missing range; raises Paused, RangesIgnored or TransferFailed when it stops early."""
        o = self.options
        self._queue, self._pieces = deque(self.part.missing()), False
        self._may_split = self.ranges_ok and self.size >= o.parallel_threshold and o.parallel > 1
        if not self._may_split:
            self._work()
            return
        errors: list[BaseException] = []

        def work() -> None:
            try:
                self._work()
            except BaseException as exc:
                errors.append(exc)
                self._halt.set()

        def start() -> None:
            threads.append(threading.Thread(target=work, name=f"fetch-{len(threads)}", daemon=True))
            threads[-1].start()

        threads: list[threading.Thread] = []
        if o.ramp_seconds == 0 and self._go_parallel():  # parallel at once: no stream to cut short
            for _ in range(min(o.parallel, len(self._queue))):
                start()
        else:
            start()
        try:
            self._ramp(threads, start)
        finally:
            self._halt.set()  # also when the caller's thread is interrupted
            for thread in threads:
                thread.join()
            self._halt.clear()
            self.streams = max(self.streams, len(threads))
        if errors:
            raise min(errors, key=_precedence)

    def _ramp(self, threads: list[threading.Thread], start: Callable[[], None]) -> None:
        """Watch the one stream; if it is slow, cut the work in pieces and add threads."""
        o = self.options
        slow = o.more_streams_below
        if self.pacer is not None and self.pacer.rate is not None:
            slow = min(slow, 0.8 * self.pacer.rate)  # the cap, not the link, holds it back: no help
        # The first interval only warms up (connection, TCP slow start, a process just started);
        # then two slow intervals in a row decide.
        slow_rounds, warm = 0, False
        before, since = self.received, time.monotonic()
        while alive := [t for t in threads if t.is_alive()]:
            alive[0].join(None if self._pieces else max(o.ramp_seconds, 0.001))
            if self._pieces or self._halt.is_set():
                continue
            now = time.monotonic()
            rate = (self.received - before) / max(now - since, 1e-9)
            before, since = self.received, now
            if not warm:
                warm = True
                continue
            slow_rounds = slow_rounds + 1 if rate < slow else 0
            if slow_rounds >= SLOW_ROUNDS and self._go_parallel():
                log.info("%s: one stream gives %.1f MB/s; %d in parallel", self.part.dest.name, rate / 1e6, o.parallel)
                for _ in range(o.parallel - 1):
                    start()

    def _go_parallel(self) -> bool:
        """Cut the work into ``range_bytes`` pieces in file order: each range in flight keeps the
        next piece, the rest goes to the queue. False if there is too little left to share."""
        o = self.options
        with self._lock:
            left = sum(c.end - max(c.pos, c.claimed) for c in self._active) + sum(e - s for s, e in self._queue)
            piece = max(1, min(o.range_bytes, math.ceil(left / o.parallel)))
            rest: list[Span] = []
            for cursor in sorted(self._active, key=lambda c: c.pos):
                keep = min(cursor.end, max(cursor.pos, cursor.claimed) + piece)
                if keep < cursor.end:
                    rest.append((keep, cursor.end))
                    cursor.end = keep
            rest += self._queue
            self._queue = deque((s, min(e, s + piece)) for start, e in rest for s in range(start, e, piece))
            self._pieces = True
            return len(self._queue) > 0

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    return
                start, end = self._queue.popleft()
                cursor = _Cursor(start, end)
                self._active.append(cursor)
            try:
                self._fetch_span(cursor)
            finally:
                with self._lock:
                    self._active.remove(cursor)

    def _fetch_span(self, cursor: _Cursor) -> None:
        failures = 0
        while cursor.pos < cursor.end:
            before = cursor.pos
            try:
                self._stream(cursor)
            except Retry as exc:
                if not self.ranges_ok and cursor.pos > 0:  # the server cannot resume: start over
                    self.part.reset()
                    cursor.pos = 0
                failures = 1 if cursor.pos > before else failures + 1
                self._back_off(failures, exc)

    def _back_off(self, failures: int, exc: Retry) -> None:
        o = self.options
        if failures >= o.max_attempts:
            raise TransferFailed(f"{exc.reason} (gave up after {failures} attempts)", permanent=False) from exc
        if exc.retry_after is not None and exc.retry_after > o.backoff_cap:
            reason = f"{exc.reason}; the server asks to retry in {exc.retry_after:.0f} s"
            raise TransferFailed(reason, permanent=False, retry_after=exc.retry_after) from exc
        delay = exc.retry_after
        if delay is None:
            delay = backoff_delay(failures, base=o.backoff_base, factor=o.backoff_factor, cap=o.backoff_cap)
        log.warning("%s: %s; attempt %d in %.1f s", self.part.dest.name, exc.reason, failures + 1, delay)
        deadline = time.monotonic() + delay
        while (left := deadline - time.monotonic()) > 0:
            if self._halt.wait(min(left, 0.1)):
                raise Halted()
            self._check_running()

    def _check_running(self) -> None:
        if self.cancel.is_set():
            raise TransferCancelled()
        if self._halt.is_set():
            raise Halted()
        if self.pacer is not None and not self.pacer.is_open():
            raise Paused()

    def _stream(self, cursor: _Cursor) -> None:
        """One request for bytes [pos, end), written as they come; ``cursor.pos`` follows."""
        self._check_running()
        headers = dict(self.headers)
        with self._lock:
            self.requests += 1
            cursor.asked = cursor.end
        wanted = range_header(cursor.pos, cursor.asked, self.size)
        if wanted is None and self._may_split:  # ask for ranges even so: a server ignoring them shows it now
            wanted = f"bytes=0-{self.size - 1}"
        if wanted is not None:
            headers["Range"] = wanted
        try:
            with self.client.stream("GET", self.url, headers=headers) as response:
                self._accept(response, cursor)
                for data in response.iter_raw():  # as the transport reads them (1 MiB or 64 KiB at most)
                    self._check_running()
                    if cursor.pos + len(data) > cursor.asked:
                        more = cursor.asked - cursor.pos
                        raise ContentMismatch(
                            f"size mismatch: the server sent more than the {more} bytes asked", permanent=True
                        )
                    with self._lock:  # the range may have been cut short meanwhile (_go_parallel)
                        wanted_now = min(len(data), cursor.end - cursor.pos)
                        cursor.claimed = cursor.pos + wanted_now
                        self.received += wanted_now
                    if wanted_now < len(data):
                        data = data[:wanted_now]
                    if self.pacer is not None:
                        self.pacer.take(len(data), self.cancel)
                    self.part.write(cursor.pos, data)
                    self.on_written(cursor.pos, data)
                    with self._lock:
                        cursor.pos += len(data)
                    if cursor.pos >= cursor.end:
                        break  # the rest of this answer is another thread's piece now
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise TransferFailed(f"cannot request {self.url}: {exc}", permanent=True) from exc
        except httpx.TransportError as exc:  # refused, reset, timed out, or a body cut short
            raise Retry(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
        if cursor.pos < cursor.end:
            raise Retry(f"the body ended {cursor.end - cursor.pos} bytes early")

    def _accept(self, response: httpx.Response, cursor: _Cursor) -> None:
        found = judge(response, start=cursor.pos, end=cursor.asked, size=self.size)
        if found.verdict is Verdict.RETRY:
            raise Retry(found.reason, found.retry_after)
        if found.verdict is Verdict.RANGES_IGNORED:
            raise RangesIgnored()
        if found.verdict is Verdict.MISMATCH:
            raise ContentMismatch(found.reason, permanent=True)
        if found.verdict is Verdict.FAIL:
            raise TransferFailed(found.reason, permanent=True)


def _precedence(exc: BaseException) -> int:
    """Which of several ranges' errors the whole transfer reports: the most telling one."""
    if isinstance(exc, ContentMismatch):
        return 1  # the part is wrong and must go
    if isinstance(exc, TransferCancelled):
        return 3
    if isinstance(exc, TransferFailed):
        return 2
    if isinstance(exc, RangesIgnored):
        return 4
    if isinstance(exc, Paused):
        return 5
    if isinstance(exc, Halted):
        return 6
    return 0  # an unexpected error (a full disk, a bug) comes first
