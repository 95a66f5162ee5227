"""The sha256 of a part file, kept up to date while the file is still arriving.

Hashing 2 GB after the last byte lands would add a second or more to every big transfer. So a
chunk written exactly where the hashed prefix ends is hashed at once by the thread that received
it (:meth:`DigestFollower.offer`) — every chunk of a single-stream transfer is. Bytes that landed
out of order (the later ranges of a parallel transfer, or what an earlier attempt left on disk)
are read back from the part file by a follower thread, once the complete prefix has run
``LAG`` bytes ahead of the hash, and at the end. hashlib and ``pread`` release the GIL, so the
hashing overlaps the receiving.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable

from eonode.federation.transfer_state import PartFile

READ = 1024 * 1024
LAG = 4 * 1024 * 1024  # below this the in-order chunks are probably on their way: no read-back yet
IDLE_WAIT = 0.005


class DigestFollower:
    def __init__(self, part: PartFile) -> None:
        self.part = part
        self.hashed = 0
        self._digest = hashlib.sha256()
        self._generation = part.generation
        self._lock = threading.Lock()
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
        if self._thread.is_alive():
            self._thread.join()

    def offer(self, offset: int, data: bytes) -> None:
        """Hash ``data``, just written at ``offset``, if it extends the hashed prefix."""
        if offset != self.hashed or not self._lock.acquire(blocking=False):
            return  # out of order, or the follower is at it: it will read these bytes back
        try:
            self._sync(self.part.generation)
            if offset == self.hashed:
                self._digest.update(data)
                self.hashed += len(data)
        finally:
            self._lock.release()

    def result(self, should_stop: Callable[[], bool]) -> str | None:
        """The hex digest once every byte is hashed; None if ``should_stop`` said so first."""
        self._final.set()
        while self._thread.is_alive():
            if should_stop():
                self.stop()
                return None
            self._thread.join(0.05)
        return self._digest.hexdigest()

    def _sync(self, generation: int) -> None:
        if generation != self._generation:  # the part was emptied: its old bytes no longer count
            self._digest, self.hashed, self._generation = hashlib.sha256(), 0, generation

    def _follow(self) -> None:
        catching_up = False
        while not self._stop.is_set():
            frontier, generation = self.part.frontier()
            with self._lock:
                self._sync(generation)
                start = self.hashed
            if start >= self.part.size:
                return
            behind = frontier - start
            catching_up = behind > 0 and (catching_up or behind >= LAG or self._final.is_set())
            if not catching_up:
                self._stop.wait(IDLE_WAIT)
                continue
            data = os.pread(self.part.fd, min(READ, behind), start)
            if not data:
                return  # shorter than recorded: the size check names the problem
            with self._lock:
                if self.hashed == start and self._generation == generation == self.part.generation:
                    self._digest.update(data)
                    self.hashed += len(data)
