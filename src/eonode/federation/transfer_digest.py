"""The sha256 of a part file, kept up to date while the file is still arriving.

Hashing 2 GB after the last byte lands would add a second or more to every big transfer, and
hashing in the thread that receives would put the hash on the network's critical path. So a
chunk written exactly where the queued bytes end is handed to a follower thread
(:meth:`DigestFollower.offer`, no copy: ``bytes`` are immutable) — every chunk of a
single-stream transfer is — and hashed there while the next one arrives. Bytes that landed out
of order (the later ranges of a parallel transfer, what an earlier attempt left on disk, or
chunks offered while ``QUEUE_BYTES`` were already waiting) are read back from the part file,
once the complete prefix has run ``LAG`` bytes ahead of the hash, and at the end. hashlib and
``pread`` release the GIL, so the hashing overlaps the receiving.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import deque
from collections.abc import Callable

from eonode.federation.transfer_state import PartFile

READ = 1024 * 1024
LAG = 4 * 1024 * 1024  # below this the in-order chunks are probably on their way: no read-back yet
QUEUE_BYTES = 16 * 1024 * 1024  # the most offered bytes held in memory waiting for the hash
IDLE_WAIT = 0.005


class DigestFollower:
    def __init__(self, part: PartFile) -> None:
        self.part = part
        self.hashed = 0
        self._digest = hashlib.sha256()
        self._generation = part.generation
        self._queue: deque[tuple[int, bytes]] = deque()
        self._queued_bytes = 0
        self._lock = threading.Lock()
        self._offered = threading.Event()
        self._final = threading.Event()  # every byte is on disk: read back whatever is left
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="fetch-sha256", daemon=True)

    def __enter__(self) -> DigestFollower:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop following; the part file must not be closed while the follower reads it."""
        self._stop.set()
        self._offered.set()
        if self._thread.is_alive():
            self._thread.join()

    def offer(self, offset: int, data: bytes) -> None:
        """``data`` was just written at ``offset``: queue it for hashing if it extends the queued
        prefix and the queue has room (otherwise it is read back from the file later)."""
        with self._lock:
            self._sync(self.part.generation)
            last = self._queue[-1] if self._queue else None
            tail = last[0] + len(last[1]) if last else self.hashed
            if offset != tail or self._queued_bytes >= QUEUE_BYTES:
                return
            self._queue.append((offset, data))
            self._queued_bytes += len(data)
        self._offered.set()

    def result(self, should_stop: Callable[[], bool]) -> str | None:
        """The hex digest once every byte is hashed; None if ``should_stop`` said so first."""
        self._final.set()
        self._offered.set()
        while self._thread.is_alive():
            if should_stop():
                self.stop()
                return None
            self._thread.join(0.05)
        return self._digest.hexdigest()

    def _sync(self, generation: int) -> None:
        """Called with the lock held: the part was emptied, its old bytes no longer count."""
        if generation != self._generation:
            self._digest, self.hashed, self._generation = hashlib.sha256(), 0, generation
            self._queue.clear()
            self._queued_bytes = 0

    def _next_queued(self) -> tuple[int, bytes] | None:
        """The queued bytes that continue the hash (the part the hash has not seen yet)."""
        with self._lock:
            self._sync(self.part.generation)
            while self._queue:
                offset, data = self._queue.popleft()
                self._queued_bytes -= len(data)
                if offset > self.hashed:  # a gap: the queue is stale; read back instead
                    self._queue.clear()
                    self._queued_bytes = 0
                    return None
                if offset + len(data) > self.hashed:
                    return self.hashed, data[self.hashed - offset :] if offset < self.hashed else data
            return None

    def _follow(self) -> None:
        catching_up = False
        while not self._stop.is_set():
            queued = self._next_queued()
            if queued is not None:
                self._hash(*queued, self._generation)
                continue
            frontier, generation = self.part.frontier()
            with self._lock:
                self._sync(generation)
                start = self.hashed
            if start >= self.part.size:
                return
            behind = frontier - start
            catching_up = behind > 0 and (catching_up or behind >= LAG or self._final.is_set())
            if not catching_up:
                self._offered.wait(IDLE_WAIT)
                self._offered.clear()
                continue
            data = os.pread(self.part.fd, min(READ, behind), start)
            if not data:
                return  # shorter than recorded: the size check names the problem
            self._hash(start, data, generation)

    def _hash(self, offset: int, data: bytes, generation: int) -> None:
        """Hash ``data`` (outside the lock: it takes a while) if it still continues the hash."""
        with self._lock:
            if self.hashed != offset or self._generation != generation or self.part.generation != generation:
                return
            digest = self._digest  # a reset replaces it: these bytes then go to the old one
        digest.update(data)
        with self._lock:
            if self._generation == generation:
                self.hashed = offset + len(data)
