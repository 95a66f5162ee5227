"""CQL2-JSON compiled into a test of one item document, with the catalogue's SQL semantics.

Search answers a filter in SQL (``catalog/cql2sql.py``); subscriptions and child nodes must give
the same answer one document at a time, as the change feed goes by. This is that second reading
of CQL2. It follows our SQL, not the cql2 library's evaluator, which differs where a subscriber
would notice:

* three-valued logic: a comparison with a missing or null property is *unknown*, ``NOT unknown``
  is unknown, and only *true* matches (cql2 raises instead);
* properties are read as the search table holds them (``rows.py``): ``properties.x`` names a
  property of that name, not ``x``, and a value of another JSON type than the literal's is null;
* timestamps compared with properties other than the three times compare as text, ``LIKE`` is
  case-sensitive, ``CASEI`` lowers ASCII letters only (SQLite's ``lower``), and a ``BBOX`` with
  west > east crosses the antimeridian;
* whatever search refuses (``A_CONTAINS``, unknown functions, wrong literal types) raises the
  same :class:`~eonode.errors.InvalidFilter` here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import shapely
from shapely.geometry.base import BaseGeometry

# One definition of CQL2 literals, arities and operators: the SQL translator's own.
from eonode.catalog.cql2sql import (
    ARITY,
    SPATIAL_OPS,
    SWAPPED,
    TEMPORAL_OPS,
    cql2_date,
    cql2_timestamp,
    is_geometry_property,
    literal_geometry,
)
from eonode.catalog.properties import PROMOTED_BY_PROP
from eonode.errors import InvalidFilter
from eonode.models.temporal import format_instant, to_micros
from eonode.subscriptions.cql2time import temporal
from eonode.subscriptions.rows import (
    COLUMNS,
    SQL_OPS,
    TIMES,
    Getter,
    Item,
    PreparedShape,
    Test,
    Tri,
    all3,
    column,
    compare,
    footprint,
    json_property,
    like_regex,
    sql_lower,
    sql_text,
)

# op(item, query) evaluated as fn(query, item), so that the prepared query geometry comes first
_QUERY_FIRST = {
    "s_intersects": shapely.intersects,
    "s_disjoint": shapely.disjoint,
    "s_within": shapely.contains,
    "s_contains": shapely.within,
    "s_equals": shapely.equals,
    "s_touches": shapely.touches,
    "s_overlaps": shapely.overlaps,
    "s_crosses": shapely.crosses,
}


def _const(value: bool) -> Test:
    return lambda _item: value


# -- operands -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Lit:
    value: Any
    kind: Literal["number", "string", "boolean", "timestamp"]


def _literal(arg: Any) -> _Lit | None:
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


def _property(name: str, hint: _Lit | None) -> Getter:
    if name == "geometry":
        raise InvalidFilter("the geometry property can only be used in spatial predicates")
    if name in COLUMNS:
        if hint is not None:
            promoted = PROMOTED_BY_PROP.get(name)
            expected = "timestamp" if name in TIMES else (promoted.kind if promoted else "string")
            if expected == "number" and hint.kind != "number":
                raise InvalidFilter(f"{name} is a number; compare it with a number")
            if expected == "timestamp" and hint.kind not in ("timestamp", "string"):
                raise InvalidFilter(f"{name} is a timestamp; compare it with TIMESTAMP('...')")
            if expected == "string" and hint.kind != "string":
                raise InvalidFilter(f"{name} is a string; compare it with a string")
        return column(name)
    if '"' in name or "\\" in name:
        raise InvalidFilter(f"property name {name!r} is not supported")
    kind = "any" if hint is None else ("string" if hint.kind == "timestamp" else hint.kind)
    return json_property(name, kind)


def _operand(arg: Any, hint: _Lit | None) -> Getter:
    """A property (typed by the literal it is compared with) or a CASEI of one."""
    if isinstance(arg, dict) and "property" in arg:
        return _property(str(arg["property"]), hint)
    if isinstance(arg, dict) and str(arg.get("op", "")).lower() == "casei":
        inner = arg["args"][0]
        if isinstance(inner, str):
            lowered = sql_lower(inner)
            return lambda _item: lowered
        get = _operand(inner, _Lit("", "string"))
        return lambda item: sql_lower(get(item))
    if isinstance(arg, dict) and "op" in arg:
        raise InvalidFilter(f"CQL2 function {arg['op']!r} is not supported by this server")
    raise InvalidFilter("expected a property reference")


def _is_time(arg: Any) -> bool:
    return isinstance(arg, dict) and arg.get("property") in TIMES


def _value(lit: _Lit, target_is_time: bool) -> Any:
    if lit.kind == "timestamp":
        return to_micros(lit.value) if target_is_time else format_instant(lit.value)
    if target_is_time:
        if lit.kind != "string":  # search fails on these only when it runs the SQL
            raise InvalidFilter("a time property is compared with TIMESTAMP('...') or an RFC 3339 string")
        return to_micros(cql2_timestamp(lit.value))
    return lit.value


# -- predicates ---------------------------------------------------------------------------------
def compile_filter(node: Any) -> Test:
    """The test for a whole filter; any malformed part is InvalidFilter, as in search."""
    try:
        return _compile(node)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise InvalidFilter(f"the CQL2 filter is malformed ({type(exc).__name__}: {exc})") from None


def _compile(node: Any) -> Test:
    if isinstance(node, bool):
        return _const(node)
    if not isinstance(node, dict) or "op" not in node:
        raise InvalidFilter("a filter must be a boolean expression")
    op = str(node["op"]).lower()
    args = node.get("args")
    if not isinstance(args, list):
        raise InvalidFilter(f"CQL2 operator {node['op']!r} needs an 'args' list")
    arity = ARITY.get(op)
    if arity is not None and len(args) not in arity:
        raise InvalidFilter(f"CQL2 operator {node['op']!r} takes {' or '.join(map(str, arity))} arguments")
    handler = _handler(op)
    if handler is None:
        raise InvalidFilter(f"CQL2 operator {node['op']!r} is not supported by this server")
    return handler(op, args)


def _handler(op: str) -> Callable[[str, list[Any]], Test] | None:
    if op in SQL_OPS:
        return _comparison
    if op in SPATIAL_OPS:
        return _spatial
    if op in TEMPORAL_OPS:
        return temporal
    handlers: dict[str, Callable[[str, list[Any]], Test]] = {
        "and": _logical,
        "or": _logical,
        "not": _not,
        "like": _like,
        "between": _between,
        "in": _in,
        "isnull": _isnull,
    }
    return handlers.get(op)


def _is_spatial(node: Any) -> bool:
    if isinstance(node, dict):
        return str(node.get("op", "")).lower() in SPATIAL_OPS or any(_is_spatial(a) for a in node.get("args") or [])
    return False


def _logical(op: str, args: list[Any]) -> Test:
    if not args:
        raise InvalidFilter(f"CQL2 operator {op!r} needs arguments")
    # the order of terms does not change a three-valued AND or OR: geometry tests go last
    parts = [_compile(a) for a in sorted(args, key=_is_spatial)]
    stop, other = (False, True) if op == "and" else (True, False)

    def test(item: Item) -> Tri:
        unknown = False
        for part in parts:
            result = part(item)
            if result is None:
                unknown = True
            elif result == stop:
                return stop
        return None if unknown else other

    return test


def _not(_op: str, args: list[Any]) -> Test:
    inner = _compile(args[0])

    def test(item: Item) -> Tri:
        result = inner(item)
        return None if result is None else not result

    return test


def _isnull(_op: str, args: list[Any]) -> Test:
    get = _operand(args[0], None)
    return lambda item: get(item) is None


def _comparison(op: str, args: list[Any]) -> Test:
    left, right = args
    lit_l, lit_r = _literal(left), _literal(right)
    if lit_l is not None and lit_r is not None:
        return _const(bool(SQL_OPS[op](lit_l.value, lit_r.value)))
    if lit_r is not None:
        get = _operand(left, lit_r)
        value = _value(lit_r, _is_time(left))
        return lambda item: compare(op, get(item), value)
    if lit_l is not None:
        value = _value(lit_l, _is_time(right))
        get = _operand(right, lit_l)
        return lambda item: compare(op, value, get(item))
    get_l, get_r = _operand(left, None), _operand(right, None)
    return lambda item: compare(op, get_l(item), get_r(item))


def _like(_op: str, args: list[Any]) -> Test:
    target, pattern = args
    if _is_time(target):  # search binds the pattern as a timestamp and fails when it runs
        raise InvalidFilter(f"{target['property']} is a timestamp; LIKE needs a text property")
    lit = _literal(pattern)
    if lit is None and isinstance(pattern, dict) and str(pattern.get("op", "")).lower() == "casei":
        inner = _literal(pattern["args"][0])
        if inner is None or inner.kind != "string":
            raise InvalidFilter("LIKE needs a string pattern")
        get, regex = _operand(target, inner), like_regex(sql_lower(inner.value) or "")
    elif lit is None or lit.kind != "string":
        raise InvalidFilter("LIKE needs a string pattern")
    else:
        get, regex = _operand(target, lit), like_regex(lit.value)

    def test(item: Item) -> Tri:
        text = sql_text(get(item))
        if text is None:
            return None
        return regex is not None and regex.fullmatch(text) is not None

    return test


def _between(_op: str, args: list[Any]) -> Test:
    if len(args) == 2 and isinstance(args[1], list):
        target, (low, high) = args[0], args[1]
    elif len(args) == 3:
        target, low, high = args
    else:
        raise InvalidFilter("BETWEEN needs a property and two bounds")
    lo, hi = _literal(low), _literal(high)
    if lo is None or hi is None:
        raise InvalidFilter("BETWEEN bounds must be literals")
    time = _is_time(target)
    get = _operand(target, lo)
    a, b = _value(lo, time), _value(hi, time)

    def test(item: Item) -> Tri:
        v = get(item)
        return all3([compare(">=", v, a), compare("<=", v, b)])

    return test


def _in(_op: str, args: list[Any]) -> Test:
    target, values = args
    if not isinstance(values, list) or not values:
        raise InvalidFilter("IN needs a non-empty list of values")
    lits = [_literal(v) for v in values]
    if any(lit is None for lit in lits):
        raise InvalidFilter("IN values must be literals")
    time = _is_time(target)
    get = _operand(target, lits[0])
    # SQL `=` never holds between a number and text; Python's == on hashable values agrees
    options = frozenset(_value(lit, time) for lit in lits if lit is not None)

    def test(item: Item) -> Tri:
        v = get(item)
        return None if v is None else v in options

    return test


def _spatial(op: str, args: list[Any]) -> Test:
    left, right = args
    geom_l, geom_r = is_geometry_property(left), is_geometry_property(right)
    if geom_l and not geom_r:
        return spatial_test(op, literal_geometry(right))
    if geom_r and not geom_l:
        return spatial_test(SWAPPED.get(op, op), literal_geometry(left))
    if not geom_l and not geom_r:
        return _const(bool(getattr(shapely, op[2:])(literal_geometry(left), literal_geometry(right))))
    raise InvalidFilter("spatial predicates compare the item geometry with a literal geometry")


def spatial_test(op: str, geometry: BaseGeometry) -> Test:
    """``op(item footprint, geometry)``, exactly; unknown for an item without a footprint."""
    shape, fn = PreparedShape(geometry), _QUERY_FIRST[op]

    def test(item: Item) -> Tri:
        fp = footprint(item)
        return None if fp is None else bool(fn(shape.get(), fp))

    return test
