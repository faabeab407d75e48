"""assessments, spot checks, score corrections and proposals (supervision cycles)

Revision ID: 0004_assessments
Revises: 0003_sweep
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workflow.db

revision = "0004_assessments"
down_revision = "0003_sweep"
branch_labels = None
depends_on = None

#: tables in creation order; dropped in reverse
TABLES = (
    "checklist_versions",
    "assessment_proposals",
    "assessments",
    "assessment_scores",
    "spot_checks",
    "criterion_scores",
    "score_corrections",
    "score_evidence",
    "spot_check_reviews",
)


def upgrade() -> None:
    op.create_table(
        "checklist_versions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("loaded_at", workflow.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name=op.f("pk_checklist_versions")),
    )
    op.create_table(
        "assessment_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checklist", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("subject_org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("total", sa.String(length=16), nullable=False),
        sa.Column("vetoed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", workflow.db.UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["people.id"],
            name=op.f("fk_assessment_proposals_created_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["people.id"],
            name=op.f("fk_assessment_proposals_decided_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_proposals_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_org_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_proposals_subject_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_proposals")),
    )
    with op.batch_alter_table("assessment_proposals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_proposals_round",
            ["checklist", "period", "org_id", "level", "state"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_assessment_proposals_subject_org_id"), ["subject_org_id"], unique=False
        )

    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checklist", sa.String(length=64), nullable=False),
        sa.Column("checklist_version", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("yearly_items", sa.Boolean(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column(
            "org_path",
            sa.String(length=1000).with_variant(
                sa.String(length=1000, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", workflow.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_assessments_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["people.id"], name=op.f("fk_assessments_started_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint(
            "checklist", "period", "org_id", name=op.f("uq_assessments_checklist_period_org_id")
        ),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessments_org_id"), ["org_id"], unique=False)

    op.create_table(
        "assessment_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column(
            "org_path",
            sa.String(length=1000).with_variant(
                sa.String(length=1000, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("locked_at", workflow.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_scores_assessment_id_assessments"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_assessment_scores_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_assessment_scores_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_scores")),
    )
    with op.batch_alter_table("assessment_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_scores_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assessment_scores_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_assessment_scores_org_path"), ["org_path"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assessment_scores_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "spot_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column(
            "org_path",
            sa.String(length=1000).with_variant(
                sa.String(length=1000, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("target", sa.String(length=10), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("seed_source", sa.String(length=10), nullable=False),
        sa.Column("population", sa.JSON(), nullable=False),
        sa.Column("population_digest", sa.String(length=64), nullable=False),
        sa.Column("sample", sa.JSON(), nullable=False),
        sa.Column("review_due_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("rectification_list_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_spot_checks_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["rectification_list_id"],
            ["item_lists.id"],
            name=op.f("fk_spot_checks_rectification_list_id_item_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["people.id"], name=op.f("fk_spot_checks_started_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_checks")),
    )
    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spot_checks_org_id"), ["org_id"], unique=False)

    op.create_table(
        "criterion_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("score_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=64), nullable=False),
        sa.Column("points", sa.String(length=16), nullable=True),
        sa.Column("veto_failed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("scored_by_id", sa.Integer(), nullable=True),
        sa.Column("scored_at", workflow.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["score_id"],
            ["assessment_scores.id"],
            name=op.f("fk_criterion_scores_score_id_assessment_scores"),
        ),
        sa.ForeignKeyConstraint(
            ["scored_by_id"], ["people.id"], name=op.f("fk_criterion_scores_scored_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criterion_scores")),
        sa.UniqueConstraint(
            "score_id", "criterion", name=op.f("uq_criterion_scores_score_id_criterion")
        ),
    )
    with op.batch_alter_table("criterion_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_criterion_scores_score_id"), ["score_id"], unique=False
        )

    op.create_table(
        "score_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("score_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("corrected_by_id", sa.Integer(), nullable=True),
        sa.Column("corrected_at", workflow.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["corrected_by_id"],
            ["people.id"],
            name=op.f("fk_score_corrections_corrected_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["score_id"],
            ["assessment_scores.id"],
            name=op.f("fk_score_corrections_score_id_assessment_scores"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_corrections")),
        sa.UniqueConstraint("score_id", "seq", name=op.f("uq_score_corrections_score_id_seq")),
    )
    with op.batch_alter_table("score_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_score_corrections_score_id"), ["score_id"], unique=False
        )

    op.create_table(
        "score_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("score_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", workflow.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["people.id"], name=op.f("fk_score_evidence_added_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["score_id"],
            ["assessment_scores.id"],
            name=op.f("fk_score_evidence_score_id_assessment_scores"),
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["evidence_files.sha256"],
            name=op.f("fk_score_evidence_sha256_evidence_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_evidence")),
        sa.UniqueConstraint(
            "score_id",
            "criterion",
            "sha256",
            name=op.f("uq_score_evidence_score_id_criterion_sha256"),
        ),
    )
    with op.batch_alter_table("score_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_evidence_score_id"), ["score_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_evidence_sha256"), ["sha256"], unique=False)

    op.create_table(
        "spot_check_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spot_check_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column(
            "org_path",
            sa.String(length=1000).with_variant(
                sa.String(length=1000, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("inspector_id", sa.Integer(), nullable=False),
        sa.Column("due_at", workflow.db.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("not_done", sa.Boolean(), nullable=False),
        sa.Column("finding_item_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", workflow.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["finding_item_id"],
            ["items.id"],
            name=op.f("fk_spot_check_reviews_finding_item_id_items"),
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["people.id"], name=op.f("fk_spot_check_reviews_inspector_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_spot_check_reviews_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_spot_check_reviews_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["people.id"],
            name=op.f("fk_spot_check_reviews_reviewed_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["spot_check_id"],
            ["spot_checks.id"],
            name=op.f("fk_spot_check_reviews_spot_check_id_spot_checks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check_reviews")),
    )
    with op.batch_alter_table("spot_check_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spot_check_reviews_item_id"), ["item_id"], unique=False
        )
        batch_op.create_index(
            "ix_spot_check_reviews_open",
            ["inspector_id", "due_at"],
            unique=False,
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        )
        batch_op.create_index(
            batch_op.f("ix_spot_check_reviews_org_path"), ["org_path"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_spot_check_reviews_spot_check_id"), ["spot_check_id"], unique=False
        )

    create_score_guards()


def downgrade() -> None:
    drop_score_guards()
    for table in reversed(TABLES):
        op.drop_table(table)


_LOCKED = "the assessment score is locked: record a correction instead"
_CORRECTIONS = "score corrections are append-only: they cannot be updated or deleted"
#: tables whose rows belong to a score, and the events refused while that score is locked
_CHILDREN = (
    ("criterion_scores", ("INSERT", "UPDATE", "DELETE")),
    ("score_evidence", ("INSERT", "UPDATE", "DELETE")),
)


def create_score_guards() -> None:
    """Database triggers: a locked score, its criteria and evidence cannot change; corrections
    cannot be edited or removed. The engine refuses first with a clear message; these catch
    anything that goes around it (ENABLE ALWAYS on PostgreSQL, as for the ledger)."""
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_guards()
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(f"""CREATE TRIGGER assessment_scores_locked_{event.lower()}
            BEFORE {event} ON assessment_scores WHEN OLD.state = 'locked'
            BEGIN SELECT RAISE(ABORT, '{_LOCKED}'); END""")
        op.execute(f"""CREATE TRIGGER score_corrections_no_{event.lower()}
            BEFORE {event} ON score_corrections
            BEGIN SELECT RAISE(ABORT, '{_CORRECTIONS}'); END""")
    for table, events in _CHILDREN:
        for event in events:
            row = "OLD" if event == "DELETE" else "NEW"
            op.execute(f"""CREATE TRIGGER {table}_locked_{event.lower()}
                BEFORE {event} ON {table}
                WHEN (SELECT state FROM assessment_scores WHERE id = {row}.score_id) = 'locked'
                BEGIN SELECT RAISE(ABORT, '{_LOCKED}'); END""")


def _postgresql_guards() -> None:
    op.execute(f"""
        CREATE FUNCTION sandan_score_locked() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            score_state varchar;
        BEGIN
            IF TG_TABLE_NAME = 'assessment_scores' THEN
                score_state := OLD.state;
            ELSIF TG_OP = 'DELETE' THEN
                SELECT state INTO score_state FROM assessment_scores WHERE id = OLD.score_id;
            ELSE
                SELECT state INTO score_state FROM assessment_scores WHERE id = NEW.score_id;
            END IF;
            IF score_state = 'locked' THEN
                RAISE EXCEPTION '{_LOCKED}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NEW;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION sandan_corrections_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{_CORRECTIONS}' USING ERRCODE = 'insufficient_privilege';
        END $$""")
    guarded = (
        ("assessment_scores", "UPDATE OR DELETE"),
        *((table, " OR ".join(events)) for table, events in _CHILDREN),
    )
    for table, events in guarded:
        op.execute(f"""CREATE TRIGGER {table}_locked BEFORE {events} ON {table}
            FOR EACH ROW EXECUTE FUNCTION sandan_score_locked()""")
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_locked")
    op.execute("""CREATE TRIGGER score_corrections_append_only
        BEFORE UPDATE OR DELETE ON score_corrections
        FOR EACH ROW EXECUTE FUNCTION sandan_corrections_append_only()""")
    op.execute("ALTER TABLE score_corrections ENABLE ALWAYS TRIGGER score_corrections_append_only")


def drop_score_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("assessment_scores", *(t for t, _ in _CHILDREN)):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_locked ON {table}")
        op.execute("DROP TRIGGER IF EXISTS score_corrections_append_only ON score_corrections")
        op.execute("DROP FUNCTION IF EXISTS sandan_score_locked()")
        op.execute("DROP FUNCTION IF EXISTS sandan_corrections_append_only()")
        return
    for event in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS assessment_scores_locked_{event}")
        op.execute(f"DROP TRIGGER IF EXISTS score_corrections_no_{event}")
    for table, events in _CHILDREN:
        for event in events:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_locked_{event.lower()}")
