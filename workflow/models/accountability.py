"""The accountability register (追责问责台账) and escalation waivers.

A register entry is opened by the sweep when an item climbs to a ladder level marked `register`;
the committee later records what came of it. A waiver suspends one item's escalation until a
moment, for a stated reason. Both are also written to the ledger (subjects `register:ID` and the
item's own chain), so these rows are the queryable view and the ledger the proof.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.db import Base, PathString, UTCDateTime

#: what a committee may record as the outcome of a register entry
OUTCOMES = ("talk_held", "notice_published", "waived")


class AccountabilityEntry(Base):
    """One escalation entered against a unit and its primary and direct responsible people."""

    __tablename__ = "accountability_entries"
    __table_args__ = (
        UniqueConstraint("item_id", "level"),
        Index("ix_accountability_entries_org_path", "org_path", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    org_path: Mapped[str] = mapped_column(PathString)
    issuer_path: Mapped[str] = mapped_column(PathString)
    primary_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    direct_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    level: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EscalationWaiver(Base):
    """A committee's decision that one item does not escalate until `expires_at`."""

    __tablename__ = "escalation_waivers"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
