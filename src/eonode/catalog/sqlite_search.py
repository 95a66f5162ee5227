"""Spatial search on SQLite: R*Tree candidates, box classification, exact tests only where needed.

1. The R*Tree (footprint box and time span in days, stored as float32 rounded outwards) gives
   candidates, joined to their search rows for every other condition.
2. Each candidate's box is compared with each spatial constraint, all at once: a box inside the
   constraint means a match, a box outside it means no match — no geometry needed for either.
3. Only the remaining, ambiguous candidates have their footprints read and tested exactly with
   shapely.
4. The count is then exact; the page is chosen among the matches in Python when the sort keys
   are plain columns, or by SQL over the matched keys otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    Row,
    Table,
    bindparam,
    column,
    func,
    select,
    type_coerce,
    union,
)

from eonode.catalog.pagesort import select_page
from eonode.catalog.pagination import PageToken
from eonode.catalog.sqlsearch import SearchPlan
from eonode.db.tables import item_search, items
from eonode.db.types import Timestamp
from eonode.models.temporal import from_micros, to_micros

S = item_search.c
item_rtree = Table(
    "item_rtree",
    MetaData(),
    Column("skey", Integer, primary_key=True),
    Column("minx", Float),
    Column("maxx", Float),
    Column("miny", Float),
    Column("maxy", Float),
    Column("mint", Float),
    Column("maxt", Float),
)
R = item_rtree.c
DAY_US = 86_400_000_000
_MAX_PARTS = 16
Mask = npt.NDArray[np.bool_]


def with_body(plan: SearchPlan, source: Any) -> Any:
    return source.join(items, items.c.pk == S.pk) if plan.needs_body else source


def rect_parts(geom: BaseGeometry) -> list[tuple[float, float, float, float]] | None:
    """The boxes a geometry is made of, if it is one or several axis-aligned rectangles."""
    parts = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    boxes = []
    for part in parts:
        if part.geom_type != "Polygon" or part.interiors or not part.equals(part.envelope):
            return None
        x1, y1, x2, y2 = part.bounds
        boxes.append((x1, y1, x2, y2))
    return boxes


def index_boxes(spatial: list[BaseGeometry]) -> list[tuple[float, float, float, float]]:
    """R*Tree query boxes: the parts of the first constraint, clipped by the others' bounds."""
    first = spatial[0]
    parts = list(getattr(first, "geoms", [first]))
    raw = [p.bounds for p in parts] if 1 < len(parts) <= _MAX_PARTS else [first.bounds]
    boxes = [(b[0], b[1], b[2], b[3]) for b in raw]
    for other in spatial[1:]:
        ox1, oy1, ox2, oy2 = other.bounds
        boxes = [(max(x1, ox1), max(y1, oy1), min(x2, ox2), min(y2, oy2)) for x1, y1, x2, y2 in boxes]
    return [b for b in boxes if b[0] <= b[2] and b[1] <= b[3]]


def classify(box: npt.NDArray[np.float64], geom: BaseGeometry) -> tuple[Mask, Mask]:
    """(certainly intersects, possibly intersects) for candidate boxes (n x 4: minx miny maxx maxy).

    The boxes are the R*Tree's, rounded outwards, so they contain the true footprints: a box inside
    a rectangular query proves a match and a box disjoint from it proves a miss."""
    rects = rect_parts(geom)
    assert rects is not None, "classify() takes rectangular constraints"
    inside = np.zeros(len(box), dtype=bool)
    touches = np.zeros(len(box), dtype=bool)
    for x1, y1, x2, y2 in rects:
        inside |= (box[:, 0] >= x1) & (box[:, 2] <= x2) & (box[:, 1] >= y1) & (box[:, 3] <= y2)
        touches |= (box[:, 0] <= x2) & (box[:, 2] >= x1) & (box[:, 1] <= y2) & (box[:, 3] >= y1)
    return inside, touches


def _candidates(plan: SearchPlan) -> Any:
    time_dims = []
    if plan.window is not None:
        if plan.window.start is not None:
            time_dims.append(R.maxt >= to_micros(plan.window.start) / DAY_US)
        if plan.window.end is not None:
            time_dims.append(R.mint <= to_micros(plan.window.end) / DAY_US)
    parts = [
        select(R.skey, R.minx, R.maxx, R.miny, R.maxy).where(
            R.minx <= x2, R.maxx >= x1, R.miny <= y2, R.maxy >= y1, *time_dims
        )
        for x1, y1, x2, y2 in index_boxes(plan.spatial)
    ]
    if not parts:
        return None
    return (parts[0] if len(parts) == 1 else union(*parts)).subquery("r")


def _exact(conn: Connection, skeys: list[int], spatial: list[BaseGeometry]) -> set[int]:
    """Of these candidates, the ones whose footprint intersects every constraint."""
    if not skeys:
        return set()
    found = conn.execute(select(S.skey, S.geom).where(S.skey.in_(_json_keys("ambiguous", skeys)))).all()
    keys = np.fromiter((r[0] for r in found), dtype=np.int64, count=len(found))
    geoms = shapely.from_wkb([r[1] for r in found])
    mask = np.ones(len(found), dtype=bool)
    for g in spatial:
        shapely.prepare(g)
        mask &= shapely.intersects(g, geoms)
    return set(keys[mask].tolist())


def _is_time(expr: Any) -> bool:
    return isinstance(expr.type, Timestamp)


def _python_page(matched: list[Any], plan: SearchPlan) -> list[tuple[Any, ...]]:
    """The page among matched rows (skey, pk, raw sort values...), timestamps back as datetimes."""
    times = [_is_time(s.expr) for s in plan.sort]
    token = plan.token
    if token is not None:
        raw = tuple(
            to_micros(v) if t and isinstance(v, datetime) else v for v, t in zip(token.values, times, strict=True)
        )
        token = PageToken(token.direction, raw, token.key)
    n = 2 + len(plan.sort)
    page = select_page([tuple(r[:n]) for r in matched], [s.descending for s in plan.sort], token, plan.limit)
    return [
        (r[0], r[1], *(from_micros(v) if t and v is not None else v for v, t in zip(r[2:], times, strict=True)))
        for r in page
    ]


def _json_keys(name: str, keys: list[int]) -> Any:
    """``value`` of json_each over a list of keys: one parameter, however many keys."""
    return select(column("value")).select_from(func.json_each(bindparam(name, orjson.dumps(keys).decode())))


def spatial_search(
    conn: Connection, plan: SearchPlan, finish_page: Callable[[Any, SearchPlan], Any]
) -> tuple[int, Sequence[Row[Any]] | list[tuple[Any, ...]]]:
    cand = _candidates(plan)
    if cand is None:
        return 0, []
    in_sql = any(not isinstance(s.expr, Column) or s.expr.table is not item_search for s in plan.sort)
    # sort values as stored (timestamps as integer microseconds): no per-row conversion
    sort_cols = (
        [] if in_sql else [type_coerce(s.expr, BigInteger() if _is_time(s.expr) else s.expr.type) for s in plan.sort]
    )
    source = with_body(plan, cand.join(item_search, S.skey == cand.c.skey))
    rects = [rect_parts(g) for g in plan.spatial]
    if all(r is not None for r in rects):
        # rectangles: the boxes decide most candidates; read footprints only for the rest
        rows = conn.execute(
            select(S.skey, S.pk, *sort_cols, cand.c.minx, cand.c.miny, cand.c.maxx, cand.c.maxy)
            .select_from(source)
            .where(*plan.conditions)
        ).all()
        if not rows:
            return 0, []
        box = np.array([r[-4:] for r in rows], dtype=np.float64)
        certain = np.ones(len(rows), dtype=bool)
        possible = np.ones(len(rows), dtype=bool)
        for geom in plan.spatial:
            inside, touches = classify(box, geom)
            certain &= inside
            possible &= touches
        hits = _exact(conn, [int(rows[int(i)][0]) for i in np.flatnonzero(possible & ~certain)], plan.spatial)
        matched = [r for i, r in enumerate(rows) if certain[i] or (possible[i] and r[0] in hits)]
    else:
        # other shapes are usually smaller than the footprints: every candidate is tested exactly
        rows = conn.execute(select(S.skey, S.pk, *sort_cols, S.geom).select_from(source).where(*plan.conditions)).all()
        if not rows:
            return 0, []
        geoms = shapely.from_wkb([r[-1] for r in rows])
        mask = np.ones(len(rows), dtype=bool)
        for g in plan.spatial:
            shapely.prepare(g)
            mask &= shapely.intersects(g, geoms)
        matched = [rows[int(i)] for i in np.flatnonzero(mask)]
    if not matched:
        return 0, []
    if not in_sql:
        return len(matched), _python_page(matched, plan)
    keys = sorted(int(r[0]) for r in matched)
    stmt = select(S.skey, S.pk, *plan.sort_columns()).select_from(with_body(plan, item_search))
    stmt = stmt.where(S.skey.in_(_json_keys("matched", keys)))
    return len(matched), conn.execute(finish_page(stmt, plan)).all()
