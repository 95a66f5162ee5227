"""Searches the R*Tree decides: areas made of rectangles, a time window and a cloud range.

A candidate whose stored box, time span and cloud range lie inside the search's (by a margin for
float rounding) certainly matches, since the stored ranges contain the true values. SQLite
counts those rows itself; only the others — on an edge of the area, the window or the range —
come into Python, where their footprints and values are tested exactly. The page is then chosen
without moving every match either:

* newest or oldest first: the rows that can be on the page are found from the R*Tree's time
  bounds (the ``need`` best lower bounds fix a threshold; only rows whose upper bound passes it
  are read), and the page is chosen exactly among them and the matching edge rows;
* any other order: SQL sorts the certain rows and the matching edge rows by their search columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import BigInteger, Connection, and_, false, func, not_, or_, select, true, type_coerce, union

from eonode.catalog.pagesort import select_page
from eonode.catalog.pagination import PageToken
from eonode.catalog.sqlite_rtree import (
    CLOUD_UNIT,
    EPS_YEARS,
    Floats,
    PageRows,
    R,
    S,
    index_bounds,
    index_boxes,
    json_keys,
    rect_parts,
    years,
)
from eonode.catalog.sqlsearch import SearchPlan
from eonode.models.temporal import from_micros, to_micros

_COLUMNS = (R.minx, R.maxx, R.miny, R.maxy, R.mint, R.maxt, R.minc, R.maxc)


def box_decides(geom: BaseGeometry) -> bool:
    """Whether candidates' boxes can decide a search in ``geom`` (it is made of rectangles)."""
    return rect_parts(geom) is not None


def _tolerance(bound: float) -> float:
    return 1e-9 * max(1.0, abs(bound))


def _certain(plan: SearchPlan) -> Any:
    """The SQL condition on R*Tree rows that certainly match every rectangle, the window and the
    cloud range (a value on a bound, or within float rounding of it, is left to the exact test)."""
    parts: list[Any] = []
    for geom in plan.spatial:
        rects = rect_parts(geom)
        assert rects is not None, "the covered search takes rectangles only"
        parts.append(
            or_(*(and_(R.minx >= x1, R.maxx <= x2, R.miny >= y1, R.maxy <= y2) for x1, y1, x2, y2 in rects))
            if rects
            else false()
        )
    if plan.window is not None:
        if plan.window.start is not None:
            parts.append(R.mint >= years(to_micros(plan.window.start)) + EPS_YEARS)
        if plan.window.end is not None:
            parts.append(R.maxt <= years(to_micros(plan.window.end)) - EPS_YEARS)
    if plan.cloud is not None:
        c = plan.cloud
        parts.append(R.minc >= 0)
        low, high = R.minc * CLOUD_UNIT, R.maxc * CLOUD_UNIT
        if c.low is not None:
            bound = c.low + _tolerance(c.low)
            parts.append(low > bound if c.low_open else low >= bound)
        if c.high is not None:
            bound = c.high - _tolerance(c.high)
            parts.append(high < bound if c.high_open else high <= bound)
    return and_(*parts) if parts else true()


def _candidates(plan: SearchPlan, condition: Any, *cols: Any) -> Any:
    """R*Tree rows meeting the index bounds and ``condition`` (a union over the area's boxes)."""
    extra = index_bounds(plan)
    parts = [
        select(R.skey, *cols).where(R.minx <= x2, R.maxx >= x1, R.miny <= y2, R.maxy >= y1, *extra, condition)
        for x1, y1, x2, y2 in index_boxes(plan.spatial)
    ]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union(*parts)


def covered_search(
    conn: Connection, plan: SearchPlan, finish_page: Callable[[Any, SearchPlan], Any]
) -> tuple[int, PageRows]:
    certain = _certain(plan)
    counted = _candidates(plan, certain)
    if counted is None:
        return 0, []
    total = int(conn.execute(select(func.count()).select_from(counted.subquery())).scalar_one())
    edge = conn.execute(_candidates(plan, not_(certain), *_COLUMNS)).all()
    keys, values = _matching_edge(conn, plan, edge)
    total += len(keys)
    if total == 0:
        return 0, []
    if len(plan.sort) == 1 and plan.sort[0].expr is S.t_start:
        return total, _time_page(conn, plan, certain, keys, values)
    matched = S.skey.in_(json_keys("edge", keys.tolist())) if len(keys) else false()
    page_rows = _candidates(plan, and_(certain, _cloud_reach(conn, plan, certain)))
    stmt = select(S.skey, S.pk, *plan.sort_columns()).where(or_(S.skey.in_(page_rows), matched))
    return total, conn.execute(finish_page(stmt, plan)).all()


def _cloud_reach(conn: Connection, plan: SearchPlan, certain: Any) -> Any:
    """For a first page ordered by cloud cover, the certain rows that can be on it: ``need``
    rows of known cover reach a threshold; a row whose stored range lies beyond it cannot be on
    the page (rows of unknown cover come after every known one). Later pages (a token) and other
    orders read every certain row."""
    first = plan.sort[0]
    if plan.token is not None or first.expr is not S.cloud_cover:
        return true()
    need = plan.limit + 1
    ranked = _candidates(plan, and_(certain, R.minc >= 0), R.minc, R.maxc)
    assert ranked is not None
    sub = ranked.subquery()
    bound, order = (sub.c.minc, sub.c.minc.desc()) if first.descending else (sub.c.maxc, sub.c.maxc.asc())
    bounds = [r[0] for r in conn.execute(select(bound).order_by(order).limit(need))]
    if len(bounds) < need:
        return true()
    threshold = bounds[-1]  # in the R*Tree's float32 units; the stored ranges contain the true values
    return and_(R.minc >= 0, R.maxc >= threshold) if first.descending else and_(R.minc >= 0, R.minc <= threshold)


def _matching_edge(conn: Connection, plan: SearchPlan, edge: Sequence[Any]) -> tuple[npt.NDArray[np.int64], Floats]:
    """The edge rows that match, tested exactly (conditions in SQL, footprints with shapely)."""
    empty = (np.zeros(0, dtype=np.int64), np.zeros((0, 8)))
    if not edge:
        return empty
    by_key = {int(r[0]): r[1:] for r in edge}
    rows = conn.execute(
        select(S.skey, S.geom).where(S.skey.in_(json_keys("unsure", list(by_key))), *plan.conditions)
    ).all()
    if not rows:
        return empty
    geoms = shapely.from_wkb([r[1] for r in rows])
    ok = np.ones(len(rows), dtype=bool)
    for g in plan.spatial:
        query = shapely.from_wkb(shapely.to_wkb(g))  # our own copy: prepared geometries are not shared
        shapely.prepare(query)
        ok &= shapely.intersects(query, geoms)
    hits = [int(r[0]) for r, good in zip(rows, ok, strict=True) if good]
    return np.array(hits, dtype=np.int64), np.array([by_key[k] for k in hits], dtype=np.float64).reshape(-1, 8)


def _time_page(
    conn: Connection, plan: SearchPlan, certain: Any, edge_keys: npt.NDArray[np.int64], edge: Floats
) -> list[tuple[Any, ...]]:
    """The page by time, knowing each row's start only as [lo, hi] (years) from the R*Tree.

    Among the certain rows only those that may be on the page are read: the ``need`` best lower
    bounds (after the token) fix a threshold, and a row whose upper bound does not reach it has
    ``need`` rows surely ahead of it. The page is then chosen exactly (by each row's true start)
    among those rows and the matching edge rows."""
    token = plan.token
    backward = token is not None and token.direction == "prev"
    largest_first = plan.sort[0].descending != backward
    need = plan.limit + 1
    after_token: Any = true()  # not certainly before the token
    surely_after: Any = true()  # certainly after it
    if token is not None:
        tv = years(to_micros(token.values[0]))
        if largest_first:
            after_token, surely_after = R.mint <= tv + EPS_YEARS, R.maxt < tv - EPS_YEARS
        else:
            after_token, surely_after = R.maxt >= tv - EPS_YEARS, R.mint > tv + EPS_YEARS
    best = _candidates(plan, and_(certain, after_token, surely_after), R.mint, R.maxt)
    assert best is not None
    ranked = best.subquery()
    bound, order = (ranked.c.mint, ranked.c.mint.desc()) if largest_first else (ranked.c.maxt, ranked.c.maxt.asc())
    bounds = [r[0] for r in conn.execute(select(bound).order_by(order).limit(need))]
    reach: Any = true()
    if len(bounds) == need:  # ``need`` rows surely after the token are at least this good
        threshold = bounds[-1]
        beaten = R.maxt < threshold - EPS_YEARS if largest_first else R.mint > threshold + EPS_YEARS
        reach = or_(not_(surely_after), not_(beaten))
    near = _candidates(plan, and_(certain, after_token, reach), R.mint, R.maxt)
    assert near is not None
    rows = conn.execute(near).all()
    keys = [int(r[0]) for r in rows] + edge_keys.tolist()
    lo = np.array([r[1] for r in rows] + edge[:, 4].tolist(), dtype=np.float64)
    hi = np.array([r[2] for r in rows] + edge[:, 5].tolist(), dtype=np.float64)
    return _exact_time_page(conn, plan, np.array(keys, dtype=np.int64), lo, hi)


def _exact_time_page(
    conn: Connection, plan: SearchPlan, keys: npt.NDArray[np.int64], lo: Floats, hi: Floats
) -> list[tuple[Any, ...]]:
    """The page among ``keys``: those the bounds cannot rule out have their exact start read."""
    token = plan.token
    backward = token is not None and token.direction == "prev"
    largest_first = plan.sort[0].descending != backward
    v_lo, v_hi = (lo, hi) if largest_first else (-hi, -lo)
    maybe = np.ones(len(keys), dtype=bool)
    surely_after = maybe
    if token is not None:
        tv = years(to_micros(token.values[0]))
        tv = tv if largest_first else -tv
        maybe = v_lo <= tv + EPS_YEARS  # not certainly before the token
        surely_after = maybe & (v_hi < tv - EPS_YEARS)
    need = plan.limit + 1
    after = np.flatnonzero(surely_after)
    if len(after) > need:
        threshold = np.partition(v_lo[after], len(after) - need)[len(after) - need]
        maybe &= ~surely_after | (v_hi >= threshold - EPS_YEARS)
    chosen = keys[maybe].tolist()
    rows = conn.execute(
        select(S.skey, S.pk, type_coerce(S.t_start, BigInteger())).where(S.skey.in_(json_keys("page", chosen)))
    ).all()
    raw_token = None if token is None else PageToken(token.direction, (to_micros(token.values[0]),), token.key)
    page = select_page([tuple(r) for r in rows], [plan.sort[0].descending], raw_token, plan.limit)
    return [(r[0], r[1], from_micros(r[2])) for r in page]
