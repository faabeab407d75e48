"""forecast snapshot: the worker's escalation forecast of the whole tree, for the dashboard

The tables start empty: until the worker's first cycle stores a forecast, the dashboard
computes it live as before.

Revision ID: 0010_forecast_snapshot
Revises: 0009_rollups
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_forecast_snapshot"
down_revision = "0009_rollups"
branch_labels = None
depends_on = None

PATH = sa.String(length=1000).with_variant(sa.String(length=1000, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "forecast_snapshots",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_forecast_snapshots")),
    )
    op.create_table(
        "forecast_escalations",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("org_path", PATH, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"],
                                name=op.f("fk_forecast_escalations_item_id_items")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_forecast_escalations")),
    )
    op.create_index("ix_forecast_escalations_path", "forecast_escalations",
                    ["org_path", "seq", "item_id", "at", "level", "action"], unique=False)
    op.create_table(
        "forecast_counts",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("first_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"],
                                name=op.f("fk_forecast_counts_org_id_organisations")),
        sa.PrimaryKeyConstraint("org_id", "level", "action", name=op.f("pk_forecast_counts")),
    )


def downgrade() -> None:
    op.drop_table("forecast_counts")
    op.drop_index("ix_forecast_escalations_path", table_name="forecast_escalations")
    op.drop_table("forecast_escalations")
    op.drop_table("forecast_snapshots")
