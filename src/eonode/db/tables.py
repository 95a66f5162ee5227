"""The catalogue tables, identical on both backends (SQLite adds an R*Tree beside them).

* ``collections`` and ``items`` hold the STAC documents (``body``) with their version tag
  (``etag``) and the sequence number of their latest change event (``last_seq``). ``items`` is
  keyed by an increasing ``pk`` only, so bulk loads append to it.
* ``item_search`` holds one narrow row per item with everything a search tests: the ids, the
  footprint, the time span and the promoted properties. Its key ``skey`` follows a Hilbert curve
  over the footprint's centre, so items near each other on the ground are near each other on
  disk. It has just two indexes — (id, collection), unique, and (t_start, collection) — because
  every index is a random write per item in a bulk load.
* ``events`` is the change feed; ``feed_counter`` hands out its gap-free sequence numbers.
* ``collection_stats`` keeps per-collection counts, maintained in the same transactions.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, MetaData, Table, Text, UniqueConstraint

from eonode.catalog.properties import PROMOTED
from eonode.db.types import JsonDoc, Timestamp, geometry_type

metadata = MetaData()

collections = Table(
    "collections",
    metadata,
    Column("id", Text, primary_key=True),
    Column("body", JsonDoc, nullable=False),
    Column("etag", Text, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("created", Timestamp, nullable=False),
    Column("updated", Timestamp, nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("collection", Text, nullable=False),
    Column("id", Text, nullable=False),
    Column("body", JsonDoc, nullable=False),
    Column("etag", Text, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("created", Timestamp, nullable=False),
    Column("updated", Timestamp, nullable=False),
)

item_search = Table(
    "item_search",
    metadata,
    Column("skey", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("pk", BigInteger, nullable=False),
    Column("collection", Text, nullable=False),
    Column("id", Text, nullable=False),
    Column("t_start", Timestamp, nullable=False),
    Column("t_end", Timestamp, nullable=False),
    Column("datetime", Timestamp),
    Column("start_datetime", Timestamp),
    Column("end_datetime", Timestamp),
    *(Column(p.column, Float if p.kind == "number" else Text) for p in PROMOTED),
    Column("minx", Float, nullable=False),
    Column("miny", Float, nullable=False),
    Column("maxx", Float, nullable=False),
    Column("maxy", Float, nullable=False),
    Column("geom", geometry_type(), nullable=False),
    UniqueConstraint("id", "collection", name="uq_item_search_id_collection"),
)
Index("ix_item_search_t", item_search.c.t_start, item_search.c.collection)

events = Table(
    "events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("at", Timestamp, nullable=False),
    Column("kind", Text, nullable=False),  # 'collection' | 'item'
    Column("op", Text, nullable=False),  # 'create' | 'update' | 'delete'
    Column("collection", Text, nullable=False),
    Column("item_id", Text),
    Column("etag", Text),  # version written (None for deletes)
)

feed_counter = Table(
    "feed_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
)

collection_stats = Table(
    "collection_stats",
    metadata,
    Column("collection", Text, primary_key=True),
    Column("item_count", BigInteger, nullable=False),
    Column("max_span_us", BigInteger, nullable=False),  # longest t_end - t_start seen (never shrinks)
)

node_meta = Table(
    "node_meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)
