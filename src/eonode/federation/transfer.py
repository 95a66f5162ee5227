"""Copy one asset file from a parent node: streamed, resumable, parallel when big, verified.

The bytes land in ``<dest>.part`` with a sidecar recording which ranges are on disk
(``transfer_state``), so a transfer cut by a dropped link, a closed transfer window, a
cancellation or a ``kill -9`` resumes where it stopped. Small files come in one streamed GET
(``Range: bytes=N-`` when resuming); big ones in ranges fetched by parallel threads
(``transfer_ranges``). The sha256 is computed as the bytes arrive (``transfer_digest``). Only a
file whose size and sha256 both match is renamed to ``dest``; a mismatch deletes the part, so
wrong bytes are never served as the asset.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from eonode.federation.pacing import Pacer
from eonode.federation.transfer_digest import DigestFollower
from eonode.federation.transfer_errors import ContentMismatch, TransferCancelled, TransferFailed
from eonode.federation.transfer_ranges import Paused, RangeFetcher, RangesIgnored
from eonode.federation.transfer_state import PartBusy, PartFile
from eonode.federation.transfer_transport import bulk_client

__all__ = [
    "ContentMismatch",
    "FetchResult",
    "TransferCancelled",
    "TransferFailed",
    "TransferOptions",
    "TransferProgress",
    "TransferState",
    "fetch",
]

log = logging.getLogger("eonode.federation")

MiB = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

TransferState = Literal["queued", "transferring", "verifying", "verified", "failed", "cancelled"]
_FINAL: frozenset[TransferState] = frozenset({"verified", "failed", "cancelled"})


@dataclass(frozen=True, slots=True)
class TransferOptions:
    parallel_threshold: int = 64 * MiB  # files this big or bigger may come in parallel ranges …
    more_streams_below: float = 48 * MiB  # … when one stream gives fewer bytes/s (~400 Mbit/s) …
    ramp_seconds: float = 1.0  # … twice this long, after as long to warm up (0: parallel at once)
    parallel: int = 4  # threads per big file when parallel
    range_bytes: int = 16 * MiB  # then the most one request asks for, so the hash keeps pace
    checkpoint_bytes: int = 16 * MiB  # record progress (survives kill -9) after this many new bytes …
    checkpoint_seconds: float = 2.0  # … or this long, whichever comes first
    sync_bytes: int = 256 * MiB  # fsync progress (survives a power cut) after this many new bytes …
    sync_seconds: float = 30.0  # … or this long; the verified file is always fsynced
    max_attempts: int = 8  # consecutive failures without progress before giving up
    backoff_base: float = 0.5
    backoff_factor: float = 2.0
    backoff_cap: float = 60.0  # also the longest Retry-After waited out in place
    timeout: float = 30.0  # connect / read timeout of the client fetch makes itself
    progress_interval: float = 0.25

    def __post_init__(self) -> None:
        if min(self.parallel, self.max_attempts, self.parallel_threshold, self.range_bytes) < 1:
            raise ValueError("parallel, max_attempts, parallel_threshold and the byte sizes must be at least 1")
        if self.ramp_seconds < 0 or self.more_streams_below < 0:
            raise ValueError("ramp_seconds and more_streams_below cannot be negative")


@dataclass(frozen=True, slots=True)
class TransferProgress:
    url: str
    dest: Path
    state: TransferState
    done: int  # bytes on disk, including those from earlier attempts
    total: int
    rate: float  # bytes/s received lately; over the whole fetch in a final report
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    dest: Path
    size: int
    sha256: str
    resumed_from: int  # bytes already on disk when this fetch began
    received: int  # bytes this fetch took from the network
    requests: int
    streams: int  # ranges fetched at once, at most (1 unless one stream was slow)
    seconds: float


def fetch(
    url: str,
    dest: Path,
    *,
    size: int,
    sha256: str,
    headers: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    options: TransferOptions | None = None,
    progress: Callable[[TransferProgress], None] | None = None,
    pacer: Pacer | None = None,
    cancel: threading.Event | None = None,
) -> FetchResult:
    """Copy ``url`` to ``dest`` and verify it, resuming any earlier attempt at the same file.

    Raises :class:`TransferFailed` (or its :class:`ContentMismatch` / :class:`TransferCancelled`).
    ``progress`` is called from the transferring threads, at most every
    ``options.progress_interval`` seconds plus once per change of state. Without ``client`` a
    :func:`bulk_client` is made for this file; pass one to share connections (any httpx client
    works; the bulk one reads bodies in pieces of up to 1 MiB and is several times cheaper).
    """
    if size < 0 or not _SHA256.match(sha256):
        raise ValueError("size must be >= 0 and sha256 a lowercase hex digest")
    options = options or TransferOptions()
    http = client or bulk_client(timeout=options.timeout, connections=options.parallel)
    try:
        transfer = _Transfer(url, dest, size, sha256, options, progress, cancel or threading.Event())
        return transfer.run(http, dict(headers or {}), pacer)
    finally:
        if client is None:
            http.close()


class _Transfer:
    """One call of :func:`fetch`: the part file's life from open to rename, and what is reported."""

    def __init__(
        self,
        url: str,
        dest: Path,
        size: int,
        sha256: str,
        options: TransferOptions,
        progress: Callable[[TransferProgress], None] | None,
        cancel: threading.Event,
    ) -> None:
        self.url, self.dest, self.size, self.sha256 = url, dest, size, sha256
        self.options, self.on_progress, self.cancel = options, progress, cancel
        self.part: PartFile | None = None
        self.follower: DigestFollower | None = None
        self.saver: threading.Thread | None = None
        self.started = time.monotonic()
        self.received = self.unsaved = self.unsynced = self.reported_received = 0
        self.saved_at = self.synced_at = self.reported_at = self.started
        self.count_lock = threading.Lock()
        self.report_lock = threading.Lock()

    def run(self, client: httpx.Client, headers: dict[str, str], pacer: Pacer | None) -> FetchResult:
        self.report("queued", force=True)
        try:
            part = self.part = PartFile(self.dest, url=self.url, size=self.size, sha256=self.sha256)
        except (PartBusy, OSError) as exc:
            failure = TransferFailed(f"cannot open the part file: {exc}", permanent=False)
            self.report("failed", force=True, reason=failure.reason)
            raise failure from exc
        resumed = part.done_bytes
        follower = self.follower = DigestFollower(part)
        fetcher = RangeFetcher(
            self.url,
            part,
            headers=headers,
            client=client,
            options=self.options,
            pacer=pacer,
            cancel=self.cancel,
            on_written=self.written,
        )
        try:
            with follower:
                self.copy(part, fetcher, pacer)
                self.verify(part, follower)
            self.saved()
            part.finish()
        except TransferFailed as exc:
            self.settle(part, exc)
            raise
        except OSError as exc:
            failure = TransferFailed(f"cannot write {part.path}: {exc}", permanent=False)
            self.settle(part, failure)
            raise failure from exc
        except BaseException:
            self.settle(part, None)
            raise
        self.report("verified", force=True)
        seconds = time.monotonic() - self.started
        log.info(
            "fetched %s: %d bytes, %d new, in %.1f s (%d requests, %d at once)",
            self.dest.name,
            self.size,
            self.received,
            seconds,
            fetcher.requests,
            fetcher.streams,
        )
        return FetchResult(
            self.dest, self.size, self.sha256, resumed, self.received, fetcher.requests, fetcher.streams, seconds
        )

    def copy(self, part: PartFile, fetcher: RangeFetcher, pacer: Pacer | None) -> None:
        while part.missing():
            if pacer is not None and not pacer.is_open():
                self.report("queued", force=True, reason="waiting for the transfer window")
                pacer.wait_open(self.cancel)
            if self.cancel.is_set():
                raise TransferCancelled()
            self.report("transferring", force=True)
            try:
                fetcher.download()
            except Paused:
                part.checkpoint()
                log.info("transfer window closed: %s paused at %d bytes", self.dest.name, part.done_bytes)
            except RangesIgnored:
                log.warning("%s ignores Range requests: fetching the whole file again", self.url)
                fetcher.ranges_ok = False
                part.reset()

    def verify(self, part: PartFile, follower: DigestFollower) -> None:
        self.report("verifying", force=True)
        on_disk = os.fstat(part.fd).st_size
        if on_disk != self.size:
            raise ContentMismatch(f"size mismatch: expected {self.size} bytes, got {on_disk}", permanent=False)
        digest = follower.result(should_stop=self.cancel.is_set)
        if digest is None:
            raise TransferCancelled()
        if digest != self.sha256:
            raise ContentMismatch(f"sha256 mismatch: expected {self.sha256}, got {digest}", permanent=False)

    def settle(self, part: PartFile, failure: TransferFailed | None) -> None:
        """Leave the part resumable, or delete it when its bytes are wrong or no retry can help."""
        self.saved()
        if failure is not None and (failure.permanent or isinstance(failure, ContentMismatch)):
            part.discard()
        else:
            try:
                part.checkpoint()
            except OSError as exc:
                log.warning("could not checkpoint %s: %s", part.path, exc)
            part.close()
        if failure is None:
            return
        cancelled = isinstance(failure, TransferCancelled)
        if not cancelled:
            log.warning("transfer of %s to %s failed: %s", self.url, self.dest, failure.reason)
        self.report("cancelled" if cancelled else "failed", force=True, reason=failure.reason)

    def written(self, offset: int, data: bytes) -> None:
        """Bytes just landed in the part: hash them if in order, checkpoint and report when due."""
        if self.follower is not None:
            self.follower.offer(offset, data)
        now, o = time.monotonic(), self.options
        with self.count_lock:
            self.received += len(data)
            self.unsaved += len(data)
            self.unsynced += len(data)
            due = self.unsaved >= o.checkpoint_bytes or now - self.saved_at >= o.checkpoint_seconds
            sync = self.unsynced >= o.sync_bytes or now - self.synced_at >= o.sync_seconds
        if due:
            self.checkpoint_soon(now, durable=sync)
        self.report("transferring")

    def checkpoint_soon(self, now: float, *, durable: bool) -> None:
        """Checkpoint in a thread of its own: an fsync must not stall the receiving."""
        with self.count_lock:
            if self.part is None or (self.saver is not None and self.saver.is_alive()):
                return  # the next checkpoint covers these bytes too
            self.unsaved, self.saved_at = 0, now
            if durable:
                self.unsynced, self.synced_at = 0, now
            self.saver = threading.Thread(
                target=self.save, args=(self.part, durable), name="fetch-checkpoint", daemon=True
            )
            self.saver.start()

    def save(self, part: PartFile, durable: bool) -> None:
        try:
            part.checkpoint(durable=durable)
        except OSError as exc:  # the writes will fail the same way and say so
            log.warning("could not checkpoint %s: %s", part.path, exc)

    def saved(self) -> None:
        """Wait for a checkpoint under way: the part may not be renamed or closed beneath it."""
        if self.saver is not None:
            self.saver.join()

    def report(self, state: TransferState, *, force: bool = False, reason: str | None = None) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        with self.report_lock:  # held while calling back, so reports arrive in order
            if not force and now - self.reported_at < self.options.progress_interval:
                return
            received = self.received
            since, base = (self.started, 0) if state in _FINAL else (self.reported_at, self.reported_received)
            rate = (received - base) / max(now - since, 1e-9)
            self.reported_at, self.reported_received = now, received
            done = self.part.done_bytes if self.part is not None else 0
            self.on_progress(TransferProgress(self.url, self.dest, state, done, self.size, rate, reason))
