"""RFC 3339 instants and intervals, strictly parsed and always normalised to UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eonode.errors import InvalidDatetime

_RFC3339 = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[Tt ](?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
    r"(?:\.(?P<frac>\d{1,9}))?(?P<tz>[Zz]|[+-]\d{2}:\d{2})$"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


_CANONICAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$")


def parse_instant(text: str) -> datetime:
    """Parse one RFC 3339 date-time (timezone required) into an aware UTC datetime."""
    if _CANONICAL.match(text):  # the common, already-normalised form: let C parse it
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # a leap second, or an impossible date: the full parser says which
    m = _RFC3339.match(text.strip())
    if not m:
        raise InvalidDatetime(f"{text!r} is not an RFC 3339 date-time (e.g. 2024-05-01T03:20:00Z)")
    second = int(m["s"])
    frac = (m["frac"] or "").ljust(6, "0")[:6]
    if second > 60:
        raise InvalidDatetime(f"{text!r}: second out of range")
    leap = second == 60
    try:
        value = datetime(
            int(m["y"]),
            int(m["mo"]),
            int(m["d"]),
            int(m["h"]),
            int(m["mi"]),
            59 if leap else second,
            int(frac),
            tzinfo=UTC,
        )
    except ValueError as exc:
        raise InvalidDatetime(f"{text!r}: {exc}") from None
    tz = m["tz"]
    if tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        hours, minutes = int(tz[1:3]), int(tz[4:6])
        if hours > 23 or minutes > 59:
            raise InvalidDatetime(f"{text!r}: timezone offset out of range")
        value -= sign * timedelta(hours=hours, minutes=minutes)
    if leap:
        value += timedelta(microseconds=999_999 - value.microsecond)
    return value


def format_instant(value: datetime) -> str:
    """UTC, 'Z' suffix, microseconds only when present."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat() + "Z"


def to_micros(value: datetime) -> int:
    """Microseconds since the Unix epoch (the SQLite storage form of timestamps)."""
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


@dataclass(frozen=True, slots=True)
class TimeInterval:
    """A closed interval; ``None`` marks an open end."""

    start: datetime | None
    end: datetime | None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise InvalidDatetime("interval start is after its end")

    @property
    def is_instant(self) -> bool:
        return self.start is not None and self.start == self.end

    def to_text(self) -> str:
        if self.is_instant and self.start is not None:
            return format_instant(self.start)
        start = format_instant(self.start) if self.start else ".."
        end = format_instant(self.end) if self.end else ".."
        return f"{start}/{end}"


def parse_interval(text: str) -> TimeInterval:
    """Parse the STAC API ``datetime`` parameter: an instant, or ``start/end`` with open ends."""
    text = text.strip()
    if "/" not in text:
        instant = parse_instant(text)
        return TimeInterval(instant, instant)
    parts = text.split("/")
    if len(parts) != 2:
        raise InvalidDatetime(f"{text!r}: an interval has exactly one '/'")
    ends = [None if p in ("", "..") else parse_instant(p) for p in parts]
    if ends[0] is None and ends[1] is None:
        raise InvalidDatetime(f"{text!r}: at least one end of the interval must be given")
    return TimeInterval(ends[0], ends[1])
