"""What an index can use from a CQL2 filter: top-level spatial constraints and numeric ranges.

The filter itself stays exact; these are extra, redundant bounds a backend may apply first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry

from eonode.catalog.cql2sql import is_geometry_property, literal_geometry


def split_spatial(node: dict[str, Any] | None) -> tuple[list[BaseGeometry], dict[str, Any] | None]:
    """Pull ``s_intersects(geometry, literal)`` out of the top-level AND of a filter.

    Those constraints can drive a spatial index; what is left is compiled as usual.
    """
    if node is None:
        return [], None
    conjuncts = node["args"] if str(node.get("op", "")).lower() == "and" else [node]
    geoms: list[BaseGeometry] = []
    rest: list[Any] = []
    for part in conjuncts:
        args = part.get("args") if isinstance(part, dict) else None
        if (
            isinstance(part, dict)
            and str(part.get("op", "")).lower() == "s_intersects"
            and isinstance(args, list)
            and len(args) == 2
            and (is_geometry_property(args[0]) != is_geometry_property(args[1]))
        ):
            geoms.append(literal_geometry(args[1] if is_geometry_property(args[0]) else args[0]))
        else:
            rest.append(part)
    if not rest:
        return geoms, None
    return geoms, rest[0] if len(rest) == 1 else {"op": "and", "args": rest}


@dataclass(frozen=True, slots=True)
class NumberRange:
    """``low (<|<=) value (<|<=) high`` with None for an open side."""

    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False

    def tightened(self, low: float | None, low_open: bool, high: float | None, high_open: bool) -> NumberRange:
        lo, lo_open = self.low, self.low_open
        if low is not None and (lo is None or low > lo or (low == lo and low_open)):
            lo, lo_open = low, low_open
        hi, hi_open = self.high, self.high_open
        if high is not None and (hi is None or high < hi or (high == hi and high_open)):
            hi, hi_open = high, high_open
        return NumberRange(lo, lo_open, hi, hi_open)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}


def _number(arg: Any) -> float | None:
    return float(arg) if isinstance(arg, int | float) and not isinstance(arg, bool) else None


def _bound(part: Any, prop: str) -> tuple[float | None, bool, float | None, bool] | None:
    """The bounds one conjunct puts on ``prop`` (low, low_open, high, high_open), if it is that simple."""
    if not isinstance(part, dict) or not isinstance(part.get("args"), list):
        return None
    op, args = str(part.get("op", "")).lower(), part["args"]
    is_prop = [isinstance(a, dict) and a.get("property") == prop for a in args]
    if op in _FLIP and len(args) == 2 and is_prop[0] != is_prop[1]:
        value = _number(args[1] if is_prop[0] else args[0])
        op = op if is_prop[0] else _FLIP[op]
        if value is None:
            return None
        return {
            "<": (None, False, value, True),
            "<=": (None, False, value, False),
            ">": (value, True, None, False),
            ">=": (value, False, None, False),
            "=": (value, False, value, False),
        }[op]
    if op == "between" and args and is_prop[0] and not any(is_prop[1:]):
        ends = args[1] if len(args) == 2 and isinstance(args[1], list) else args[1:]
        low, high = (_number(e) for e in ends) if len(ends) == 2 else (None, None)
        if low is None or high is None:
            return None
        return low, False, high, False
    return None


def conjunct_range(node: dict[str, Any] | None, prop: str) -> tuple[NumberRange | None, bool]:
    """The range a filter's top-level AND puts on a numeric property, and whether anything else
    is left in the filter. An index may use the range; the filter itself stays exact."""
    if node is None:
        return None, False
    parts = node["args"] if str(node.get("op", "")).lower() == "and" else [node]
    found: NumberRange | None = None
    others = False
    for part in parts:
        bound = _bound(part, prop)
        if bound is None:
            others = True
        else:
            found = (found or NumberRange()).tightened(*bound)
    return found, others
