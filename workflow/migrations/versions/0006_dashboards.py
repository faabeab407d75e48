"""dashboards: covering partial indexes for overdue counts, closure rates and the forecast

Revision ID: 0006_dashboards
Revises: 0005_api
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_dashboards"
down_revision = "0005_api"
branch_labels = None
depends_on = None

#: name → (columns, SQLite WHERE, PostgreSQL WHERE); the WHERE texts are what the models render
INDEXES = {
    "ix_items_open_level": (
        ["org_path", "escalation_level", "due_at", "is_open"], "is_open = 1", "is_open"),
    "ix_items_closed_window": (
        ["closed_at", "org_path", "due_at", "is_open"], "is_open = 0", "NOT is_open"),
    "ix_items_open_path_deadline": (
        ["org_path", "next_deadline_at"],
        "is_open = 1 AND next_deadline_at IS NOT NULL",
        "is_open AND next_deadline_at IS NOT NULL",
    ),
}


def upgrade() -> None:
    for name, (columns, sqlite_where, postgresql_where) in INDEXES.items():
        op.create_index(name, "items", columns, unique=False,
                        sqlite_where=sa.text(sqlite_where),
                        postgresql_where=sa.text(postgresql_where))


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="items")
