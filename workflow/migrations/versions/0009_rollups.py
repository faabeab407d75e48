"""roll-ups: per-unit subtree counts of overdue open items and of closures per hour

The overdue counts start empty with the mark unset (the dashboard counts items directly until
the worker first carries the mark); the closure counts are filled from the closed items here.

Revision ID: 0009_rollups
Revises: 0008_open_due
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009_rollups"
down_revision = "0008_open_due"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "overdue_counts",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"],
                                name=op.f("fk_overdue_counts_org_id_organisations")),
        sa.PrimaryKeyConstraint("org_id", "escalation_level", name=op.f("pk_overdue_counts")),
    )
    op.create_table(
        "closure_counts",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"],
                                name=op.f("fk_closure_counts_org_id_organisations")),
        sa.PrimaryKeyConstraint("org_id", "hour", "on_time", name=op.f("pk_closure_counts")),
    )
    marks = op.create_table(
        "rollup_marks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rollup_marks")),
    )
    op.bulk_insert(marks, [{"name": "overdue", "at": None}])
    _fill_closures()


def _fill_closures() -> None:
    """closure_counts from the closed items with a due date (stored as naive UTC)."""
    rows = op.get_bind().execute(sa.text(
        "SELECT org_path, closed_at, due_at FROM items WHERE closed_at IS NOT NULL "
        "AND due_at IS NOT NULL AND is_open = :closed"), {"closed": False})
    counts: Counter[tuple[int, int, bool]] = Counter()
    for path, closed_at, due_at in rows:
        closed_at, due_at = _utc(closed_at), _utc(due_at)
        key = (int(closed_at.timestamp()) // 3600, closed_at <= due_at)
        for unit in (int(part) for part in path.strip("/").split("/") if part):
            counts[(unit, *key)] += 1
    table = sa.table("closure_counts", sa.column("org_id"), sa.column("hour"),
                     sa.column("on_time"), sa.column("n"))
    rows_out = [{"org_id": o, "hour": h, "on_time": t, "n": n}
                for (o, h, t), n in sorted(counts.items())]
    for start in range(0, len(rows_out), 10_000):
        op.bulk_insert(table, rows_out[start:start + 10_000])


def _utc(value: Any) -> datetime:
    """A stored naive-UTC value (a datetime, or SQLite's text) as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def downgrade() -> None:
    op.drop_table("rollup_marks")
    op.drop_table("closure_counts")
    op.drop_table("overdue_counts")
