"""The accounts tables (same on both backends): users, codes, keys, sessions, policies, grants,
quotas, downloads, request counters and the audit log."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, Table, Text, UniqueConstraint

from eonode.db.tables import metadata
from eonode.db.types import JsonDoc, Timestamp

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", Text, nullable=False, unique=True),  # stored lower-case
    Column("email", Text, nullable=False, unique=True),  # stored lower-case
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("full_name", Text, nullable=False, default=""),
    Column("organisation", Text, nullable=False, default=""),
    Column("country", Text, nullable=False, default=""),
    Column("created", Timestamp, nullable=False),
    Column("verified_at", Timestamp),
    Column("last_login", Timestamp),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", Timestamp),
    Column("must_change_password", Boolean, nullable=False, default=False),
    sqlite_autoincrement=True,  # ids are never reused (grants, quotas, history refer to them)
)

verification_codes = Table(
    "verification_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", Text, nullable=False),
    Column("purpose", Text, nullable=False),  # 'register' | 'reset'
    Column("code_hash", Text, nullable=False),
    Column("created", Timestamp, nullable=False),
    Column("expires", Timestamp, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("used_at", Timestamp),
)
Index("ix_codes_email", verification_codes.c.email, verification_codes.c.purpose, verification_codes.c.created)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("prefix", Text, nullable=False),
    Column("key_hash", Text, nullable=False, unique=True),
    Column("created", Timestamp, nullable=False),
    Column("last_used", Timestamp),
    Column("revoked_at", Timestamp),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("created", Timestamp, nullable=False),
    Column("expires", Timestamp, nullable=False),
    Column("last_seen", Timestamp, nullable=False),
    Column("ip", Text, nullable=False, default=""),
    Column("user_agent", Text, nullable=False, default=""),
)

collection_policies = Table(
    "collection_policies",
    metadata,
    Column("collection", Text, primary_key=True),
    Column("visibility", Text, nullable=False),
    Column("roles", Text, nullable=False, default=""),  # comma-separated, for visibility 'role'
    Column("data_access", Text, nullable=False),
    Column("updated", Timestamp, nullable=False),
    Column("updated_by", Text, nullable=False),
)

access_grants = Table(
    "access_grants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False),
    Column("collection", Text, nullable=False),
    Column("kind", Text, nullable=False),  # 'approval' | 'purchase'
    Column("created", Timestamp, nullable=False),
    Column("expires", Timestamp),
    Column("granted_by", Text, nullable=False),
    Column("note", Text, nullable=False, default=""),
    UniqueConstraint("user_id", "collection", "kind", name="uq_grant"),
)

role_quotas = Table(
    "role_quotas",
    metadata,
    Column("role", Text, primary_key=True),
    Column("bytes_per_day", BigInteger),
    Column("concurrent_downloads", Integer),
    Column("requests_per_minute", Integer),
)

user_quotas = Table(
    "user_quotas",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=False),
    Column("given", Text, nullable=False),  # comma-separated names of the limits this row sets
    Column("bytes_per_day", BigInteger),
    Column("concurrent_downloads", Integer),
    Column("requests_per_minute", Integer),
)

downloads = Table(
    "downloads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("principal", Text, nullable=False),  # 'user:ID' or 'ip:ADDRESS'
    Column("user_id", Integer),
    Column("collection", Text, nullable=False),
    Column("item_id", Text, nullable=False),
    Column("asset", Text, nullable=False),
    Column("bytes", BigInteger, nullable=False, default=0),
    Column("range_start", BigInteger, nullable=False),
    Column("range_end", BigInteger, nullable=False),
    Column("started", Timestamp, nullable=False),
    Column("heartbeat", Timestamp, nullable=False),
    Column("finished", Timestamp),
    Column("status", Text, nullable=False),  # 'active' | 'done' | 'aborted'
    Column("via", Text, nullable=False),
)
Index("ix_downloads_principal", downloads.c.principal, downloads.c.started)
Index("ix_downloads_user", downloads.c.user_id, downloads.c.started)

rate_counters = Table(
    "rate_counters",
    metadata,
    Column("key", Text, primary_key=True),
    Column("window", BigInteger, primary_key=True, autoincrement=False),  # unix minute
    Column("count", Integer, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Timestamp, nullable=False),
    Column("event", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("ip", Text, nullable=False, default=""),
    Column("detail", JsonDoc, nullable=False),
)
Index("ix_audit_at", audit_log.c.at)
