"""Turning a SearchQuery into SQL pieces that both backends share.

The plan keeps apart what an index can drive (top-level spatial constraints, the time window,
the collections) from the rest, so each backend can pick its access path while the semantics —
and so the results and counts — stay the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import and_, bindparam, false, or_, tuple_
from sqlalchemy.sql.elements import ColumnElement

from eonode.catalog.cql2index import NumberRange, conjunct_range, split_spatial
from eonode.catalog.cql2sql import Columns, FilterCompiler, JsonKind
from eonode.catalog.cql2time import temporal_relation
from eonode.catalog.pagination import PageToken, decode
from eonode.catalog.properties import PROMOTED_BY_PROP
from eonode.db.tables import item_search
from eonode.models.search import SearchQuery
from eonode.models.temporal import TimeInterval

Bool = ColumnElement[bool]
Expr = ColumnElement[Any]
S = item_search.c

# sort fields that map to NOT NULL columns
_NOT_NULL_SORTS = {"datetime", "id", "collection"}


class SearchColumns(Columns):
    """Column resolution on ``item_search`` (and ``items`` for the JSON document)."""

    def __init__(self) -> None:
        self.needs_body = False

    def column(self, name: str) -> Expr | None:
        if name in ("id", "collection", "datetime", "start_datetime", "end_datetime"):
            return S[name]
        promoted = PROMOTED_BY_PROP.get(name)
        return S[promoted.column] if promoted else None

    def time_span(self) -> tuple[Expr, Expr]:
        return S.t_start, S.t_end

    def json_property(self, name: str, kind: JsonKind) -> Expr:
        self.needs_body = True
        return self._json_property(name, kind)

    def _json_property(self, name: str, kind: JsonKind) -> Expr:
        raise NotImplementedError  # each backend reads JSON its own way

    def spatial(self, op: str, geometry: BaseGeometry) -> Bool:
        raise NotImplementedError  # each backend evaluates geometry its own way


@dataclass(frozen=True, slots=True)
class SortExpr:
    expr: Expr
    descending: bool
    nullable: bool


@dataclass(slots=True)
class SearchPlan:
    conditions: list[Bool]  # exact, on item_search (and items when needs_body)
    spatial: list[BaseGeometry]  # conjunctive "intersects" constraints, tested exactly by the backend
    window: TimeInterval | None  # the datetime parameter (already in conditions, exactly)
    collections: tuple[str, ...] | None
    sort: list[SortExpr]
    token: PageToken | None
    limit: int
    needs_body: bool
    simple: bool  # nothing but collections: the count comes from collection_stats
    cloud: NumberRange | None = None  # the range the filter's top-level AND puts on eo:cloud_cover
    residual: bool = False  # conditions beyond the spatial constraints, the window and the cloud range

    def sort_columns(self) -> list[Expr]:
        return [s.expr.label(f"k{n}") for n, s in enumerate(self.sort)]


def time_window_condition(window: TimeInterval) -> Bool:
    start, end = S.t_start, S.t_end
    return temporal_relation("t_intersects", start, end, window.start, window.end)


def build_plan(query: SearchQuery, columns: SearchColumns) -> SearchPlan:
    conditions: list[Bool] = []
    if query.collections:
        conditions.append(S.collection.in_(query.collections))
    if query.ids:
        conditions.append(S.id.in_(query.ids))
    if query.datetime is not None:
        conditions.append(time_window_condition(query.datetime))
    spatial: list[BaseGeometry] = []
    if query.bbox is not None:
        spatial.append(query.bbox.to_geometry())
    if query.intersects is not None:
        spatial.append(query.intersects)
    filter_geoms, rest = split_spatial(query.filter)
    spatial.extend(filter_geoms)
    cloud, other_filters = conjunct_range(rest, "eo:cloud_cover")
    if rest is not None:
        conditions.append(FilterCompiler(columns).translate(rest))
    sort = [_sort_expr(k.field, k.descending, columns) for k in query.sortby]
    token = decode(query.token, len(sort)) if query.token else None
    simple = not (query.ids or query.datetime or spatial or rest is not None)
    return SearchPlan(
        conditions=conditions,
        spatial=spatial,
        window=query.datetime,
        collections=query.collections,
        sort=sort,
        token=token,
        limit=query.limit,
        needs_body=columns.needs_body,
        simple=simple,
        cloud=cloud,
        residual=bool(query.collections or query.ids or other_filters),
    )


def _sort_expr(field: str, descending: bool, columns: SearchColumns) -> SortExpr:
    if field == "datetime":  # an interval item sorts by its start
        return SortExpr(S.t_start, descending, False)
    col = columns.column(field)
    if col is None:
        col = columns.json_property(field, "sort")
    return SortExpr(col, descending, field not in _NOT_NULL_SORTS)


# -- ordering and keyset ------------------------------------------------------------------------
def order_by(plan: SearchPlan, backward: bool) -> list[Any]:
    """ORDER BY clauses; ``backward`` walks the same order in reverse (for ``prev`` pages)."""
    clauses: list[Any] = []
    for s in plan.sort:
        desc = s.descending != backward
        clause = s.expr.desc() if desc else s.expr.asc()
        if s.nullable:
            clause = clause.nulls_first() if backward else clause.nulls_last()
        clauses.append(clause)
    tiebreak_desc = plan.sort[0].descending != backward
    clauses.append(S.skey.desc() if tiebreak_desc else S.skey.asc())
    return clauses


def _beyond(expr: Expr, value: Any, desc: bool, nullable: bool, backward: bool) -> Bool:
    """Rows strictly after ``value`` in this key's order (nulls last going forward)."""
    nulls_last = not backward
    if value is None:
        return expr.is_not(None) if (nullable and not nulls_last) else false()
    cmp: Bool = expr < value if desc else expr > value
    if nullable and nulls_last:
        return or_(cmp, expr.is_(None))
    return cmp


def _equal(expr: Expr, value: Any) -> Bool:
    return expr.is_(None) if value is None else expr == value


def keyset_condition(plan: SearchPlan) -> Bool | None:
    token = plan.token
    if token is None:
        return None
    backward = token.direction == "prev"
    keys = [(s.expr, s.descending != backward, s.nullable) for s in plan.sort]
    keys.append((S.skey, plan.sort[0].descending != backward, False))
    values = [*token.values, token.key]
    directions = {k[1] for k in keys}
    if len(directions) == 1 and not any(k[2] for k in keys):
        # all keys NOT NULL and in one direction: a row-value comparison an index can use
        row = tuple_(*[k[0] for k in keys])
        bound = tuple_(*[bindparam(None, v, type_=k[0].type) for k, v in zip(keys, values, strict=True)])
        return row < bound if keys[0][1] else row > bound
    ors: list[Bool] = []
    for n, (expr, desc, nullable) in enumerate(keys):
        eqs = [_equal(keys[m][0], values[m]) for m in range(n)]
        ors.append(and_(*eqs, _beyond(expr, values[n], desc, nullable, backward)))
    return or_(*ors)
