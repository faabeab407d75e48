"""The ledger (台账): append-only, hash-chained entries. See workflow/ledger.py for the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.db import Base, BigId, UTCDateTime


class LedgerEntry(Base):
    """One thing that happened. Never updated or deleted (database triggers refuse it).

    Entries form one chain per `subject` ("item:42", "org:7", ...): each names the hash of the
    subject's previous entry, so writers on different items never wait for each other. `id` is the
    global sequence; signed checkpoints outside the database seal the whole sequence.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("subject", "subject_seq"),
        Index("ix_ledger_entries_item", "item_id", "id"),
        Index("ix_ledger_entries_org", "org_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(80))
    subject_seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    action: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str | None] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    signature: Mapped[str | None] = mapped_column(String(40))
