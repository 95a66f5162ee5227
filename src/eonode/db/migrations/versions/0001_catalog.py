"""The catalogue: collections, items, search rows, change feed.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    if op.get_bind().dialect.name == "postgresql":
        return sa.TIMESTAMP(timezone=True)
    return sa.BigInteger()


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    if op.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        return JSONB()
    return sa.Text()


def _key() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    # INTEGER PRIMARY KEY is SQLite's rowid alias: the table is stored in key order.
    return sa.Integer() if op.get_bind().dialect.name == "sqlite" else sa.BigInteger()


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "collections",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("body", _json(), nullable=False),
        sa.Column("etag", sa.Text, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("created", _ts(), nullable=False),
        sa.Column("updated", _ts(), nullable=False),
    )
    op.create_table(
        "items",
        sa.Column("pk", _key(), primary_key=True, autoincrement=False),
        sa.Column("collection", sa.Text, nullable=False),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("body", _json(), nullable=False),
        sa.Column("etag", sa.Text, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("created", _ts(), nullable=False),
        sa.Column("updated", _ts(), nullable=False),
    )
    geom: sa.types.TypeEngine = (  # type: ignore[type-arg]
        Geometry("GEOMETRY", srid=4326, spatial_index=False) if pg else sa.LargeBinary()
    )
    op.create_table(
        "item_search",
        sa.Column("skey", _key(), primary_key=True, autoincrement=False),
        sa.Column("pk", sa.BigInteger, nullable=False),
        sa.Column("collection", sa.Text, nullable=False),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("t_start", _ts(), nullable=False),
        sa.Column("t_end", _ts(), nullable=False),
        sa.Column("datetime", _ts()),
        sa.Column("start_datetime", _ts()),
        sa.Column("end_datetime", _ts()),
        sa.Column("cloud_cover", sa.Float),
        sa.Column("gsd", sa.Float),
        sa.Column("platform", sa.Text),
        sa.Column("constellation", sa.Text),
        sa.Column("processing_level", sa.Text),
        sa.Column("off_nadir", sa.Float),
        sa.Column("sun_elevation", sa.Float),
        sa.Column("minx", sa.Float, nullable=False),
        sa.Column("miny", sa.Float, nullable=False),
        sa.Column("maxx", sa.Float, nullable=False),
        sa.Column("maxy", sa.Float, nullable=False),
        sa.Column("geom", geom, nullable=False),
        sa.UniqueConstraint("id", "collection", name="uq_item_search_id_collection"),
    )
    op.create_index("ix_item_search_t", "item_search", ["t_start", "collection"])
    if pg:
        op.create_index("ix_item_search_geom", "item_search", ["geom"], postgresql_using="gist")
    else:
        # Footprint box, time span (years since 1970) and cloud cover (tens of percent, -1: unknown)
        # of every item, keyed by skey, in units that keep its nodes balanced (catalog/sqlite_search.py).
        op.execute("CREATE VIRTUAL TABLE item_rtree USING rtree(skey, minx, maxx, miny, maxy, mint, maxt, minc, maxc)")
    op.create_table(
        "events",
        sa.Column("seq", _key(), primary_key=True, autoincrement=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("op", sa.Text, nullable=False),
        sa.Column("collection", sa.Text, nullable=False),
        sa.Column("item_id", sa.Text),
        sa.Column("etag", sa.Text),
    )
    op.create_table(
        "feed_counter",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO feed_counter (id, seq) VALUES (1, 0)")
    op.create_table(
        "collection_stats",
        sa.Column("collection", sa.Text, primary_key=True),
        sa.Column("item_count", sa.BigInteger, nullable=False),
        sa.Column("max_span_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "node_meta",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("node_meta", "collection_stats", "feed_counter", "events", "item_search", "items", "collections"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE item_rtree")
