"""How fast and when a node may copy bytes from its parent.

A node shares one :class:`Pacer` between all its transfers: the bandwidth cap is a token bucket
that every chunk of every transfer draws from, so ten parallel transfers together stay under the
cap instead of each taking it. :class:`TransferWindows` says when copying is allowed at all
(links that are only free at night, "22:00-06:00"), in the node's local time or a named zone.

Time comes from a :class:`Clock` so that tests can drive hours of pacing without waiting.
"""

from __future__ import annotations

import re
import threading
import time as _time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY = 86_400
# Re-read the wall clock at least this often while waiting for a window: it can jump (NTP, suspend).
MAX_WINDOW_NAP = 300.0
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class Clock(Protocol):
    """Where pacing reads time and how it waits; tests substitute a clock that only pretends."""

    def monotonic(self) -> float: ...

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> None:
        """Wait ``seconds``, returning early once ``cancel`` is set."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return _time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> None:
        if seconds <= 0:
            return
        if cancel is None:
            _time.sleep(seconds)
        else:
            cancel.wait(seconds)


@dataclass(frozen=True, slots=True)
class Window:
    """Seconds of the day: ``start`` included, ``end`` excluded; ``end <= start`` wraps past midnight."""

    start: int
    end: int

    def contains(self, second_of_day: float) -> bool:
        if self.start < self.end:
            return self.start <= second_of_day < self.end
        return second_of_day >= self.start or second_of_day < self.end


def _parse_window(text: str) -> Window:
    match = _WINDOW.match(text)
    if not match:
        raise ValueError(f"transfer window {text.strip()!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise ValueError(f"transfer window {text.strip()!r} names a time that does not exist")
    start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
    if start == end % DAY and (start, end) != (0, DAY):
        raise ValueError(f"transfer window {text.strip()!r} is empty; use 00:00-24:00 for the whole day")
    return Window(start, end)


class TransferWindows:
    """Times of day when transfers may run, in one time zone (``None``: the machine's local time).

    Wall-clock times are resolved per calendar day, so a window keeps its local hours across a
    daylight-saving change.
    """

    def __init__(self, windows: Iterable[Window], tz: str | None = None) -> None:
        self.windows = tuple(windows)
        if not self.windows:
            raise ValueError("at least one transfer window is needed (leave windows unset to always allow)")
        self.tz_name = tz
        self._zone: tzinfo | None = None
        if tz is not None:
            try:
                self._zone = ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {tz!r}") from exc

    @classmethod
    def parse(cls, spec: str, tz: str | None = None) -> TransferWindows:
        """``"22:00-06:00"`` or several separated by commas: ``"00:00-06:00, 12:00-13:30"``."""
        return cls((_parse_window(part) for part in spec.split(",") if part.strip()), tz)

    def __repr__(self) -> str:
        spans = ", ".join(f"{_hhmm(w.start)}-{_hhmm(w.end)}" for w in self.windows)
        return f"TransferWindows({spans!r}, tz={self.tz_name!r})"

    def is_open(self, now: datetime) -> bool:
        wall = self._wall(now)
        second = wall.hour * 3600 + wall.minute * 60 + wall.second + wall.microsecond / 1e6
        return any(w.contains(second) for w in self.windows)

    def next_open(self, now: datetime) -> datetime:
        """``now`` if a window is open, else the start of the next one (in ``now``'s zone)."""
        if self.is_open(now):
            return now
        today = self._wall(now).date()
        starts = [self._localize(today + timedelta(days=offset), w.start) for offset in range(3) for w in self.windows]
        return min(s for s in starts if s > now).astimezone(now.tzinfo)

    def _wall(self, now: datetime) -> datetime:
        if now.tzinfo is None:
            raise ValueError("transfer windows need a timezone-aware datetime")
        return now.astimezone(self._zone) if self._zone is not None else now.astimezone()

    def _localize(self, day: date, second: int) -> datetime:
        naive = datetime.combine(day, time()) + timedelta(seconds=second)
        if self._zone is not None:
            return naive.replace(tzinfo=self._zone)
        return naive.astimezone()  # a naive datetime is read as local time, with that date's DST rules


def _hhmm(second: int) -> str:
    return f"{second // 3600:02d}:{second % 3600 // 60:02d}"


class Pacer:
    """The bandwidth cap and transfer windows of one node, shared by all its transfers and threads.

    The cap is a token bucket holding at most ``burst`` bytes. :meth:`take` reserves tokens and
    then sleeps off any debt outside the lock, so callers queue in order of arrival and a chunk
    larger than the bucket still passes, at the cap's pace.
    """

    def __init__(
        self,
        rate_bytes_per_s: float | None = None,
        windows: TransferWindows | None = None,
        *,
        burst: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        if rate_bytes_per_s is not None and rate_bytes_per_s <= 0:
            raise ValueError("the bandwidth cap must be positive (or None for no cap)")
        self.rate = rate_bytes_per_s
        self.windows = windows
        self.clock: Clock = clock or SystemClock()
        self.burst = float(burst if burst is not None else max(64 * 1024, (rate_bytes_per_s or 0) / 4))
        self._tokens = self.burst
        self._stamp = self.clock.monotonic()
        self._lock = threading.Lock()

    def take(self, n: int, cancel: threading.Event | None = None) -> None:
        """Block until ``n`` more bytes fit under the cap."""
        if self.rate is None or n <= 0:
            return
        with self._lock:
            now = self.clock.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= n
            debt = -self._tokens
        if debt > 0:
            self.clock.sleep(debt / self.rate, cancel)

    def is_open(self) -> bool:
        return self.windows is None or self.windows.is_open(self.clock.now())

    def wait_open(self, cancel: threading.Event | None = None) -> bool:
        """Sleep until a window is open; False if ``cancel`` was set first."""
        while not (cancel is not None and cancel.is_set()):
            if self.windows is None:
                return True
            now = self.clock.now()
            opens = self.windows.next_open(now)
            if opens == now:
                return True
            self.clock.sleep(min((opens - now).total_seconds(), MAX_WINDOW_NAP), cancel)
        return False
