"""personal API tokens (accounts, sessions and tokens)

Revision ID: 0002_auth
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workflow.db

revision = "0002_auth"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", workflow.db.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", workflow.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_person_tokens_created_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_person_tokens_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_tokens")),
        sa.UniqueConstraint("prefix", name=op.f("uq_person_tokens_prefix")),
    )
    with op.batch_alter_table("person_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_tokens_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_tokens_person_id"))
    op.drop_table("person_tokens")
