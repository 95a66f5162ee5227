"""The federation tables of a parent node (same on both backends): its child nodes with their
agreements, the status reports they send up, and what each child confirmed it holds."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, Table, Text

from eonode.db.tables import metadata
from eonode.db.types import JsonDoc, Timestamp

fed_children = Table(
    "fed_children",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, unique=True),
    Column("contact", Text, nullable=False),  # e-mail address of the child's operator
    Column("organisation", Text, nullable=False, default=""),
    Column("country", Text, nullable=False, default=""),
    Column("url", Text, nullable=False, default=""),  # the child's public address, if it has one
    Column("status", Text, nullable=False),  # pending | approved | rejected | revoked
    Column("key_hash", Text, nullable=False, unique=True),  # sha256 of the credential the child chose
    Column("requested", JsonDoc, nullable=False),  # what the child asked for (an agreement form)
    Column("agreement", JsonDoc),  # what the parent granted
    Column("user_id", Integer),  # the machine account, once approved
    Column("reason", Text, nullable=False, default=""),  # why rejected or revoked
    Column("created", Timestamp, nullable=False),
    Column("decided", Timestamp),
    Column("decided_by", Text, nullable=False, default=""),
    Column("resync_from", BigInteger),  # the parent asks the child to read again from here
    sqlite_autoincrement=True,
)

fed_reports = Table(
    "fed_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("child_id", Integer, nullable=False),
    Column("at", Timestamp, nullable=False),
    Column("body", JsonDoc, nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_fed_reports_child_at", fed_reports.c.child_id, fed_reports.c.at)

fed_deliveries = Table(
    "fed_deliveries",
    metadata,
    Column("child_id", Integer, primary_key=True),
    Column("collection", Text, primary_key=True),
    Column("item_id", Text, primary_key=True),
    Column("asset", Text, primary_key=True),
    Column("sha256", Text, nullable=False),
    Column("at", Timestamp, nullable=False),
)
