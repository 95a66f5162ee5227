"""Bandwidth cap and transfer windows, driven by a clock that only pretends to wait."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from eonode.federation.pacing import Pacer, TransferWindows

KiB = 1024
MiB = 1024 * KiB


class FakeClock:
    def __init__(self, wall: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> None:
        self.t = 0.0
        self.wall = wall
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.wall + timedelta(seconds=self.t)

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> None:
        if cancel is not None and cancel.is_set():
            return
        self.slept.append(seconds)
        self.t += seconds


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# -- bandwidth cap --------------------------------------------------------------------------------
def test_cap_keeps_the_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(MiB, burst=128 * KiB, clock=clock)
    for _ in range(160):  # 10 MiB in 64 KiB chunks
        pacer.take(64 * KiB)
    assert clock.t == pytest.approx((10 * MiB - 128 * KiB) / MiB)


def test_chunks_bigger_than_the_bucket_still_pass_at_the_cap() -> None:
    clock = FakeClock()
    pacer = Pacer(100 * KiB, burst=64 * KiB, clock=clock)
    for _ in range(5):
        pacer.take(MiB)
    assert clock.t == pytest.approx((5 * MiB - 64 * KiB) / (100 * KiB))


def test_idle_time_refills_only_up_to_the_burst() -> None:
    clock = FakeClock()
    pacer = Pacer(MiB, burst=256 * KiB, clock=clock)
    pacer.take(256 * KiB)
    clock.t += 3600  # an hour idle earns no more than one burst
    start = clock.t
    pacer.take(256 * KiB + MiB)
    assert clock.t - start == pytest.approx(1.0)


def test_no_cap_never_waits() -> None:
    clock = FakeClock()
    pacer = Pacer(None, clock=clock)
    pacer.take(10**12)
    assert clock.slept == []


def test_one_cap_is_shared_by_threads() -> None:
    pacer = Pacer(16 * MiB, burst=64 * KiB)  # a real clock: four threads really compete
    started = time.monotonic()

    def pull() -> None:
        for _ in range(32):
            pacer.take(64 * KiB)  # 2 MiB per thread

    threads = [threading.Thread(target=pull) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert (8 * MiB - 64 * KiB) / (16 * MiB) * 0.95 <= elapsed < 2.0


def test_rejects_a_non_positive_cap() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(0)


# -- transfer windows -----------------------------------------------------------------------------
def test_window_within_a_day() -> None:
    windows = TransferWindows.parse("09:00-17:30", "UTC")
    assert windows.is_open(utc(2026, 5, 1, 9, 0))
    assert windows.is_open(utc(2026, 5, 1, 17, 29, 59))
    assert not windows.is_open(utc(2026, 5, 1, 17, 30))
    assert windows.next_open(utc(2026, 5, 1, 18, 0)) == utc(2026, 5, 2, 9, 0)
    assert windows.next_open(utc(2026, 5, 1, 8, 0)) == utc(2026, 5, 1, 9, 0)


def test_window_wraps_past_midnight() -> None:
    windows = TransferWindows.parse("22:00-06:00", "UTC")
    assert windows.is_open(utc(2026, 5, 1, 23, 0)) and windows.is_open(utc(2026, 5, 2, 5, 59))
    assert not windows.is_open(utc(2026, 5, 2, 6, 0)) and not windows.is_open(utc(2026, 5, 1, 21, 59))
    now = utc(2026, 5, 1, 23, 15)
    assert windows.next_open(now) == now  # already open
    assert windows.next_open(utc(2026, 5, 2, 7, 0)) == utc(2026, 5, 2, 22, 0)


def test_several_windows() -> None:
    windows = TransferWindows.parse("00:00-02:00, 12:00-13:00,23:00-24:00", "UTC")
    assert windows.next_open(utc(2026, 5, 1, 3, 0)) == utc(2026, 5, 1, 12, 0)
    assert windows.next_open(utc(2026, 5, 1, 13, 0)) == utc(2026, 5, 1, 23, 0)
    assert windows.is_open(utc(2026, 5, 1, 23, 59)) and windows.is_open(utc(2026, 5, 2, 0, 30))
    assert TransferWindows.parse("00:00-24:00").is_open(utc(2026, 5, 1, 17, 0))


def test_window_in_a_named_zone() -> None:
    windows = TransferWindows.parse("22:00-06:00", "Asia/Shanghai")  # UTC+8
    assert windows.is_open(utc(2026, 5, 1, 15, 0))  # 23:00 in Beijing
    assert not windows.is_open(utc(2026, 5, 1, 0, 0))  # 08:00 in Beijing
    assert windows.next_open(utc(2026, 5, 1, 0, 0)) == utc(2026, 5, 1, 14, 0)


def test_window_keeps_local_hours_across_daylight_saving() -> None:
    windows = TransferWindows.parse("22:00-06:00", "Europe/Berlin")  # clocks go forward on 2026-03-29
    assert windows.next_open(utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 28, 21, 0)  # 22:00 CET
    assert windows.next_open(utc(2026, 3, 29, 12, 0)) == utc(2026, 3, 29, 20, 0)  # 22:00 CEST


@pytest.fixture
def shanghai_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("shanghai_local_time")
def test_window_in_local_time() -> None:
    windows = TransferWindows.parse("22:00-06:00")
    assert windows.is_open(utc(2026, 5, 1, 15, 0))
    assert windows.next_open(utc(2026, 5, 1, 0, 0)) == utc(2026, 5, 1, 14, 0)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("22-06", "not HH:MM-HH:MM"),
        ("25:00-06:00", "does not exist"),
        ("08:00-08:00", "empty"),
        ("", "at least one"),
    ],
)
def test_bad_windows_are_refused(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TransferWindows.parse(spec, "UTC")


def test_unknown_zone_and_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        TransferWindows.parse("22:00-06:00", "Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="timezone-aware"):
        TransferWindows.parse("22:00-06:00", "UTC").is_open(datetime(2026, 1, 1))


def test_pacer_waits_for_the_window() -> None:
    clock = FakeClock(utc(2026, 5, 1, 7, 0))
    pacer = Pacer(windows=TransferWindows.parse("22:00-06:00", "UTC"), clock=clock)
    assert not pacer.is_open()
    assert pacer.wait_open()
    assert clock.now() == utc(2026, 5, 1, 22, 0) and max(clock.slept) <= 300


def test_waiting_for_the_window_can_be_cancelled() -> None:
    clock = FakeClock(utc(2026, 5, 1, 7, 0))
    pacer = Pacer(windows=TransferWindows.parse("22:00-06:00", "UTC"), clock=clock)
    cancel = threading.Event()
    cancel.set()
    assert not pacer.wait_open(cancel)
    assert clock.slept == []
