"""Evidence files (佐证材料), stored once by content hash, and their attachment to items."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.db import Base, UTCDateTime


class EvidenceFile(Base):
    """One stored blob; its bytes live on disk under their SHA-256."""

    __tablename__ = "evidence_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(120))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ItemEvidence(Base):
    """A file attached to an item under the name its uploader gave it."""

    __tablename__ = "item_evidence"
    __table_args__ = (
        UniqueConstraint("item_id", "sha256"),
        UniqueConstraint("uploaded_by_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_files.sha256"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    item_version: Mapped[int] = mapped_column(Integer)
    #: the uploader's Idempotency-Key: a retried upload answers the first one instead of a second
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
