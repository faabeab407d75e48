"""Monthly spot checks (月抽查): a recorded random draw and one review task per sampled object."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow.db import Base, PathString, UTCDateTime


class SpotCheck(Base):
    """One draw: what it was drawn from (`population`, ids in ascending order), the seed and
    the sample. `random.Random(seed).sample(population, len(sample))` gives the sample again."""

    __tablename__ = "spot_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    org_path: Mapped[str] = mapped_column(PathString)
    target: Mapped[str] = mapped_column(String(10))
    seed: Mapped[int] = mapped_column(BigInteger)
    seed_source: Mapped[str] = mapped_column(String(10))
    population: Mapped[list[int]] = mapped_column(JSON)
    population_digest: Mapped[str] = mapped_column(String(64))
    sample: Mapped[list[int]] = mapped_column(JSON)
    review_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rectification_list_id: Mapped[int | None] = mapped_column(ForeignKey("item_lists.id"))
    note: Mapped[str | None] = mapped_column(Text)


class SpotCheckReview(Base):
    """A review task: one sampled unit or item, for its assigned inspector, with a deadline.

    `verdict` is the assessment verdict, kept apart from the checked item's workflow state: a
    closed item can be found `non_compliant` (then `not_done` is set and a linked rectification
    item opened) while its state stays closed.
    """

    __tablename__ = "spot_check_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    spot_check_id: Mapped[int] = mapped_column(ForeignKey("spot_checks.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    org_path: Mapped[str] = mapped_column(PathString, index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10))
    verdict: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    not_done: Mapped[bool] = mapped_column(Boolean, default=False)
    finding_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _add_review_indexes() -> None:
    """An inspector's open review tasks, soonest due first (partial: open tasks only)."""
    table = SpotCheckReview.__table__
    open_clause = table.c.state == "open"
    Index("ix_spot_check_reviews_open", table.c.inspector_id, table.c.due_at,
          sqlite_where=open_clause, postgresql_where=open_clause)


_add_review_indexes()
