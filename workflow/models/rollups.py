"""Counts the leaders' dashboard reads instead of counting items: per unit, for its whole
subtree (the unit and every unit below it), so a board of a committee's children is a handful of
rows whatever the number of items. Maintained by `workflow.rollups`; see its docstring."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow.db import Base, UTCDateTime


class OverdueCount(Base):
    """Open items of the unit's subtree due at or before the "overdue" mark, per ladder level."""

    __tablename__ = "overdue_counts"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    escalation_level: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ClosureCount(Base):
    """Items of the unit's subtree with a due date closed within one UTC hour (`hour` counts
    hours since 1970), on time (closed at or before the due date) or late."""

    __tablename__ = "closure_counts"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    on_time: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class RollupMark(Base):
    """How far a time-dependent count has been carried: `overdue_counts` holds the items due
    at or before `at` (None: none yet, the dashboard counts items directly)."""

    __tablename__ = "rollup_marks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)
