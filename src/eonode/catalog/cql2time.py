"""Allen's interval relations as SQL conditions, with open interval ends (CQL2 T_* predicates)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, false, not_, true
from sqlalchemy.sql.elements import ColumnElement

Bool = ColumnElement[bool]


class _Inf:
    """An open interval end: below (``-1``) or above (``+1``) every instant."""

    def __init__(self, sign: int) -> None:
        self.sign = sign


NEG_INF, POS_INF = _Inf(-1), _Inf(1)


def _cmp(op: str, x: Any, y: Any) -> Any:
    """``x op y`` where either side may be an open end (x and y are never both open)."""
    if isinstance(y, _Inf):
        if op == "=":
            return false()
        below = y.sign > 0  # everything is below +inf
        return true() if (op == "<") == below else false()
    if isinstance(x, _Inf):
        if op == "=":
            return false()
        below = x.sign < 0  # -inf is below everything
        return true() if (op == "<") == below else false()
    return {"<": lambda: x < y, "=": lambda: x == y}[op]()


def _lt(x: Any, y: Any) -> Any:
    return _cmp("<", x, y)


def _eq(x: Any, y: Any) -> Any:
    return _cmp("=", x, y)


def _le(x: Any, y: Any) -> Any:
    if isinstance(x, _Inf) or isinstance(y, _Inf):
        return _lt(x, y)
    return x <= y


def temporal_relation(op: str, a: Any, b: Any, c: Any, d: Any) -> Bool:
    """Allen's relations between the item's [a, b] and the literal [c, d]; ``None`` ends of
    the literal are open (``c`` = -inf, ``d`` = +inf)."""
    c = NEG_INF if c is None else c
    d = POS_INF if d is None else d
    relations: dict[str, Callable[[], Any]] = {
        "t_intersects": lambda: and_(_le(a, d), _le(c, b)),
        "t_disjoint": lambda: not_(and_(_le(a, d), _le(c, b))),
        "t_equals": lambda: and_(_eq(a, c), _eq(b, d)),
        "t_before": lambda: _lt(b, c),
        "t_after": lambda: _lt(d, a),
        "t_meets": lambda: _eq(b, c),
        "t_metby": lambda: _eq(a, d),
        "t_overlaps": lambda: and_(_lt(a, c), _lt(c, b), _lt(b, d)),
        "t_overlappedby": lambda: and_(_lt(c, a), _lt(a, d), _lt(d, b)),
        "t_starts": lambda: and_(_eq(a, c), _lt(b, d)),
        "t_startedby": lambda: and_(_eq(a, c), _lt(d, b)),
        "t_during": lambda: and_(_lt(c, a), _lt(b, d)),
        "t_contains": lambda: and_(_lt(a, c), _lt(d, b)),
        "t_finishes": lambda: and_(_lt(c, a), _eq(b, d)),
        "t_finishedby": lambda: and_(_lt(a, c), _eq(b, d)),
    }
    return relations[op]()  # type: ignore[no-any-return]
