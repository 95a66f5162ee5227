"""A parent node's transfer slots for its child nodes: what an agreement's ``priority`` means.

Child nodes' downloads (made with their machine account's key) pass a gate of ``slots``
concurrent transfers. While all are taken, waiting requests are admitted highest priority first,
in arrival order within a priority; one that gets no slot within ``wait_seconds`` is refused
(:class:`GateBusy`, answered 503 with ``Retry-After``, which a child's transfer engine honours).
A slot is held until the response's last byte is sent, or the client leaves.

One gate per server process, driven by its event loop (no locks: every method runs on it).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

RETRY_AFTER_SECONDS = 2


class GateBusy(Exception):
    """No transfer slot came free in time; ask again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int, waiting: int) -> None:
        self.retry_after = retry_after
        self.waiting = waiting
        super().__init__(f"all transfer slots are busy ({waiting} waiting); try again in {retry_after} s")


class Slot:
    """One admitted transfer. :meth:`release` (idempotent) hands the slot to the next in line."""

    def __init__(self, gate: UploadGate) -> None:
        self._gate: UploadGate | None = gate

    def release(self) -> None:
        gate, self._gate = self._gate, None
        if gate is not None:
            gate._hand_on()


class UploadGate:
    def __init__(self, slots: int, *, wait_seconds: float, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        if slots < 1 or wait_seconds <= 0:
            raise ValueError("a gate needs at least one slot and a positive wait")
        self.slots = slots
        self.wait_seconds = wait_seconds
        self.retry_after = retry_after
        self._free = slots
        self._order = itertools.count()  # arrival order, for FIFO within a priority
        self._queue: list[tuple[int, int, asyncio.Future[None]]] = []  # (-priority, arrival, admission)

    @property
    def busy(self) -> int:
        """Slots in use."""
        return self.slots - self._free

    @property
    def waiting(self) -> int:
        return sum(1 for _p, _n, admitted in self._queue if not admitted.done())

    async def acquire(self, priority: int) -> Slot:
        """A slot for a transfer of this priority; :class:`GateBusy` after ``wait_seconds`` in line."""
        if self._free:  # a free slot means nobody is waiting: slots go to waiters before they are freed
            self._free -= 1
            return Slot(self)
        admitted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._queue, (-priority, next(self._order), admitted))
        try:
            async with asyncio.timeout(self.wait_seconds):
                await admitted
        except TimeoutError:
            if admitted.done() and not admitted.cancelled():
                return Slot(self)  # admitted just as the wait ran out
            self._drop_gone()
            raise GateBusy(self.retry_after, self.waiting) from None
        except BaseException:  # the request was cancelled while in line
            if admitted.done() and not admitted.cancelled():
                self._hand_on()
            raise
        return Slot(self)

    def _hand_on(self) -> None:
        """A slot came free: admit the first live waiter (highest priority, then earliest), else keep it."""
        while self._queue:
            _p, _n, admitted = heapq.heappop(self._queue)
            if not admitted.done():
                admitted.set_result(None)
                return
        self._free += 1

    def _drop_gone(self) -> None:
        self._queue = [entry for entry in self._queue if not entry[2].done()]
        heapq.heapify(self._queue)
