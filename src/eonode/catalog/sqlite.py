"""The embedded catalogue: SQLite with an R*Tree, exact geometry tests with shapely.

Spatial searches run in two steps. The R*Tree (footprint box and time span, in days) yields
candidates; candidates whose box lies inside a rectangular query need no further test, the others
are tested exactly, all at once, with shapely. The count is then exact, and the page is read in
SQL with the same predicates, so ordering and pagination behave exactly as without geometry.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    Connection,
    Row,
    Table,
    case,
    delete,
    func,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from eonode.catalog.cql2sql import JsonKind
from eonode.catalog.documents import PreparedItem
from eonode.catalog.properties import PROMOTED
from eonode.catalog.sqlite_rtree import CLOUD_UNIT, UNKNOWN_CLOUD, item_rtree, with_body, years
from eonode.catalog.sqlite_search import spatial_search
from eonode.catalog.sqlsearch import SearchColumns, SearchPlan
from eonode.catalog.sqlstore import SqlCatalogStore
from eonode.db.engine import sqlite_engine
from eonode.db.tables import item_search, items
from eonode.errors import InvalidFilter
from eonode.models.temporal import to_micros

S = item_search.c
R = item_rtree.c
CLOUD_INDEX = next(k for k, p in enumerate(PROMOTED) if p.prop == "eo:cloud_cover")

# -- the SQL function for spatial predicates inside arbitrary CQL2 expressions -------------------
_OPS = {
    0: shapely.intersects,
    1: shapely.disjoint,
    2: shapely.within,
    3: shapely.contains,
    4: shapely.equals,
    5: shapely.touches,
    6: shapely.overlaps,
    7: shapely.crosses,
}
OP_CODES = {
    "s_intersects": 0,
    "s_disjoint": 1,
    "s_within": 2,
    "s_contains": 3,
    "s_equals": 4,
    "s_touches": 5,
    "s_overlaps": 6,
    "s_crosses": 7,
}


_local = threading.local()


def _prepared(wkb: bytes) -> BaseGeometry:
    """The query geometry, parsed and prepared once per thread (GEOS prepared geometries must not
    be shared between threads)."""
    cache: dict[bytes, BaseGeometry] = _local.__dict__.setdefault("prepared", {})
    geom = cache.get(wkb)
    if geom is None:
        if len(cache) > 64:
            cache.clear()
        geom = cache[wkb] = shapely.from_wkb(wkb)
        shapely.prepare(geom)
    return geom


def _spatial_predicate(op: int, item_wkb: bytes | None, query_wkb: bytes) -> int | None:
    if item_wkb is None:
        return None
    return int(bool(_OPS[op](shapely.from_wkb(item_wkb), _prepared(query_wkb))))


def _register_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("eonode_spatial", 3, _spatial_predicate, deterministic=True)


class SqliteColumns(SearchColumns):
    def _json_property(self, name: str, kind: JsonKind) -> ColumnElement[Any]:
        if '"' in name or "\\" in name:
            raise InvalidFilter(f"property name {name!r} is not supported")
        path = f'$.properties."{name}"'
        value = func.json_extract(items.c.body, path)
        jtype = func.json_type(items.c.body, path)
        if kind == "number":
            return case((jtype.in_(["integer", "real"]), value))
        if kind == "string":
            return case((jtype == "text", value))
        if kind == "boolean":
            return case((jtype.in_(["true", "false"]), value))
        return value

    def spatial(self, op: str, geometry: BaseGeometry) -> ColumnElement[bool]:
        wkb = shapely.to_wkb(geometry)
        return func.eonode_spatial(OP_CODES[op], S.geom, wkb) == 1


class SqliteCatalogStore(SqlCatalogStore):
    """The default catalogue: one file, WAL, one writer connection, several readers."""

    def __init__(
        self,
        url: str,
        *,
        readers: int = 4,
        cache_mib: int = 32,
        writer_cache_mib: int | None = None,
        migrate: bool = True,
    ) -> None:
        """``writer_cache_mib``: a bulk loader gives its writer a large page cache, so the
        indexes it updates stay in memory between batches."""
        write_engine = sqlite_engine(
            url, writer=True, pool_size=1, cache_mib=writer_cache_mib or cache_mib, on_connect=_register_functions
        )
        if migrate:
            from eonode.db.migrate import upgrade

            upgrade(write_engine)
        read_engine = sqlite_engine(
            url, writer=False, pool_size=readers, cache_mib=cache_mib, on_connect=_register_functions
        )
        super().__init__(read_engine, write_engine)

    def analyze(self) -> None:
        with self._write_engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA optimize")
            conn.commit()

    def _columns(self) -> SearchColumns:
        return SqliteColumns()

    def _geom_value(self, wkb: bytes) -> Any:
        return wkb

    @staticmethod
    def _ts(value: datetime | int | None) -> Any:
        return to_micros(value) if isinstance(value, datetime) else value

    def _insert_rows(self, conn: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """executemany straight on the driver: bulk loads skip per-row parameter processing."""
        if rows:
            sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            conn.exec_driver_sql(sql, rows)

    def _search_rows_added(self, conn: Connection, rows: list[tuple[int, PreparedItem]]) -> None:
        def cloud(p: PreparedItem) -> float:
            value = p.promoted[CLOUD_INDEX]
            return UNKNOWN_CLOUD if value is None else float(value) / CLOUD_UNIT

        self._insert_rows(
            conn,
            item_rtree,
            ("skey", "minx", "maxx", "miny", "maxy", "mint", "maxt", "minc", "maxc"),
            [
                (
                    skey,
                    p.bounds[0],
                    p.bounds[2],
                    p.bounds[1],
                    p.bounds[3],
                    years(p.t_start),
                    years(p.t_end),
                    cloud(p),
                    cloud(p),
                )
                for skey, p in rows
            ],
        )

    def _search_rows_removed(self, conn: Connection, skeys: list[int]) -> None:
        for start in range(0, len(skeys), 10_000):
            conn.execute(delete(item_rtree).where(R.skey.in_(skeys[start : start + 10_000])))

    # -- search ---------------------------------------------------------------------------------
    def _run_search(self, conn: Connection, plan: SearchPlan) -> tuple[int, Sequence[Row[Any]] | list[tuple[Any, ...]]]:
        if plan.spatial:
            return spatial_search(conn, plan, self._finish_page)
        conditions = [*plan.conditions, *self._window_index_bound(conn, plan)]
        source = with_body(plan, item_search)
        if plan.simple:
            total = self._simple_count(conn, plan)
        else:
            total = int(conn.execute(select(func.count()).select_from(source).where(*conditions)).scalar_one())
        if total == 0:
            return 0, []
        stmt = self._finish_page(self._page_select(plan).select_from(source).where(*conditions), plan)
        return total, conn.execute(stmt).all()
