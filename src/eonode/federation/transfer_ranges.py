"""Streaming the missing byte ranges of one file into its part file, with retries.

A big file's missing bytes are cut into ranges taken in order by ``parallel`` threads, each
request with its own ``Range`` header, each chunk written in place with ``pwrite``; a small file
is one request. A range that breaks is asked again from the byte where it stopped, after a
jittered backoff. The first range to fail for good, to see the transfer window close or to be
cancelled stops the others at their next chunk, so nothing keeps writing behind the caller's
back.
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
    pos: int
    end: int


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
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def plan(self) -> tuple[list[Span], int]:
        """The ranges to request and how many threads share them.

        A small file (or a server that cannot do ranges) gets one thread asking for what is
        missing. A big one has its missing bytes cut in pieces of at most ``range_bytes``, taken
        in file order by ``parallel`` threads: the complete prefix then grows steadily, and the
        sha256, which can only be computed in order, keeps up with the download.
        """
        missing = self.part.missing()
        parallel = self.options.parallel
        if not self.ranges_ok or self.size < self.options.parallel_threshold or parallel == 1:
            return missing, 1
        piece = max(1, min(self.options.range_bytes, math.ceil(sum(e - s for s, e in missing) / parallel)))
        spans = [(s, min(e, s + piece)) for start, e in missing for s in range(start, e, piece)]
        return spans, min(len(spans), parallel)

    def download(self) -> None:
        """Fetch every missing range; raises Paused, RangesIgnored or TransferFailed when it stops early."""
        spans, workers = self.plan()
        queue = deque(spans)
        if workers <= 1:
            self._work(queue)
            return
        errors: list[BaseException] = []

        def work() -> None:
            try:
                self._work(queue)
            except BaseException as exc:
                errors.append(exc)
                self._halt.set()

        threads = [threading.Thread(target=work, name=f"fetch-{i}", daemon=True) for i in range(workers)]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        finally:
            self._halt.set()  # also when the caller's thread is interrupted
            for thread in threads:
                thread.join()
            self._halt.clear()
        if errors:
            raise min(errors, key=_precedence)

    def _work(self, queue: deque[Span]) -> None:
        while True:
            try:
                start, end = queue.popleft()
            except IndexError:
                return
            self._fetch_span(_Cursor(start, end))

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
        wanted = range_header(cursor.pos, cursor.end, self.size)
        if wanted is not None:
            headers["Range"] = wanted
        with self._lock:
            self.requests += 1
        try:
            with self.client.stream("GET", self.url, headers=headers) as response:
                self._accept(response, cursor)
                for data in response.iter_raw():  # as the transport reads them: 64 KiB at most
                    self._check_running()
                    if cursor.pos + len(data) > cursor.end:
                        asked = cursor.end - cursor.pos
                        raise ContentMismatch(
                            f"size mismatch: the server sent more than the {asked} bytes asked", permanent=True
                        )
                    if self.pacer is not None:
                        self.pacer.take(len(data), self.cancel)
                    self.part.write(cursor.pos, data)
                    self.on_written(cursor.pos, data)
                    cursor.pos += len(data)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise TransferFailed(f"cannot request {self.url}: {exc}", permanent=True) from exc
        except httpx.TransportError as exc:  # refused, reset, timed out, or a body cut short
            raise Retry(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
        if cursor.pos < cursor.end:
            raise Retry(f"the body ended {cursor.end - cursor.pos} bytes early")

    def _accept(self, response: httpx.Response, cursor: _Cursor) -> None:
        found = judge(response, start=cursor.pos, end=cursor.end, size=self.size)
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
