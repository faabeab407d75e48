"""sweep bookkeeping on items, accountability register, waivers, notifications

Revision ID: 0003_sweep
Revises: 0002_auth
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workflow.db

revision = "0003_sweep"
down_revision = "0002_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_robots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column(
            "org_path",
            sa.String(length=1000).with_variant(
                sa.String(length=1000, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_send_at", workflow.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", workflow.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_notification_robots_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_robots")),
    )

    with op.batch_alter_table("notification_robots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_robots_org_id"), ["org_id"], unique=False)

    op.create_table(
        "notification_preferences",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("email", sa.String(length=10), nullable=False),
        sa.Column("muted", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_notification_preferences_person_id_people")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_notification_preferences")),
    )

    op.create_table(
        "accountability_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column(
            "org_path",
            sa.String(length=1000).with_variant(
                sa.String(length=1000, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "issuer_path",
            sa.String(length=1000).with_variant(
                sa.String(length=1000, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("primary_person_id", sa.Integer(), nullable=True),
        sa.Column("direct_person_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("outcome_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome_at", workflow.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["direct_person_id"],
            ["people.id"],
            name=op.f("fk_accountability_entries_direct_person_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_accountability_entries_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_accountability_entries_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["outcome_by_id"],
            ["people.id"],
            name=op.f("fk_accountability_entries_outcome_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["primary_person_id"],
            ["people.id"],
            name=op.f("fk_accountability_entries_primary_person_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_entries")),
        sa.UniqueConstraint(
            "item_id", "level", name=op.f("uq_accountability_entries_item_id_level")
        ),
    )

    with op.batch_alter_table("accountability_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accountability_entries_item_id"), ["item_id"], unique=False
        )
        batch_op.create_index(
            "ix_accountability_entries_org_path", ["org_path", "id"], unique=False
        )

    op.create_table(
        "escalation_waivers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("expires_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", workflow.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["people.id"],
            name=op.f("fk_escalation_waivers_created_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_escalation_waivers_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_waivers")),
    )

    with op.batch_alter_table("escalation_waivers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_waivers_item_id"), ["item_id"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("robot_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", workflow.db.UTCDateTime(), nullable=True),
        sa.Column("lease_until", workflow.db.UTCDateTime(), nullable=True),
        sa.Column("leased_by", sa.String(length=80), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("sent_at", workflow.db.UTCDateTime(), nullable=True),
        sa.Column("read_at", workflow.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_notifications_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_notifications_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_notifications_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["robot_id"],
            ["notification_robots.id"],
            name=op.f("fk_notifications_robot_id_notification_robots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
    )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_inbox", ["person_id", "channel", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notifications_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            "ix_notifications_pending",
            ["next_attempt_at"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalated_at", workflow.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_response_at", workflow.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", workflow.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("overdue_at", workflow.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("waived_until", workflow.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("recurred_through", workflow.db.UTCDateTime(), nullable=True))

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("recurred_through")
        batch_op.drop_column("waived_until")
        batch_op.drop_column("overdue_at")
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("last_response_at")
        batch_op.drop_column("escalated_at")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_item_id"))
        batch_op.drop_index("ix_notifications_inbox")
        batch_op.drop_index("ix_notifications_pending")

    op.drop_table("notifications")

    with op.batch_alter_table("escalation_waivers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_waivers_item_id"))

    op.drop_table("escalation_waivers")

    with op.batch_alter_table("accountability_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_accountability_entries_org_path")
        batch_op.drop_index(batch_op.f("ix_accountability_entries_item_id"))

    op.drop_table("accountability_entries")

    op.drop_table("notification_preferences")

    with op.batch_alter_table("notification_robots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_robots_org_id"))

    op.drop_table("notification_robots")
