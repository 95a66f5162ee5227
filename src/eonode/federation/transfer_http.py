"""What a parent's HTTP answer means for a transfer: go on, retry later, or give up.

Kept apart from the fetching loop so that every rule (which statuses are worth a retry, what a
correct ``Content-Range`` is, how long to back off) is a small pure function.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum

import httpx

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
_UNSATISFIED_RANGE = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$", re.IGNORECASE)
# Worth asking again: the server or something on the way is overloaded or briefly broken.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

_jitter = random.Random()


class Verdict(Enum):
    READ = "read"  # the body is the bytes asked for
    RETRY = "retry"  # a passing trouble: ask again after a pause
    FAIL = "fail"  # asking again cannot help
    MISMATCH = "mismatch"  # the server holds a different file than expected
    RANGES_IGNORED = "ranges_ignored"  # 200 to a Range request: the server can only send everything


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    reason: str = ""
    retry_after: float | None = None


def range_header(start: int, end: int, size: int) -> str | None:
    """The ``Range`` for bytes [start, end) of a ``size``-byte file; None for the whole file."""
    if start == 0 and end == size:
        return None
    return f"bytes={start}-" if end == size else f"bytes={start}-{end - 1}"


def parse_content_range(value: str) -> tuple[int, int, int | None] | None:
    """``bytes 0-99/1000`` → (0, 100, 1000) as [start, end) and total (None for ``*``)."""
    match = _CONTENT_RANGE.match(value)
    if not match:
        return None
    first, last, total = match.groups()
    return int(first), int(last) + 1, None if total == "*" else int(total)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(failures: int, *, base: float, factor: float, cap: float) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base·factor^(failures-1))].

    Full jitter keeps many children that lost their parent at once from all coming back at once.
    """
    return _jitter.uniform(0.0, min(cap, base * factor ** max(0, failures - 1)))


def judge(response: httpx.Response, *, start: int, end: int, size: int) -> Judgement:
    """Whether ``response`` to a request for bytes [start, end) of a ``size``-byte file can be read."""
    status = response.status_code
    ranged = range_header(start, end, size) is not None
    encoding = response.headers.get("Content-Encoding", "identity").lower()
    if status in (200, 206) and encoding not in ("identity", ""):
        return Judgement(Verdict.FAIL, f"the server sent a {encoding}-encoded body despite Accept-Encoding: identity")
    if status == 200:
        if ranged:
            return Judgement(Verdict.RANGES_IGNORED, "the server ignored the Range header")
        length = response.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) != size:
            return Judgement(Verdict.MISMATCH, f"size mismatch: expected {size} bytes, the server has {length}")
        return Judgement(Verdict.READ)
    if status == 206:
        return _judge_partial(response.headers.get("Content-Range", ""), start, end, size)
    if status == 416:
        total = _UNSATISFIED_RANGE.match(response.headers.get("Content-Range", ""))
        has = f"it has {total.group(1)}" if total else "it did not say how many it has"
        return Judgement(Verdict.MISMATCH, f"size mismatch: the server cannot send bytes {start}-{end - 1}; {has}")
    if status in RETRY_STATUSES:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return Judgement(Verdict.RETRY, f"HTTP {status} {response.reason_phrase}".rstrip(), retry_after)
    return Judgement(Verdict.FAIL, f"HTTP {status} {response.reason_phrase}".rstrip())


def _judge_partial(content_range: str, start: int, end: int, size: int) -> Judgement:
    parsed = parse_content_range(content_range)
    if parsed is None:
        return Judgement(Verdict.FAIL, f"206 with an unreadable Content-Range {content_range!r}")
    first, stop, total = parsed
    if total is not None and total != size:
        return Judgement(Verdict.MISMATCH, f"size mismatch: expected {size} bytes, the server has {total}")
    if first != start or stop != end:
        return Judgement(
            Verdict.FAIL, f"206 with Content-Range {content_range!r} for requested bytes {start}-{end - 1}"
        )
    return Judgement(Verdict.READ)
