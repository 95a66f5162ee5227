"""HTTP ``Range: bytes=…`` parsing (RFC 9110 §14), for resumable downloads."""

from __future__ import annotations

from eonode.errors import RangeNotSatisfiable


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range to send (inclusive ends), or None for the whole file.

    Several ranges, or a header we do not understand, get the whole file (which RFC 9110 allows);
    a well-formed range entirely outside the file is 416.
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, sep, last = spec.strip().partition("-")
    if not sep:
        return None
    first, last = first.strip(), last.strip()
    if not (first.isdigit() or (not first and last.isdigit())) or (last and not last.isdigit()):
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable(size, "an empty suffix range selects nothing")
        return (max(0, size - length), size - 1) if size else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable(size, f"the range starts at byte {start} but the file has {size} bytes")
    return start, end
