"""Accounts: users, verification codes, API keys, sessions, policies, grants, quotas, downloads,
request counters and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
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


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _quota_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("bytes_per_day", sa.BigInteger),
        sa.Column("concurrent_downloads", sa.Integer),
        sa.Column("requests_per_minute", sa.Integer),
    ]


def upgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.Text, nullable=False, unique=True),
        sa.Column("email", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("full_name", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("created", _ts(), nullable=False),
        sa.Column("verified_at", _ts()),
        sa.Column("last_login", _ts()),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", _ts()),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "verification_codes",
        _id(),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("code_hash", sa.Text, nullable=False),
        sa.Column("created", _ts(), nullable=False),
        sa.Column("expires", _ts(), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("used_at", _ts()),
    )
    op.create_index("ix_codes_email", "verification_codes", ["email", "purpose", "created"])
    op.create_table(
        "api_keys",
        _id(),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("prefix", sa.Text, nullable=False),
        sa.Column("key_hash", sa.Text, nullable=False, unique=True),
        sa.Column("created", _ts(), nullable=False),
        sa.Column("last_used", _ts()),
        sa.Column("revoked_at", _ts()),
    )
    op.create_index("ix_api_keys_user_id", "api_keys", ["user_id"])
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created", _ts(), nullable=False),
        sa.Column("expires", _ts(), nullable=False),
        sa.Column("last_seen", _ts(), nullable=False),
        sa.Column("ip", sa.Text, nullable=False),
        sa.Column("user_agent", sa.Text, nullable=False),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "collection_policies",
        sa.Column("collection", sa.Text, primary_key=True),
        sa.Column("visibility", sa.Text, nullable=False),
        sa.Column("roles", sa.Text, nullable=False),
        sa.Column("data_access", sa.Text, nullable=False),
        sa.Column("updated", _ts(), nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
    )
    op.create_table(
        "access_grants",
        _id(),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("collection", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("created", _ts(), nullable=False),
        sa.Column("expires", _ts()),
        sa.Column("granted_by", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.UniqueConstraint("user_id", "collection", "kind", name="uq_grant"),
    )
    op.create_table("role_quotas", sa.Column("role", sa.Text, primary_key=True), *_quota_columns())
    op.create_table(
        "user_quotas",
        sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("given", sa.Text, nullable=False),
        *_quota_columns(),
    )
    op.create_table(
        "downloads",
        _id(),
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("collection", sa.Text, nullable=False),
        sa.Column("item_id", sa.Text, nullable=False),
        sa.Column("asset", sa.Text, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("range_start", sa.BigInteger, nullable=False),
        sa.Column("range_end", sa.BigInteger, nullable=False),
        sa.Column("started", _ts(), nullable=False),
        sa.Column("heartbeat", _ts(), nullable=False),
        sa.Column("finished", _ts()),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("via", sa.Text, nullable=False),
    )
    op.create_index("ix_downloads_principal", "downloads", ["principal", "started"])
    op.create_index("ix_downloads_user", "downloads", ["user_id", "started"])
    if op.get_bind().dialect.name == "postgresql":  # SQLite nodes count in counters.sqlite (accounts/db.py)
        op.create_table(
            "rate_counters",
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("window", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("count", sa.Integer, nullable=False),
        )
    op.create_table(
        "audit_log",
        _id(),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("ip", sa.Text, nullable=False),
        sa.Column("detail", _json(), nullable=False),
    )
    op.create_index("ix_audit_at", "audit_log", ["at"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("rate_counters")
    for table in (
        "audit_log",
        "downloads",
        "user_quotas",
        "role_quotas",
        "access_grants",
        "collection_policies",
        "sessions",
        "api_keys",
        "verification_codes",
        "users",
    ):
        op.drop_table(table)
