"""Personal API tokens: bearer secrets stored only as SHA-256 digests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow.db import Base, UTCDateTime


class PersonToken(Base):
    """One bearer token of a person. It acts with exactly its owner's roles, never more.

    The secret is shown once at creation; the database keeps its SHA-256 (a fast hash is right
    here: the secret has 256 random bits, so there is nothing to guess, unlike a password).
    `prefix` is a public random handle that finds the row without scanning.
    """

    __tablename__ = "person_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
