"""Federation on a parent node: child nodes and their agreements, status reports, deliveries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
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


def upgrade() -> None:
    op.create_table(
        "fed_children",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("key_hash", sa.Text, nullable=False, unique=True),
        sa.Column("requested", _json(), nullable=False),
        sa.Column("agreement", _json()),
        sa.Column("user_id", sa.Integer),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created", _ts(), nullable=False),
        sa.Column("decided", _ts()),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("resync_from", sa.BigInteger),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "fed_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("child_id", sa.Integer, nullable=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("body", _json(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_fed_reports_child_at", "fed_reports", ["child_id", "at"])
    op.create_table(
        "fed_deliveries",
        sa.Column("child_id", sa.Integer, primary_key=True),
        sa.Column("collection", sa.Text, primary_key=True),
        sa.Column("item_id", sa.Text, primary_key=True),
        sa.Column("asset", sa.Text, primary_key=True),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("at", _ts(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fed_deliveries")
    op.drop_index("ix_fed_reports_child_at", "fed_reports")
    op.drop_table("fed_reports")
    op.drop_table("fed_children")
