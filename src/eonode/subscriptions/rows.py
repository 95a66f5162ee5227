"""An item document read the way the catalogue's search table holds it.

Search tests a search row — ids, typed property columns, the time span, the footprint — not the
JSON document; a subscription sees only the document. These readers turn a document into the
same values, so that tests over them agree with SQL: ``None`` for NULL, numbers, text, and times
as integer microseconds since the epoch.
"""

from __future__ import annotations

import operator
import re
import string
import threading
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from eonode.catalog.properties import PROMOTED_BY_PROP
from eonode.errors import EonodeError
from eonode.models.temporal import parse_instant, to_micros

Item = Mapping[str, Any]
Tri = bool | None  # SQL's true, false and unknown (NULL)
Test = Callable[[Item], Tri]
Getter = Callable[[Item], Any]

TIMES = ("datetime", "start_datetime", "end_datetime")
COLUMNS = frozenset(("id", "collection", *TIMES, *PROMOTED_BY_PROP))
SQL_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def properties(item: Item) -> Mapping[str, Any]:
    props = item.get("properties")
    return props if isinstance(props, Mapping) else {}


def micros(value: Any) -> int | None:
    """A time property as the search table holds it; None when absent or not RFC 3339."""
    if not isinstance(value, str):
        return None
    try:
        return to_micros(parse_instant(value))
    except EonodeError:
        return None


def time_span(item: Item) -> tuple[int, int] | None:
    """The item's instant or interval (start/end win over datetime, as in the search table)."""
    props = properties(item)
    dt = micros(props.get("datetime"))
    start, end = micros(props.get("start_datetime")), micros(props.get("end_datetime"))
    t_start = start if start is not None else dt
    t_end = end if end is not None else dt
    return None if t_start is None or t_end is None else (t_start, t_end)


def footprint(item: Item) -> BaseGeometry | None:
    geometry = item.get("geometry")
    if not isinstance(geometry, dict):
        return None
    try:
        return shapely.from_geojson(orjson.dumps(geometry))
    except (shapely.errors.GEOSException, ValueError, TypeError):
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def column(name: str) -> Getter:
    """A column of the search row: ``id``, ``collection``, a time, or a promoted property."""
    if name in ("id", "collection"):
        return lambda item: _string(item.get(name))
    if name in TIMES:
        return lambda item: micros(properties(item).get(name))
    promoted = PROMOTED_BY_PROP[name]
    if promoted.kind == "number":
        return lambda item: _number(properties(item).get(name))
    return lambda item: _string(properties(item).get(name))


def json_property(name: str, kind: str) -> Getter:
    """Any other property, read from the document: NULL unless it has the JSON type ``kind``."""
    if kind == "number":
        return lambda item: _number(properties(item).get(name))
    if kind == "string":
        return lambda item: _string(properties(item).get(name))
    if kind == "boolean":
        return lambda item: v if isinstance(v := properties(item).get(name), bool) else None

    def raw(item: Item) -> Any:  # json_extract: booleans as 1/0, arrays and objects as JSON text
        v = properties(item).get(name)
        if isinstance(v, list | dict):
            return orjson.dumps(v).decode()
        return int(v) if isinstance(v, bool) else v

    return raw


def compare(op: str, a: Any, b: Any) -> Tri:
    """``a op b`` as SQLite compares: NULL is unknown, numbers sort before text.

    Column affinity is not modelled: SQLite would read numeric-looking text as a number when a
    numeric column meets a JSON value, which only happens when two properties are compared with
    each other or a column with a list of literals of mixed types."""
    if a is None or b is None:
        return None
    text_a, text_b = isinstance(a, str), isinstance(b, str)
    if text_a != text_b:
        return SQL_OPS[op](text_a, text_b)
    return SQL_OPS[op](a, b)


def sql_text(value: Any) -> str | None:
    """SQLite's text of a value (LIKE and lower() read numbers as text)."""
    return value if isinstance(value, str) or value is None else str(value)


def sql_lower(value: Any) -> str | None:
    text = sql_text(value)
    return None if text is None else text.translate(_ASCII_LOWER)


def like_regex(pattern: str) -> re.Pattern[str] | None:
    """SQL ``LIKE pattern ESCAPE '\\'`` as a regex; None for a dangling escape (matches nothing)."""
    parts, k = [], 0
    while k < len(pattern):
        ch = pattern[k]
        if ch == "\\":
            if k + 1 == len(pattern):
                return None
            parts.append(re.escape(pattern[k + 1]))
            k += 2
            continue
        parts.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        k += 1
    return re.compile("".join(parts), re.DOTALL)


def all3(results: list[Tri]) -> Tri:
    """Three-valued AND."""
    return False if False in results else None if None in results else True


class PreparedShape:
    """A query geometry, prepared once per thread: GEOS prepared geometries must not be shared
    between threads, and one matcher may serve several (the feed, API workers)."""

    __slots__ = ("_local", "_wkb")

    def __init__(self, geometry: BaseGeometry) -> None:
        self._wkb = shapely.to_wkb(geometry)
        self._local = threading.local()

    def get(self) -> BaseGeometry:
        prepared = getattr(self._local, "geometry", None)
        if prepared is None:
            prepared = self._local.geometry = shapely.from_wkb(self._wkb)
            shapely.prepare(prepared)
        return prepared
