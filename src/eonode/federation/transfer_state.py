"""The part file of a transfer and the sidecar that says which of its bytes are real.

``<dest>.part`` is preallocated to the full size and written at any offset; ``<dest>.part.json``
lists the byte ranges on disk, in two lists. ``written``: ranges written to the part file —
true as long as the machine has not restarted since (the sidecar names the boot it was written
in), so a ``kill -9`` of the process loses at most the bytes since the last checkpoint.
``durable``: ranges the part file was fsynced after — what is left after a power cut. A
checkpoint takes the list first, then (when durable) fsyncs the part, then replaces the sidecar
atomically, so every range it names was written before. Checkpoints are frequent and fsyncs
rare: each fsync makes the writing wait for the disk. The sidecar also names the url, size and
sha256 it belongs to: a part left by a different transfer is started over rather than trusted.
Whatever a sidecar claims, the sha256 of the whole file decides in the end.

The part file is locked (``flock``) while open, so two processes never write the same part.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import threading
from pathlib import Path

from eonode.storage.local import fsync_dir

log = logging.getLogger("eonode.federation")

FORMAT = "eonode-part/2"
FORMATS = ("eonode-part/1", FORMAT)  # format 1 had one list, "done": durable ranges
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")

Span = tuple[int, int]  # [start, end): start included, end excluded


class PartBusy(Exception):
    """Another process holds the part file of the same destination."""


def add_span(spans: list[Span], start: int, end: int) -> list[Span]:
    """``spans`` (sorted, disjoint) with [start, end) merged in."""
    merged: list[Span] = []
    for s, e in spans:
        if e < start or s > end:
            merged.append((s, e))
        else:
            start, end = min(s, start), max(e, end)
    merged.append((start, end))
    merged.sort()
    return merged


def boot_id() -> str | None:
    """This boot of the machine (Linux); None where the system does not say."""
    try:
        return BOOT_ID.read_text().strip() or None
    except OSError:
        return None


def gaps(spans: list[Span], size: int) -> list[Span]:
    """The byte ranges of [0, size) that ``spans`` do not cover."""
    out: list[Span] = []
    pos = 0
    for s, e in spans:
        if s > pos:
            out.append((pos, s))
        pos = max(pos, e)
    if pos < size:
        out.append((pos, size))
    return out


class PartFile:
    """An open, locked part file with its in-memory list of done ranges (thread-safe)."""

    def __init__(self, dest: Path, *, url: str, size: int, sha256: str) -> None:
        self.dest = dest
        self.path = dest.with_name(dest.name + ".part")
        self.sidecar = dest.with_name(dest.name + ".part.json")
        self.url, self.size, self.sha256 = url, size, sha256
        self._spans: list[Span] = []
        self._durable: list[Span] = []
        self._boot = boot_id()
        self.generation = 0
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise PartBusy(f"another transfer is writing {self.path}") from None
        try:
            self._spans = self._resumable_spans()
            if self._spans:
                os.fsync(self.fd)  # what an earlier process wrote in this boot, made durable
                self._durable = list(self._spans)
                log.info("resuming %s: %d of %d bytes already on disk", dest.name, self.done_bytes, size)
            else:
                self.reset()
        except BaseException:
            os.close(self.fd)
            raise

    def _resumable_spans(self) -> list[Span]:
        try:
            state = json.loads(self.sidecar.read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable transfer state %s: %s", self.sidecar, exc)
            return []
        expected = {"url": self.url, "size": self.size, "sha256": self.sha256}
        if (
            not isinstance(state, dict)
            or state.get("format") not in FORMATS
            or any(state.get(k) != v for k, v in expected.items())
        ):
            log.info("transfer state %s belongs to another transfer; starting over", self.sidecar)
            return []
        if os.fstat(self.fd).st_size != self.size:
            return []
        same_boot = self._boot is not None and state.get("boot") == self._boot
        listed = state.get("written") if same_boot else state.get("durable", state.get("done"))
        if not isinstance(listed, list):
            log.warning("ignoring malformed transfer state %s: no list of ranges", self.sidecar)
            return []
        spans: list[Span] = []
        try:
            for start, end in listed:
                if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= self.size):
                    raise ValueError(f"bad range {start}-{end}")
                spans = add_span(spans, start, end)
        except (TypeError, ValueError) as exc:
            log.warning("ignoring malformed transfer state %s: %s", self.sidecar, exc)
            return []
        return spans

    @property
    def done_bytes(self) -> int:
        with self._lock:
            return sum(e - s for s, e in self._spans)

    def missing(self) -> list[Span]:
        with self._lock:
            return gaps(self._spans, self.size)

    def write(self, offset: int, data: bytes) -> None:
        """Write bytes at ``offset`` and count them as done (durable at the next checkpoint)."""
        view = memoryview(data)
        pos = offset
        while view:
            written = os.pwrite(self.fd, view, pos)
            view, pos = view[written:], pos + written
        with self._lock:
            self._spans = add_span(self._spans, offset, pos)

    def reset(self) -> None:
        """Forget every byte: the part is emptied, reallocated and recorded as such."""
        with self._lock:
            self._spans = []
            self._durable = []
            self.generation += 1  # a reader of earlier bytes must start again
        os.ftruncate(self.fd, 0)
        if self.size:
            try:
                os.posix_fallocate(self.fd, 0, self.size)
            except OSError as exc:  # a file system without fallocate: a sparse file will do
                if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                    raise
                os.ftruncate(self.fd, self.size)
        self.checkpoint()

    def checkpoint(self, *, wait: bool = True, durable: bool = True) -> bool:
        """Record the ranges written; with ``durable`` fsync them first, so they also outlive a
        power cut. With ``wait=False`` skip if another thread is at it."""
        if not self._save_lock.acquire(blocking=wait):
            return False
        try:
            with self._lock:
                spans = list(self._spans)  # before the fsync: every one of them is already written
            if durable:
                os.fsync(self.fd)
                self._durable = spans
            state = {
                "format": FORMAT,
                "url": self.url,
                "size": self.size,
                "sha256": self.sha256,
                "boot": self._boot,
                "written": spans,
                "durable": self._durable,
            }
            tmp = self.sidecar.with_name(self.sidecar.name + ".tmp")
            with tmp.open("w") as out:
                json.dump(state, out)
                if durable:
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(tmp, self.sidecar)
            if durable:
                fsync_dir(self.sidecar.parent)
            return True
        finally:
            self._save_lock.release()

    def frontier(self) -> tuple[int, int]:
        """How far the bytes are complete from offset 0, and the generation that holds for."""
        with self._lock:
            first = self._spans[0] if self._spans else (0, 0)
            return (first[1] if first[0] == 0 else 0), self.generation

    def finish(self) -> None:
        """Put the verified file in place: fsync, rename to dest, then drop the sidecar."""
        os.fsync(self.fd)
        os.replace(self.path, self.dest)
        fsync_dir(self.dest.parent)
        self.sidecar.unlink(missing_ok=True)
        self.close()

    def discard(self) -> None:
        """Delete the part and its sidecar: their bytes are known to be wrong."""
        self.path.unlink(missing_ok=True)
        self.sidecar.unlink(missing_ok=True)
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # also releases the lock
            self.fd = -1
