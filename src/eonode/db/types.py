"""Column types that read the same on SQLite and PostgreSQL.

* :class:`Timestamp` — ``timestamptz`` on PostgreSQL, integer microseconds since the epoch on
  SQLite (exact, index-friendly, comparable); Python sees aware UTC datetimes on both.
* :class:`JsonDoc` — ``jsonb`` on PostgreSQL, ``TEXT`` on SQLite; bound and read as JSON text so
  the store can use orjson instead of the driver's slower decoder.
* :func:`geometry_type` — PostGIS ``geometry(Geometry, 4326)`` or a WKB ``BLOB`` on SQLite.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, LargeBinary, Text, cast
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

from eonode.models.temporal import from_micros, to_micros


class Timestamp(TypeDecorator[datetime]):
    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        return dialect.type_descriptor(BigInteger())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return to_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None or dialect.name == "postgresql":
            return value  # type: ignore[no-any-return]
        return from_micros(int(value))


class _PgJsonText(UserDefinedType[str]):
    """jsonb column whose values travel as text in both directions."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "JSONB"

    def bind_expression(self, bindvalue: Any) -> ColumnElement[Any]:
        return cast(bindvalue, JSONB)

    def column_expression(self, colexpr: Any) -> ColumnElement[Any]:
        return cast(colexpr, Text)


JsonDoc: TypeEngine[str] = Text().with_variant(_PgJsonText(), "postgresql")


def geometry_type() -> TypeEngine[Any]:
    return LargeBinary().with_variant(Geometry("GEOMETRY", srid=4326, spatial_index=False), "postgresql")
