"""CQL2 temporal predicates (``T_*``) over an item document, as ``catalog/cql2time.py`` writes
them in SQL: Allen's relations with open interval ends, and NULL where an item lacks a time.

Literal ends are folded when the filter is compiled, exactly where the SQL translator folds them,
so a filter search refuses is refused here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eonode.catalog.cql2sql import cql2_date, cql2_timestamp, interval_end
from eonode.errors import InvalidFilter
from eonode.models.temporal import to_micros
from eonode.subscriptions.rows import Getter, Item, Test, Tri, all3, column, compare, time_span


@dataclass(frozen=True, slots=True)
class _Col:
    """An end read from the item."""

    get: Getter


@dataclass(frozen=True, slots=True)
class _Inf:
    """An open end of a literal interval: below (-1) or above (+1) every instant."""

    sign: int


Term = _Col | _Inf | int | None
Rel = Test | bool  # a test, or a constant the compiler could decide
NEG_INF, POS_INF = _Inf(-1), _Inf(1)


def _span_start(item: Item) -> int | None:
    span = time_span(item)
    return None if span is None else span[0]


def _span_end(item: Item) -> int | None:
    span = time_span(item)
    return None if span is None else span[1]


SPAN = (_Col(_span_start), _Col(_span_end))


def _getter(term: Term) -> Getter:
    if isinstance(term, _Col):
        return term.get
    return lambda _item: term


def _cmp(op: str, x: Term, y: Term) -> Rel:
    if isinstance(y, _Inf):
        return False if op == "=" else (op == "<") == (y.sign > 0)
    if isinstance(x, _Inf):
        return False if op == "=" else (op == "<") == (x.sign < 0)
    if isinstance(x, _Col) or isinstance(y, _Col):
        return _column_test(op, x, y)
    # two literal ends: decided now, with Python's rules (None < t raises, as in search)
    return bool(x < y) if op == "<" else bool(x == y)  # type: ignore[operator]


def _le(x: Term, y: Term) -> Rel:
    if isinstance(x, _Inf) or isinstance(y, _Inf):
        return _cmp("<", x, y)
    if isinstance(x, _Col) or isinstance(y, _Col):
        return _column_test("<=", x, y)
    return bool(x <= y)  # type: ignore[operator]


def _column_test(op: str, x: Term, y: Term) -> Test:
    """An end of the item against another end. An open end of a literal given *first* stays
    None (only the second argument's are infinities): SQLAlchemy writes ``= None`` as IS NULL
    and refuses ``<`` with None, so search answers the one and cannot run the other."""
    if x is None or y is None:
        if op != "=":
            raise InvalidFilter("an open interval end is only supported in the second argument of a T_ predicate")
        col = x if isinstance(x, _Col) else y
        assert isinstance(col, _Col)
        return lambda item: col.get(item) is None
    gx, gy = _getter(x), _getter(y)
    return lambda item: compare(op, gx(item), gy(item))


def _and(*parts: Rel) -> Rel:
    tests: list[Test] = []
    for part in parts:
        if part is False:
            return False
        if part is not True:
            assert callable(part)
            tests.append(part)
    if not tests:
        return True
    return lambda item: all3([t(item) for t in tests])


def _not(part: Rel) -> Rel:
    if isinstance(part, bool):
        return not part

    def test(item: Item) -> Tri:
        result = part(item)
        return None if result is None else not result

    return test


def relation(op: str, a: Term, b: Term, c: Term, d: Term) -> Rel:
    """Allen's relation ``op`` between [a, b] and [c, d]; ``None`` ends of [c, d] are open."""
    c = NEG_INF if c is None else c
    d = POS_INF if d is None else d
    relations: dict[str, Callable[[], Rel]] = {
        "t_intersects": lambda: _and(_le(a, d), _le(c, b)),
        "t_disjoint": lambda: _not(_and(_le(a, d), _le(c, b))),
        "t_equals": lambda: _and(_cmp("=", a, c), _cmp("=", b, d)),
        "t_before": lambda: _cmp("<", b, c),
        "t_after": lambda: _cmp("<", d, a),
        "t_meets": lambda: _cmp("=", b, c),
        "t_metby": lambda: _cmp("=", a, d),
        "t_overlaps": lambda: _and(_cmp("<", a, c), _cmp("<", c, b), _cmp("<", b, d)),
        "t_overlappedby": lambda: _and(_cmp("<", c, a), _cmp("<", a, d), _cmp("<", d, b)),
        "t_starts": lambda: _and(_cmp("=", a, c), _cmp("<", b, d)),
        "t_startedby": lambda: _and(_cmp("=", a, c), _cmp("<", d, b)),
        "t_during": lambda: _and(_cmp("<", c, a), _cmp("<", b, d)),
        "t_contains": lambda: _and(_cmp("<", a, c), _cmp("<", d, b)),
        "t_finishes": lambda: _and(_cmp("<", c, a), _cmp("=", b, d)),
        "t_finishedby": lambda: _and(_cmp("<", a, c), _cmp("=", b, d)),
    }
    return relations[op]()


def _micros(value: Any) -> int | None:
    return None if value is None else to_micros(value)


def _side(arg: Any) -> tuple[Term, Term]:
    if isinstance(arg, dict) and "property" in arg:
        name = str(arg["property"])
        if name == "datetime":
            return SPAN
        if name not in ("start_datetime", "end_datetime"):
            raise InvalidFilter(f"{name} is not a temporal property (use datetime, start_datetime, end_datetime)")
        end = _Col(column(name))
        return end, end
    if isinstance(arg, dict) and "interval" in arg:
        ends = arg["interval"]
        if not isinstance(ends, list) or len(ends) != 2:
            raise InvalidFilter("an interval has two ends")
        if any(isinstance(e, dict) and "property" in e for e in ends):
            # INTERVAL(start_datetime, end_datetime): the item's own time span
            first, second = (
                SPAN[k] if isinstance(e, dict) and "property" in e else _micros(interval_end(e, k == 1))
                for k, e in enumerate(ends)
            )
            return first, second
        return _micros(interval_end(ends[0], False)), _micros(interval_end(ends[1], True))
    if isinstance(arg, dict) and "timestamp" in arg:
        t = to_micros(cql2_timestamp(arg["timestamp"]))
        return t, t
    if isinstance(arg, dict) and "date" in arg:
        return to_micros(cql2_date(arg["date"])), to_micros(cql2_date(arg["date"], end_of_day=True))
    raise InvalidFilter("temporal predicates take datetime properties, timestamps, dates or intervals")


def temporal(op: str, args: list[Any]) -> Test:
    a, b = _side(args[0])
    c, d = _side(args[1])
    rel = relation(op, a, b, c, d)
    if isinstance(rel, bool):
        return lambda _item: rel
    return rel
