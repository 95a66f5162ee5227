"""Request counting without a database write per request.

Each process keeps, per client key and clock minute, the total it last read from the shared
counter plus the requests it has seen since; it adds them to the database at most once per
``flush_seconds`` per key (and at once for a key's first request in a minute). A limit is then
exact within one process and may be overshot only by what other processes of the node admitted
during one flush interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Add = Callable[[str, int, int], int]  # (key, window, n) -> the shared total after adding n


@dataclass(slots=True)
class _Entry:
    window: int
    known: int = 0  # the shared total when last read
    pending: int = 0  # seen here, not yet added to the shared total
    flushed_at: float = float("-inf")


class RequestCounter:
    def __init__(self, add: Add, *, flush_seconds: float = 1.0, max_keys: int = 50_000) -> None:
        self._add, self._flush_seconds, self._max_keys = add, flush_seconds, max_keys
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def hit(self, key: str, window: int) -> int:
        """Count one request of ``key`` in ``window``; returns the best-known total so far."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.window != window:
                if len(self._entries) >= self._max_keys:
                    self._entries.clear()  # forget idle clients; their counts are in the database
                entry = self._entries[key] = _Entry(window)
            entry.pending += 1
            if now - entry.flushed_at < self._flush_seconds:
                return entry.known + entry.pending
            n, entry.pending, entry.flushed_at = entry.pending, 0, now
        total = self._add(key, window, n)
        with self._lock:
            if entry.window == window:
                entry.known = max(entry.known, total)
            return entry.known + entry.pending

    def pending(self, key: str, window: int) -> int:
        with self._lock:
            entry = self._entries.get(key)
            return entry.pending if entry is not None and entry.window == window else 0
