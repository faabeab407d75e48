"""Assessments (季度考核, 年度考评, 月度积分): checklist versions, scores, corrections, proposals.

A score's workflow (draft → submitted → reviewed → locked) is its own; once locked, the row and
its criterion rows are frozen (database triggers refuse changes) and only `ScoreCorrection` rows,
each with its ledger entry, can change the effective result.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.db import Base, PathString, UTCDateTime


class ChecklistVersion(Base):
    """The YAML text of one (checklist, version) as first used; a changed text needs a version."""

    __tablename__ = "checklist_versions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(300))
    source_text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Assessment(Base):
    """One round: a checklist applied to the units under `org` for a period."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("checklist", "period", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist: Mapped[str] = mapped_column(String(64))
    checklist_version: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(20))
    #: a year of a quarterly checklist: the yearly items are scored, not the quarter's criteria
    yearly_items: Mapped[bool] = mapped_column(Boolean, default=False)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    org_path: Mapped[str] = mapped_column(PathString)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AssessmentScore(Base):
    """The score of one subject (a unit, or a member of a unit) in one assessment."""

    __tablename__ = "assessment_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    org_path: Mapped[str] = mapped_column(PathString, index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: the breakdown frozen at submission and again at locking (None while a draft)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CriterionScore(Base):
    """Points (and a veto verdict) for one criterion of a score, with the scorer's note."""

    __tablename__ = "criterion_scores"
    __table_args__ = (UniqueConstraint("score_id", "criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("assessment_scores.id"), index=True)
    criterion: Mapped[str] = mapped_column(String(64))
    #: exact decimal text ("7.5"): SQLite has no decimal type and floats would make false ties
    points: Mapped[str | None] = mapped_column(String(16))
    veto_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScoreEvidence(Base):
    """A stored file cited as evidence for one criterion of a score."""

    __tablename__ = "score_evidence"
    __table_args__ = (UniqueConstraint("score_id", "criterion", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("assessment_scores.id"), index=True)
    criterion: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_files.sha256"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScoreCorrection(Base):
    """A correction of a locked score: never an overwrite, always a new row (append-only)."""

    __tablename__ = "score_corrections"
    __table_args__ = (UniqueConstraint("score_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("assessment_scores.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    criterion: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    #: the effective breakdown once this correction applies
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Proposal(Base):
    """A commendation or accountability proposal drawn from a ranking, and its decision."""

    __tablename__ = "assessment_proposals"
    __table_args__ = (
        Index("ix_assessment_proposals_round", "checklist", "period", "org_id", "level", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    level: Mapped[str] = mapped_column(String(40))
    subject_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    rank: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[str] = mapped_column(String(16))
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
