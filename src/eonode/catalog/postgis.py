"""The scale-path catalogue: PostgreSQL + PostGIS (GiST on footprints), psycopg 3.

Same tables and same semantics as SQLite; spatial predicates are PostGIS functions, so the
database evaluates them exactly and the planner picks between the GiST and B-tree indexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Float, Row, Table, and_, case, cast, func, not_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from eonode.catalog.cql2sql import JsonKind
from eonode.catalog.sqlsearch import SearchColumns, SearchPlan
from eonode.catalog.sqlstore import SqlCatalogStore
from eonode.db.engine import postgres_engine
from eonode.db.tables import item_search, items

S = item_search.c
_FUNCS = {
    "s_intersects": "ST_Intersects",
    "s_within": "ST_Within",
    "s_contains": "ST_Contains",
    "s_equals": "ST_Equals",
    "s_touches": "ST_Touches",
    "s_overlaps": "ST_Overlaps",
    "s_crosses": "ST_Crosses",
}


def ewkb_hex(wkb: bytes) -> str:
    """Little- or big-endian ISO WKB to PostGIS extended WKB (hex) with SRID 4326: the text form
    a geometry column accepts in COPY."""
    order: Literal["little", "big"] = "little" if wkb[0] == 1 else "big"
    kind = int.from_bytes(wkb[1:5], order) | 0x20000000
    return (wkb[:1] + kind.to_bytes(4, order) + (4326).to_bytes(4, order) + wkb[5:]).hex()


def _query_geometry(geometry: BaseGeometry) -> ColumnElement[Any]:
    return func.ST_GeomFromWKB(shapely.to_wkb(geometry), 4326)


class PostgisColumns(SearchColumns):
    def _json_property(self, name: str, kind: JsonKind) -> ColumnElement[Any]:
        doc = cast(items.c.body, JSONB)
        value = doc["properties"][name]
        text: ColumnElement[Any] = value.astext
        jtype = func.jsonb_typeof(value)
        if kind == "number":
            return case((jtype == "number", cast(text, Float)))
        if kind == "string":
            return case((jtype == "string", text))
        if kind == "boolean":
            return case((jtype == "boolean", text == "true"))
        if kind == "any":
            return text
        sort: ColumnElement[Any] = value  # "sort": jsonb ordering (numbers as numbers, strings as strings)
        return sort

    def spatial(self, op: str, geometry: BaseGeometry) -> ColumnElement[bool]:
        target = _query_geometry(geometry)
        if op == "s_disjoint":
            return not_(func.ST_Intersects(S.geom, target))
        return getattr(func, _FUNCS[op])(S.geom, target)  # type: ignore[no-any-return]


class PostgisCatalogStore(SqlCatalogStore):
    def __init__(self, url: str, *, pool_size: int = 8, migrate: bool = True) -> None:
        engine = postgres_engine(url, pool_size=pool_size)
        if migrate:
            from eonode.db.migrate import upgrade

            upgrade(engine)
        super().__init__(engine, engine)

    def analyze(self) -> None:
        with self._write_engine.connect() as conn:
            for table in ("item_search", "items", "events", "collections", "collection_stats"):
                conn.exec_driver_sql(f"ANALYZE {table}")
            conn.commit()

    def _columns(self) -> SearchColumns:
        return PostgisColumns()

    def _geom_value(self, wkb: bytes) -> Any:
        return ewkb_hex(wkb)

    def _insert_rows(self, conn: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """COPY ... FROM STDIN: PostgreSQL's bulk path, an order of magnitude faster than INSERTs."""
        if not rows:
            return
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _run_search(self, conn: Connection, plan: SearchPlan) -> tuple[int, Sequence[Row[Any]]]:
        conditions = [*plan.conditions, *self._window_index_bound(conn, plan)]
        for geom in plan.spatial:
            conditions.append(func.ST_Intersects(S.geom, _query_geometry(geom)))
        source = item_search.join(items, items.c.pk == S.pk) if plan.needs_body else item_search
        if plan.simple:
            total = self._simple_count(conn, plan)
        else:
            total = int(conn.execute(select(func.count()).select_from(source).where(and_(*conditions))).scalar_one())
        if total == 0:
            return 0, []
        stmt = self._finish_page(self._page_select(plan).select_from(source).where(*conditions), plan)
        return total, conn.execute(stmt).all()
