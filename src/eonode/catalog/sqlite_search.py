"""Spatial search on SQLite: the R*Tree as a covering index, exact tests only where needed.

The R*Tree holds, per item, its footprint box (degrees), its time span (years since 1970) and its
cloud cover (tens of percent), all as float32 rounded outwards, so each stored range contains the
true value. The
units matter: the R*Tree splits nodes along whichever axis looks longest, and in these units a
degree, a year and ten percent of cloud are comparable, which keeps a search by area alone as fast
as a search by area, time and cloud.

* Candidates come from the R*Tree with every bound it can apply (area, time window, cloud range).
* When the search is nothing but rectangles, a time window and a cloud range (the usual portal
  search), a candidate whose stored box lies inside all of them is a match without reading
  anything else. Only the others — on an edge — are checked exactly (SQL conditions, then shapely
  on the footprint). The page is then chosen from the matches: by the R*Tree's time
  bounds for the default newest-first order, refined exactly for the few rows that can be on it.
* Any other search joins the candidates to their search rows, tests every footprint exactly
  (shapely, vectorised) and picks the page in Python, or by SQL over the matched keys.

Either way the count is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
    Column("minc", Float),
    Column("maxc", Float),
)
R = item_rtree.c
YEAR_US = 365.25 * 86_400_000_000  # the R*Tree's time unit
CLOUD_UNIT = 10.0  # the R*Tree's cloud unit (percent)
UNKNOWN_CLOUD = -1.0  # how the R*Tree stores a null cloud cover (in its units)
EPS_YEARS = 1e-10  # margin for float64 rounding of window bounds (a few milliseconds)


def years(micros: int) -> float:
    return micros / YEAR_US


_MAX_PARTS = 16
Mask = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
PageRows = Sequence[Row[Any]] | list[tuple[Any, ...]]


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


def _index_bounds(plan: SearchPlan) -> list[Any]:
    """Time and cloud bounds the R*Tree can apply (supersets of the exact conditions)."""
    bounds = []
    if plan.window is not None:
        if plan.window.start is not None:
            bounds.append(R.maxt >= years(to_micros(plan.window.start)))
        if plan.window.end is not None:
            bounds.append(R.mint <= years(to_micros(plan.window.end)))
    if plan.cloud is not None:
        bounds.append(R.maxc >= 0)  # a range of cover never matches an unknown one
        if plan.cloud.low is not None:
            bounds.append(R.maxc >= plan.cloud.low / CLOUD_UNIT)
        if plan.cloud.high is not None:
            bounds.append(R.minc <= plan.cloud.high / CLOUD_UNIT)
    return bounds


def _candidate_select(plan: SearchPlan, *cols: Any) -> Any:
    extra = _index_bounds(plan)
    parts = [
        select(R.skey, *cols).where(R.minx <= x2, R.maxx >= x1, R.miny <= y2, R.maxy >= y1, *extra)
        for x1, y1, x2, y2 in index_boxes(plan.spatial)
    ]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union(*parts)


def _json_keys(name: str, keys: list[int]) -> Any:
    """``value`` of json_each over a list of keys: one parameter, however many keys."""
    return select(column("value")).select_from(func.json_each(bindparam(name, orjson.dumps(keys).decode())))


def _is_time(expr: Any) -> bool:
    return isinstance(expr.type, Timestamp)


def spatial_search(
    conn: Connection, plan: SearchPlan, finish_page: Callable[[Any, SearchPlan], Any]
) -> tuple[int, PageRows]:
    rectangular = all(rect_parts(g) is not None for g in plan.spatial)
    if rectangular and not plan.residual and not plan.needs_body:
        return _covered_search(conn, plan, finish_page)
    # Other shapes are usually smaller than the footprints they meet, so a box rarely decides;
    # their candidates are all tested against their footprints.
    return _joined_search(conn, plan, finish_page)


# -- searches decided by the R*Tree --------------------------------------------------------------
def _tolerance(bound: float) -> float:
    return 1e-9 * max(1.0, abs(bound))


def _inside_rectangles(geom: BaseGeometry, a: Floats) -> Mask:
    """Candidates (R*Tree rows) whose stored box lies inside the rectangle(s) ``geom`` is made of."""
    rects = rect_parts(geom)
    assert rects is not None, "the covered search takes rectangles only"
    inside = np.zeros(len(a), dtype=bool)
    for x1, y1, x2, y2 in rects:
        inside |= (a[:, 0] >= x1) & (a[:, 1] <= x2) & (a[:, 2] >= y1) & (a[:, 3] <= y2)
    return inside


def _certain(plan: SearchPlan, a: Floats) -> Mask:
    """R*Tree rows (minx, maxx, miny, maxy, mint, maxt, minc, maxc) that certainly match every
    rectangle, the window and the cloud range."""
    ok = np.ones(len(a), dtype=bool)
    for geom in plan.spatial:
        ok &= _inside_rectangles(geom, a)
    if plan.window is not None:
        if plan.window.start is not None:
            ok &= a[:, 4] >= years(to_micros(plan.window.start)) + EPS_YEARS
        if plan.window.end is not None:
            ok &= a[:, 5] <= years(to_micros(plan.window.end)) - EPS_YEARS
    if plan.cloud is not None:
        c = plan.cloud
        ok &= a[:, 6] >= 0
        # dividing by ten is exact for the common whole-percent bounds; compare in percent anyway
        low_c, high_c = a[:, 6] * CLOUD_UNIT, a[:, 7] * CLOUD_UNIT
        # a value on a bound (or within float64 rounding of it) is left to the exact test
        if c.low is not None:
            ok &= low_c > c.low + _tolerance(c.low) if c.low_open else low_c >= c.low + _tolerance(c.low)
        if c.high is not None:
            ok &= high_c < c.high - _tolerance(c.high) if c.high_open else high_c <= c.high - _tolerance(c.high)
    return ok


def _covered_search(
    conn: Connection, plan: SearchPlan, finish_page: Callable[[Any, SearchPlan], Any]
) -> tuple[int, PageRows]:
    stmt = _candidate_select(plan, R.minx, R.maxx, R.miny, R.maxy, R.mint, R.maxt, R.minc, R.maxc)
    if stmt is None:
        return 0, []
    found = conn.execute(stmt).all()
    if not found:
        return 0, []
    keys = np.fromiter((r[0] for r in found), dtype=np.int64, count=len(found))
    values = np.array([r[1:] for r in found], dtype=np.float64)
    certain = _certain(plan, values)
    unsure = keys[~certain].tolist()
    matched = certain.copy()
    if unsure:
        rows = conn.execute(
            select(S.skey, S.geom).where(S.skey.in_(_json_keys("unsure", unsure)), *plan.conditions)
        ).all()
        if rows:
            geoms = shapely.from_wkb([r[1] for r in rows])
            ok = np.ones(len(rows), dtype=bool)
            for g in plan.spatial:
                shapely.prepare(g)
                ok &= shapely.intersects(g, geoms)
            hits = {int(r[0]) for r, good in zip(rows, ok, strict=True) if good}
            matched |= np.isin(keys, np.fromiter(hits, dtype=np.int64, count=len(hits)))
    total = int(matched.sum())
    if total == 0:
        return 0, []
    if len(plan.sort) == 1 and plan.sort[0].expr is S.t_start:
        return total, _time_page(conn, plan, keys[matched], values[matched, 4], values[matched, 5])
    stmt = select(S.skey, S.pk, *plan.sort_columns()).where(S.skey.in_(_json_keys("matched", keys[matched].tolist())))
    return total, conn.execute(finish_page(stmt, plan)).all()


def _time_page(
    conn: Connection, plan: SearchPlan, keys: npt.NDArray[np.int64], lo: Floats, hi: Floats
) -> list[tuple[Any, ...]]:
    """The page by time among matched rows, knowing each row's start only as [lo, hi] (years).

    Rows that may be on the page — those the bounds cannot rule out — have their exact start read;
    the page is then chosen exactly among them."""
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
        select(S.skey, S.pk, type_coerce(S.t_start, BigInteger())).where(S.skey.in_(_json_keys("page", chosen)))
    ).all()
    raw_token = None if token is None else PageToken(token.direction, (to_micros(token.values[0]),), token.key)
    page = select_page([tuple(r) for r in rows], [plan.sort[0].descending], raw_token, plan.limit)
    return [(r[0], r[1], from_micros(r[2])) for r in page]


# -- other searches: join, exact footprint test for every candidate ------------------------------
def _joined_search(
    conn: Connection, plan: SearchPlan, finish_page: Callable[[Any, SearchPlan], Any]
) -> tuple[int, PageRows]:
    stmt = _candidate_select(plan)
    if stmt is None:
        return 0, []
    in_sql = any(not isinstance(s.expr, Column) or s.expr.table is not item_search for s in plan.sort)
    # sort values as stored (timestamps as integer microseconds): no per-row conversion
    sort_cols = (
        [] if in_sql else [type_coerce(s.expr, BigInteger() if _is_time(s.expr) else s.expr.type) for s in plan.sort]
    )
    # `skey IN (candidates)` rather than a join: SQLite sorts the keys first, so the search rows are
    # read in key order — along the Hilbert curve, page after neighbouring page.
    result = conn.execution_options(yield_per=_CHUNK).execute(
        select(S.skey, S.pk, *sort_cols, S.geom)
        .select_from(with_body(plan, item_search))
        .where(S.skey.in_(stmt), *plan.conditions)
    )
    # Footprints are tested chunk by chunk on other threads while SQLite reads the next chunk
    # (both release the GIL), so the two halves of the work share the machine's cores.
    query_wkbs = [shapely.to_wkb(g) for g in plan.spatial]
    rows: list[Any] = []
    tests = []
    for chunk in result.partitions():
        rows.extend(chunk)
        tests.append(_TESTERS.submit(_intersects_all, query_wkbs, [r[-1] for r in chunk]))
    if not rows:
        return 0, []
    mask = np.concatenate([t.result() for t in tests])
    matched = [rows[int(i)] for i in np.flatnonzero(mask)]
    if not matched:
        return 0, []
    if not in_sql:
        return len(matched), _python_page(matched, plan)
    keys = sorted(int(r[0]) for r in matched)
    stmt = select(S.skey, S.pk, *plan.sort_columns()).select_from(with_body(plan, item_search))
    stmt = stmt.where(S.skey.in_(_json_keys("matched", keys)))
    return len(matched), conn.execute(finish_page(stmt, plan)).all()


_CHUNK = 2000
_TESTERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="eonode-footprints")


def _intersects_all(query_wkbs: list[bytes], wkbs: list[bytes]) -> Mask:
    """Footprints (WKB) that intersect every query geometry. Each call builds and prepares its own
    query geometries: GEOS prepared geometries must not be shared between threads."""
    geoms = shapely.from_wkb(wkbs)
    mask = np.ones(len(wkbs), dtype=bool)
    for wkb in query_wkbs:
        query = shapely.from_wkb(wkb)
        shapely.prepare(query)
        mask &= shapely.intersects(query, geoms)
    return mask


def _python_page(matched: list[Any], plan: SearchPlan) -> list[tuple[Any, ...]]:
    """The page among matched rows (skey, pk, raw sort values...), timestamps back as datetimes."""
    times = [_is_time(s.expr) for s in plan.sort]
    token = plan.token
    if token is not None:
        raw = tuple(
            to_micros(v) if t and isinstance(v, datetime) else v for v, t in zip(token.values, times, strict=True)
        )
        token = PageToken(token.direction, raw, token.key)
    page = select_page(matched, [s.descending for s in plan.sort], token, plan.limit)  # rows index like tuples
    return [
        (
            r[0],
            r[1],
            *(from_micros(v) if t and v is not None else v for v, t in zip(r[2 : 2 + len(times)], times, strict=True)),
        )
        for r in page
    ]
