"""CQL2-JSON (already validated by the cql2 library) to SQLAlchemy boolean expressions.

Supported: ``and or not``, ``= <> < <= > >=``, ``like``, ``between``, ``in``, ``isNull``,
``casei``, the spatial predicates ``s_intersects s_disjoint s_within s_contains s_equals
s_touches s_overlaps s_crosses`` and every temporal predicate (``t_intersects``, ``t_before`` …).
Anything else is a clear 400. The backend supplies what differs between databases: how a
property outside the promoted columns is read from the JSON document, and how a spatial
predicate is evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import and_, false, func, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from eonode.catalog.cql2time import temporal_relation
from eonode.catalog.properties import PROMOTED_BY_PROP
from eonode.errors import EonodeError, InvalidFilter
from eonode.models.geometry import Bbox, parse_geometry
from eonode.models.temporal import format_instant, parse_instant

JsonKind = Literal["number", "string", "boolean", "any", "sort"]
Bool = ColumnElement[bool]
Expr = ColumnElement[Any]

SPATIAL_OPS = {
    "s_intersects",
    "s_disjoint",
    "s_within",
    "s_contains",
    "s_equals",
    "s_touches",
    "s_overlaps",
    "s_crosses",
}
SWAPPED = {"s_within": "s_contains", "s_contains": "s_within"}
TEMPORAL_OPS = {
    "t_intersects",
    "t_disjoint",
    "t_equals",
    "t_before",
    "t_after",
    "t_meets",
    "t_metby",
    "t_overlaps",
    "t_overlappedby",
    "t_starts",
    "t_startedby",
    "t_during",
    "t_contains",
    "t_finishes",
    "t_finishedby",
}
ARITY: dict[str, tuple[int, ...]] = {
    "not": (1,),
    "like": (2,),
    "between": (2, 3),
    "in": (2,),
    "isnull": (1,),
    "=": (2,),
    "<>": (2,),
    "<": (2,),
    "<=": (2,),
    ">": (2,),
    ">=": (2,),
    **{op: (2,) for op in SPATIAL_OPS | TEMPORAL_OPS},
}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class Columns(Protocol):
    """What a backend gives the translator."""

    def column(self, name: str) -> Expr | None:
        """The column holding a core or promoted property (``None`` if the property has none)."""

    def time_span(self) -> tuple[Expr, Expr]:
        """The item's time span (start, end): its ``datetime``, or its start/end interval."""

    def json_property(self, name: str, kind: JsonKind) -> Expr:
        """A property read from the item document, NULL unless it has the JSON type ``kind``."""

    def spatial(self, op: str, geometry: BaseGeometry) -> Bool:
        """``op(item footprint, geometry)``, exactly."""


@dataclass(frozen=True, slots=True)
class _Lit:
    value: Any
    kind: Literal["number", "string", "boolean", "timestamp"]


def literal_geometry(arg: Any) -> BaseGeometry:
    if isinstance(arg, dict) and "bbox" in arg:
        return Bbox.from_values(arg["bbox"]).to_geometry()
    try:
        return parse_geometry(arg)
    except EonodeError as exc:
        raise InvalidFilter(f"spatial literal: {exc.description}") from None


def cql2_timestamp(text: Any) -> datetime:
    try:
        return parse_instant(str(text))
    except EonodeError:
        raise InvalidFilter(f"{text!r} is not an RFC 3339 timestamp") from None


def cql2_date(text: Any, end_of_day: bool = False) -> datetime:
    try:
        day = datetime.strptime(str(text), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidFilter(f"{text!r} is not a date (YYYY-MM-DD)") from None
    return day + timedelta(days=1, microseconds=-1) if end_of_day else day


def interval_end(value: Any, is_end: bool) -> datetime | None:
    if value in ("..", None):
        return None
    if isinstance(value, dict):
        if "timestamp" in value:
            return cql2_timestamp(value["timestamp"])
        if "date" in value:
            return cql2_date(value["date"], end_of_day=is_end)
        raise InvalidFilter("interval ends must be timestamps, dates or '..'")
    text = str(value)
    return cql2_date(text, end_of_day=is_end) if len(text) == 10 else cql2_timestamp(text)


def is_geometry_property(arg: Any) -> bool:
    return isinstance(arg, dict) and arg.get("property") == "geometry"


class FilterCompiler:
    """Translate one CQL2-JSON expression against the columns of one backend."""

    def __init__(self, columns: Columns) -> None:
        self.columns = columns

    def translate(self, node: Any) -> Bool:
        """The SQL condition for a whole filter; any malformed part is a 400, never a 500."""
        try:
            return self.compile(node)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise InvalidFilter(f"the CQL2 filter is malformed ({type(exc).__name__}: {exc})") from None

    def compile(self, node: Any) -> Bool:
        if isinstance(node, bool):
            return true() if node else false()
        if not isinstance(node, dict) or "op" not in node:
            raise InvalidFilter("a filter must be a boolean expression")
        op = str(node["op"]).lower()
        args = node.get("args")
        if not isinstance(args, list):
            raise InvalidFilter(f"CQL2 operator {node['op']!r} needs an 'args' list")
        arity = ARITY.get(op)
        if arity is not None and len(args) not in arity:
            raise InvalidFilter(f"CQL2 operator {node['op']!r} takes {' or '.join(map(str, arity))} arguments")
        handler = self._handler(op)
        if handler is None:
            raise InvalidFilter(f"CQL2 operator {node['op']!r} is not supported by this server")
        return handler(op, args)

    def _handler(self, op: str) -> Callable[[str, list[Any]], Bool] | None:
        if op in _COMPARE:
            return self._comparison
        if op in SPATIAL_OPS:
            return self._spatial
        if op in TEMPORAL_OPS:
            return self._temporal
        handlers: dict[str, Callable[[str, list[Any]], Bool]] = {
            "and": self._logical,
            "or": self._logical,
            "not": lambda _op, args: not_(self.compile(args[0])),
            "like": self._like,
            "between": self._between,
            "in": self._in,
            "isnull": lambda _op, args: self._operand(args[0], None).is_(None),
        }
        return handlers.get(op)

    def _logical(self, op: str, args: list[Any]) -> Bool:
        if not args:
            raise InvalidFilter(f"CQL2 operator {op!r} needs arguments")
        parts = [self.compile(a) for a in args]
        return and_(*parts) if op == "and" else or_(*parts)

    # -- operands -------------------------------------------------------------------------------
    def _literal(self, arg: Any) -> _Lit | None:
        if isinstance(arg, bool):
            return _Lit(arg, "boolean")
        if isinstance(arg, int | float):
            return _Lit(arg, "number")
        if isinstance(arg, str):
            return _Lit(arg, "string")
        if isinstance(arg, dict) and "timestamp" in arg:
            return _Lit(cql2_timestamp(arg["timestamp"]), "timestamp")
        if isinstance(arg, dict) and "date" in arg:
            return _Lit(cql2_date(arg["date"]), "timestamp")
        return None

    def _operand(self, arg: Any, hint: _Lit | None) -> Expr:
        """A property (typed by the literal it is compared with) or a casei() of one."""
        if isinstance(arg, dict) and "property" in arg:
            return self._property(str(arg["property"]), hint)
        if isinstance(arg, dict) and str(arg.get("op", "")).lower() == "casei":
            inner = arg["args"][0]
            if isinstance(inner, str):
                return func.lower(inner)
            return func.lower(self._operand(inner, _Lit("", "string")))
        if isinstance(arg, dict) and "op" in arg:
            raise InvalidFilter(f"CQL2 function {arg['op']!r} is not supported by this server")
        raise InvalidFilter("expected a property reference")

    def _property(self, name: str, hint: _Lit | None) -> Expr:
        if name == "geometry":
            raise InvalidFilter("the geometry property can only be used in spatial predicates")
        col = self.columns.column(name)
        promoted = PROMOTED_BY_PROP.get(name)
        if col is not None:
            if hint is not None:
                expected = (
                    "timestamp"
                    if name in ("datetime", "start_datetime", "end_datetime")
                    else (promoted.kind if promoted else "string")
                )
                if expected == "number" and hint.kind != "number":
                    raise InvalidFilter(f"{name} is a number; compare it with a number")
                if expected == "timestamp" and hint.kind not in ("timestamp", "string"):
                    raise InvalidFilter(f"{name} is a timestamp; compare it with TIMESTAMP('...')")
                if expected == "string" and hint.kind not in ("string",):
                    raise InvalidFilter(f"{name} is a string; compare it with a string")
            return col
        kind: JsonKind = "any"
        if hint is not None:
            kind = "string" if hint.kind == "timestamp" else hint.kind
        return self.columns.json_property(name, kind)

    def _value(self, lit: _Lit, target_is_time: bool) -> Any:
        if lit.kind == "timestamp" and not target_is_time:
            return format_instant(lit.value)
        if lit.kind == "string" and target_is_time:
            return cql2_timestamp(lit.value)
        return lit.value

    def _is_time(self, arg: Any) -> bool:
        return isinstance(arg, dict) and arg.get("property") in ("datetime", "start_datetime", "end_datetime")

    # -- predicates -----------------------------------------------------------------------------
    def _comparison(self, op: str, args: list[Any]) -> Bool:
        left, right = args
        lit_l, lit_r = self._literal(left), self._literal(right)
        if lit_l is not None and lit_r is not None:
            return true() if _COMPARE[op](lit_l.value, lit_r.value) else false()
        if lit_r is not None:
            return _COMPARE[op](self._operand(left, lit_r), self._value(lit_r, self._is_time(left)))  # type: ignore[no-any-return]
        if lit_l is not None:
            return _COMPARE[op](self._value(lit_l, self._is_time(right)), self._operand(right, lit_l))  # type: ignore[no-any-return]
        return _COMPARE[op](self._operand(left, None), self._operand(right, None))  # type: ignore[no-any-return]

    def _like(self, _op: str, args: list[Any]) -> Bool:
        target, pattern = args
        lit = self._literal(pattern)
        if lit is None and isinstance(pattern, dict) and str(pattern.get("op", "")).lower() == "casei":
            inner = self._literal(pattern["args"][0])
            if inner is None or inner.kind != "string":
                raise InvalidFilter("LIKE needs a string pattern")
            return self._operand(target, inner).like(func.lower(inner.value), escape="\\")
        if lit is None or lit.kind != "string":
            raise InvalidFilter("LIKE needs a string pattern")
        return self._operand(target, lit).like(lit.value, escape="\\")

    def _between(self, _op: str, args: list[Any]) -> Bool:
        if len(args) == 2 and isinstance(args[1], list):
            target, (low, high) = args[0], args[1]
        elif len(args) == 3:
            target, low, high = args
        else:
            raise InvalidFilter("BETWEEN needs a property and two bounds")
        lo, hi = self._literal(low), self._literal(high)
        if lo is None or hi is None:
            raise InvalidFilter("BETWEEN bounds must be literals")
        time = self._is_time(target)
        return self._operand(target, lo).between(self._value(lo, time), self._value(hi, time))

    def _in(self, _op: str, args: list[Any]) -> Bool:
        target, values = args
        if not isinstance(values, list) or not values:
            raise InvalidFilter("IN needs a non-empty list of values")
        lits = [self._literal(v) for v in values]
        if any(lit is None for lit in lits):
            raise InvalidFilter("IN values must be literals")
        first = lits[0]
        assert first is not None
        time = self._is_time(target)
        return self._operand(target, first).in_([self._value(lit, time) for lit in lits if lit is not None])

    def _spatial(self, op: str, args: list[Any]) -> Bool:
        left, right = args
        if is_geometry_property(left) and not is_geometry_property(right):
            return self.columns.spatial(op, literal_geometry(right))
        if is_geometry_property(right) and not is_geometry_property(left):
            return self.columns.spatial(SWAPPED.get(op, op), literal_geometry(left))
        if not is_geometry_property(left) and not is_geometry_property(right):
            a, b = literal_geometry(left), literal_geometry(right)
            return true() if bool(getattr(shapely, op[2:])(a, b)) else false()
        raise InvalidFilter("spatial predicates compare the item geometry with a literal geometry")

    def _temporal_side(self, arg: Any) -> tuple[Any, Any]:
        if isinstance(arg, dict) and "property" in arg:
            name = str(arg["property"])
            if name == "datetime":
                return self.columns.time_span()
            col = self.columns.column(name)
            if col is None or name not in ("start_datetime", "end_datetime"):
                raise InvalidFilter(f"{name} is not a temporal property (use datetime, start_datetime, end_datetime)")
            return col, col
        if isinstance(arg, dict) and "interval" in arg:
            ends = arg["interval"]
            if not isinstance(ends, list) or len(ends) != 2:
                raise InvalidFilter("an interval has two ends")
            if any(isinstance(e, dict) and "property" in e for e in ends):
                # INTERVAL(start_datetime, end_datetime): the item's own time span
                span = self.columns.time_span()
                return tuple(  # type: ignore[return-value]
                    span[k] if isinstance(e, dict) and "property" in e else interval_end(e, k == 1)
                    for k, e in enumerate(ends)
                )
            return interval_end(ends[0], False), interval_end(ends[1], True)
        if isinstance(arg, dict) and "timestamp" in arg:
            t = cql2_timestamp(arg["timestamp"])
            return t, t
        if isinstance(arg, dict) and "date" in arg:
            return cql2_date(arg["date"]), cql2_date(arg["date"], end_of_day=True)
        raise InvalidFilter("temporal predicates take datetime properties, timestamps, dates or intervals")

    def _temporal(self, op: str, args: list[Any]) -> Bool:
        a, b = self._temporal_side(args[0])
        c, d = self._temporal_side(args[1])
        return temporal_relation(op, a, b, c, d)
