"""items: a partial index on (due_at, id) of open items, for wide scopes' open and overdue lists

At a million items a committee leader's "overdue" list walked ix_items_due from the oldest due
date and filtered out every closed item on the way (3.4 s); over open items only it reads one
page (bench/scale.py, docs/scaling.md).

Revision ID: 0008_open_due
Revises: 0007_ledger_lock
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_open_due"
down_revision = "0007_ledger_lock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_open_due", "items", ["due_at", "id"], unique=False,
                    sqlite_where=sa.text("is_open = 1"), postgresql_where=sa.text("is_open"))


def downgrade() -> None:
    op.drop_index("ix_items_open_due", table_name="items")
