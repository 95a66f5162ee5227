"""Spatial search on SQLite: the R*Tree as a covering index, exact tests only where needed.

* When the search is nothing but rectangles (or shapes as large as a country), a time window and
  a cloud range — the usual portal search — the R*Tree decides most candidates by their stored
  boxes alone (``sqlite_covered.py``).
* Any other search joins the candidates to their search rows, tests every footprint exactly
  (shapely, vectorised) and picks the page in Python, or by SQL over the matched keys (here).

Either way the count is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import BigInteger, Column, Connection, select, type_coerce

from eonode.catalog.pagesort import select_page
from eonode.catalog.pagination import PageToken
from eonode.catalog.sqlite_covered import box_decides, covered_search
from eonode.catalog.sqlite_rtree import (
    Mask,
    PageRows,
    S,
    candidate_select,
    is_time,
    json_keys,
    with_body,
)
from eonode.catalog.sqlsearch import SearchPlan
from eonode.db.tables import item_search
from eonode.models.temporal import from_micros, to_micros


def spatial_search(
    conn: Connection, plan: SearchPlan, finish_page: Callable[[Any, SearchPlan], Any]
) -> tuple[int, PageRows]:
    if not plan.residual and not plan.needs_body and all(box_decides(g) for g in plan.spatial):
        return covered_search(conn, plan, finish_page)
    # Small shapes meet footprints larger than themselves, so a box rarely decides; their
    # candidates are all tested against their footprints.
    return _joined_search(conn, plan, finish_page)


# -- other searches: join, exact footprint test for every candidate ------------------------------
def _joined_search(
    conn: Connection, plan: SearchPlan, finish_page: Callable[[Any, SearchPlan], Any]
) -> tuple[int, PageRows]:
    stmt = candidate_select(plan)
    if stmt is None:
        return 0, []
    in_sql = any(not isinstance(s.expr, Column) or s.expr.table is not item_search for s in plan.sort)
    # sort values as stored (timestamps as integer microseconds): no per-row conversion
    sort_cols = (
        [] if in_sql else [type_coerce(s.expr, BigInteger() if is_time(s.expr) else s.expr.type) for s in plan.sort]
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
    stmt = stmt.where(S.skey.in_(json_keys("matched", keys)))
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
    times = [is_time(s.expr) for s in plan.sort]
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
