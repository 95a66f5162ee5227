"""The SQLite search's R*Tree and the helpers every spatial search shares.

The R*Tree holds, per item, its footprint box (degrees), its time span (years since 1970) and its
cloud cover (tens of percent), all as float32 rounded outwards, so each stored range contains the
true value. The units matter: the R*Tree splits nodes along whichever axis looks longest, and in
these units a degree, a year and ten percent of cloud are comparable, which keeps a search by area
alone as fast as a search by area, time and cloud.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Column, Float, Integer, MetaData, Row, Table, bindparam, column, func, select, union

from eonode.catalog.sqlsearch import SearchPlan
from eonode.db.tables import item_search, items
from eonode.db.types import Timestamp
from eonode.models.temporal import to_micros

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


def index_bounds(plan: SearchPlan) -> list[Any]:
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


def candidate_select(plan: SearchPlan, *cols: Any) -> Any:
    extra = index_bounds(plan)
    parts = [
        select(R.skey, *cols).where(R.minx <= x2, R.maxx >= x1, R.miny <= y2, R.maxy >= y1, *extra)
        for x1, y1, x2, y2 in index_boxes(plan.spatial)
    ]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union(*parts)


def json_keys(name: str, keys: list[int]) -> Any:
    """``value`` of json_each over a list of keys: one parameter, however many keys."""
    return select(column("value")).select_from(func.json_each(bindparam(name, orjson.dumps(keys).decode())))


def is_time(expr: Any) -> bool:
    return isinstance(expr.type, Timestamp)
