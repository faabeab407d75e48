"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workflow.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "definition_versions",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("loaded_at", workflow.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "version", name=op.f("pk_definition_versions")),
    )
    op.create_table(
        "evidence_files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("stored_at", workflow.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_evidence_files")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column(
            "path",
            sa.String(length=1000).with_variant(
                sa.String(length=1000, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("created_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("closed_at", workflow.db.UTCDateTime(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["organisations.id"],
            name=op.f("fk_organisations_merged_into_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organisations.id"],
            name=op.f("fk_organisations_parent_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("code", name=op.f("uq_organisations_code")),
        sa.UniqueConstraint("path", name=op.f("uq_organisations_path")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisations_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("session_generation", sa.Integer(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", workflow.db.UTCDateTime(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("post", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("mobile", sa.String(length=40), nullable=True),
        sa.Column("created_at", workflow.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_people_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("username", name=op.f("uq_people_username")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_people_org_id"), ["org_id"], unique=False)

    op.create_table(
        "inspector_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", workflow.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_inspector_assignments_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_inspector_assignments_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspector_assignments")),
        sa.UniqueConstraint(
            "person_id", "org_id", name=op.f("uq_inspector_assignments_person_id_org_id")
        ),
    )
    with op.batch_alter_table("inspector_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspector_assignments_org_id"), ["org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inspector_assignments_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "item_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("issuer_org_id", sa.Integer(), nullable=False),
        sa.Column(
            "issuer_path",
            sa.String(length=1000).with_variant(
                sa.String(length=1000, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["people.id"], name=op.f("fk_item_lists_issued_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_org_id"],
            ["organisations.id"],
            name=op.f("fk_item_lists_issuer_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_lists")),
        sa.UniqueConstraint(
            "issued_by_id",
            "idempotency_key",
            name=op.f("uq_item_lists_issued_by_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("item_lists", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_item_lists_issuer_org_id"), ["issuer_org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_item_lists_issuer_path"), ["issuer_path"], unique=False
        )

    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("granted_at", workflow.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_role_grants_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_role_grants_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grants")),
        sa.UniqueConstraint(
            "person_id", "org_id", "role", name=op.f("uq_role_grants_person_id_org_id_role")
        ),
    )
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_grants_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_role_grants_person_id"), ["person_id"], unique=False)

    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("assignee_org_id", sa.Integer(), nullable=False),
        sa.Column(
            "org_path",
            sa.String(length=1000).with_variant(
                sa.String(length=1000, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("issuer_org_id", sa.Integer(), nullable=False),
        sa.Column(
            "issuer_path",
            sa.String(length=1000).with_variant(
                sa.String(length=1000, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("primary_person_id", sa.Integer(), nullable=True),
        sa.Column("direct_person_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("due_at", workflow.db.UTCDateTime(), nullable=True),
        sa.Column("original_due_at", workflow.db.UTCDateTime(), nullable=True),
        sa.Column("planned_start_at", workflow.db.UTCDateTime(), nullable=True),
        sa.Column("next_deadline_at", workflow.db.UTCDateTime(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("approved_version", sa.Integer(), nullable=True),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.Column("ledger_head", sa.String(length=64), nullable=True),
        sa.Column("created_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("closed_at", workflow.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_org_id"],
            ["organisations.id"],
            name=op.f("fk_items_assignee_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["direct_person_id"], ["people.id"], name=op.f("fk_items_direct_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_org_id"],
            ["organisations.id"],
            name=op.f("fk_items_issuer_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["item_lists.id"], name=op.f("fk_items_list_id_item_lists")
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["items.id"], name=op.f("fk_items_parent_id_items")),
        sa.ForeignKeyConstraint(
            ["primary_person_id"], ["people.id"], name=op.f("fk_items_primary_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_items_assignee_org_id"), ["assignee_org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_items_direct_person_id"), ["direct_person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_items_issuer_path"), ["issuer_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_items_list_id"), ["list_id"], unique=False)
        batch_op.create_index(
            "ix_items_next_deadline",
            ["next_deadline_at"],
            unique=False,
            sqlite_where=sa.text("is_open = 1 AND next_deadline_at IS NOT NULL"),
            postgresql_where=sa.text("is_open AND next_deadline_at IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_items_open_path",
            ["org_path", "due_at"],
            unique=False,
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.create_index("ix_items_org_path", ["org_path", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_items_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_items_primary_person_id"), ["primary_person_id"], unique=False
        )

    op.create_table(
        "item_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("item_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_evidence_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["evidence_files.sha256"],
            name=op.f("fk_item_evidence_sha256_evidence_files"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["people.id"], name=op.f("fk_item_evidence_uploaded_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_evidence")),
        sa.UniqueConstraint("item_id", "sha256", name=op.f("uq_item_evidence_item_id_sha256")),
    )
    with op.batch_alter_table("item_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_evidence_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_evidence_sha256"), ["sha256"], unique=False)

    op.create_table(
        "item_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_item_id", sa.Integer(), nullable=False),
        sa.Column("to_item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("created_at", workflow.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_item_id"], ["items.id"], name=op.f("fk_item_links_from_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["to_item_id"], ["items.id"], name=op.f("fk_item_links_to_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_links")),
        sa.UniqueConstraint(
            "from_item_id",
            "to_item_id",
            "kind",
            name=op.f("uq_item_links_from_item_id_to_item_id_kind"),
        ),
    )
    with op.batch_alter_table("item_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_item_links_from_item_id"), ["from_item_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_item_links_to_item_id"), ["to_item_id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("subject_seq", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("trigger", sa.String(length=64), nullable=True),
        sa.Column("from_state", sa.String(length=64), nullable=True),
        sa.Column("to_state", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("signature", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_ledger_entries_actor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_ledger_entries_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_ledger_entries_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("hash", name=op.f("uq_ledger_entries_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_ledger_entries_prev_hash")),
        sa.UniqueConstraint(
            "subject", "subject_seq", name=op.f("uq_ledger_entries_subject_subject_seq")
        ),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entries_at"), ["at"], unique=False)
        batch_op.create_index("ix_ledger_entries_item", ["item_id", "id"], unique=False)
        batch_op.create_index("ix_ledger_entries_org", ["org_id", "id"], unique=False)
    create_ledger_guards()


def downgrade() -> None:
    drop_ledger_guards()
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_org")
        batch_op.drop_index("ix_ledger_entries_item")
        batch_op.drop_index(batch_op.f("ix_ledger_entries_at"))

    op.drop_table("ledger_entries")
    with op.batch_alter_table("item_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_links_to_item_id"))
        batch_op.drop_index(batch_op.f("ix_item_links_from_item_id"))

    op.drop_table("item_links")
    with op.batch_alter_table("item_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_evidence_sha256"))
        batch_op.drop_index(batch_op.f("ix_item_evidence_item_id"))

    op.drop_table("item_evidence")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_primary_person_id"))
        batch_op.drop_index(batch_op.f("ix_items_parent_id"))
        batch_op.drop_index("ix_items_org_path")
        batch_op.drop_index(
            "ix_items_open_path",
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.drop_index(
            "ix_items_next_deadline",
            sqlite_where=sa.text("is_open = 1 AND next_deadline_at IS NOT NULL"),
            postgresql_where=sa.text("is_open AND next_deadline_at IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_items_list_id"))
        batch_op.drop_index(batch_op.f("ix_items_issuer_path"))
        batch_op.drop_index(batch_op.f("ix_items_direct_person_id"))
        batch_op.drop_index(batch_op.f("ix_items_assignee_org_id"))

    op.drop_table("items")
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_grants_person_id"))
        batch_op.drop_index(batch_op.f("ix_role_grants_org_id"))

    op.drop_table("role_grants")
    with op.batch_alter_table("item_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_lists_issuer_path"))
        batch_op.drop_index(batch_op.f("ix_item_lists_issuer_org_id"))

    op.drop_table("item_lists")
    with op.batch_alter_table("inspector_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspector_assignments_person_id"))
        batch_op.drop_index(batch_op.f("ix_inspector_assignments_org_id"))

    op.drop_table("inspector_assignments")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_org_id"))

    op.drop_table("people")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_parent_id"))

    op.drop_table("organisations")
    op.drop_table("evidence_files")
    op.drop_table("definition_versions")


_REFUSAL = "ledger entries are append-only: they cannot be updated or deleted"


def create_ledger_guards() -> None:
    """Database triggers refuse UPDATE and DELETE on the ledger (and TRUNCATE on PostgreSQL).

    On PostgreSQL they are ENABLE ALWAYS, so they fire under session_replication_role=replica too.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION sandan_ledger_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{_REFUSAL}' USING ERRCODE = 'insufficient_privilege';
            END $$""")
        op.execute("""CREATE TRIGGER ledger_entries_append_only
            BEFORE UPDATE OR DELETE ON ledger_entries
            FOR EACH ROW EXECUTE FUNCTION sandan_ledger_append_only()""")
        op.execute("""CREATE TRIGGER ledger_entries_no_truncate
            BEFORE TRUNCATE ON ledger_entries
            FOR EACH STATEMENT EXECUTE FUNCTION sandan_ledger_append_only()""")
        op.execute("ALTER TABLE ledger_entries ENABLE ALWAYS TRIGGER ledger_entries_append_only")
        op.execute("ALTER TABLE ledger_entries ENABLE ALWAYS TRIGGER ledger_entries_no_truncate")
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(f"""CREATE TRIGGER ledger_entries_no_{event.lower()}
            BEFORE {event} ON ledger_entries
            BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END""")


def drop_ledger_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries")
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON ledger_entries")
        op.execute("DROP FUNCTION IF EXISTS sandan_ledger_append_only()")
        return
    op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_update")
    op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_delete")
