"""The per-process request counter: exact within a process, one shared write per key per interval."""

from __future__ import annotations

import time

from eonode.accounts.counters import RequestCounter


class SharedTotals:
    """Stands for the database table: totals per (key, window), shared by several counters."""

    def __init__(self) -> None:
        self.totals: dict[tuple[str, int], int] = {}
        self.writes = 0

    def add(self, key: str, window: int, n: int) -> int:
        self.writes += 1
        self.totals[key, window] = self.totals.get((key, window), 0) + n
        return self.totals[key, window]


def test_counts_exactly_and_writes_once_per_interval() -> None:
    shared = SharedTotals()
    counter = RequestCounter(shared.add, flush_seconds=60)
    assert [counter.hit("a", 1) for _ in range(5)] == [1, 2, 3, 4, 5]
    assert shared.writes == 1 and shared.totals["a", 1] == 1  # the first request of a window is written at once
    assert counter.pending("a", 1) == 4 and counter.pending("a", 2) == 0
    assert counter.hit("a", 2) == 1  # a new window starts from its own total
    assert shared.writes == 2


def test_two_processes_see_each_other_at_each_flush() -> None:
    shared = SharedTotals()
    one, two = (RequestCounter(shared.add, flush_seconds=0.05) for _ in range(2))
    for _ in range(3):
        one.hit("k", 7)
    two.hit("k", 7)  # its first request reads the shared total
    assert shared.totals["k", 7] == 2  # one's first request, two's first request
    time.sleep(0.06)
    assert one.hit("k", 7) == 5  # flushes its 3 pending: 2 + 3
    time.sleep(0.06)
    assert two.hit("k", 7) == 6
    assert shared.totals["k", 7] == 6


def test_forgets_idle_keys_past_its_size() -> None:
    shared = SharedTotals()
    counter = RequestCounter(shared.add, flush_seconds=60, max_keys=2)
    counter.hit("a", 1)
    counter.hit("b", 1)
    counter.hit("c", 1)  # the table is full: it starts afresh, the shared totals are kept
    assert counter.pending("a", 1) == 0 and shared.totals == {("a", 1): 1, ("b", 1): 1, ("c", 1): 1}
