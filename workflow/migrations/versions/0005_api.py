"""the HTTP API: idempotent evidence uploads, items paged by due date

Revision ID: 0005_api
Revises: 0004_assessments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_api"
down_revision = "0004_assessments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item_evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_item_evidence_uploaded_by_id_idempotency_key"),
            ["uploaded_by_id", "idempotency_key"],
        )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index("ix_items_due", ["due_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_due")
    with op.batch_alter_table("item_evidence", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_item_evidence_uploaded_by_id_idempotency_key"), type_="unique"
        )
        batch_op.drop_column("idempotency_key")
