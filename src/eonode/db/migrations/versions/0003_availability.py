"""Availability of an item's data (online / offline / remote) as a search column.

Items written before this revision get the column from their data asset's reference: a blob of
this node is online, any other reference is remote. Their documents gain the property the next
time they are written (rewriting them here would change their versions without feed events).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("item_search", sa.Column("availability", sa.Text))
    if op.get_bind().dialect.name == "postgresql":
        href = "(SELECT i.body->'assets'->'data'->>'href' FROM items i WHERE i.pk = item_search.pk)"
    else:
        href = "(SELECT json_extract(i.body, '$.assets.data.href') FROM items i WHERE i.pk = item_search.pk)"
    op.execute(
        f"UPDATE item_search SET availability = CASE WHEN {href} LIKE 'blob:sha256:%' THEN 'online' "
        f"WHEN {href} IS NOT NULL THEN 'remote' END"
    )


def downgrade() -> None:
    op.drop_column("item_search", "availability")
