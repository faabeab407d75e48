"""The escalation forecast as the worker last computed it (workflow/services/forecasts.py).

Running the sweep's dry run for every dashboard view costs seconds at the root of a large tree;
the worker runs it once per cycle for the whole tree and stores one row per escalation, plus
counts per unit, so a unit's part is an index range of its path and a few counts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow.db import Base, PathString, UTCDateTime


class ForecastSnapshot(Base):
    """What `forecast_escalations` holds: the escalations a sweep would make from `as_of` to
    `until` (`days` later), read from the items as they were at `as_of`; stored at
    `computed_at`. One row per `name` (only "escalations" so far), replaced in place."""

    __tablename__ = "forecast_snapshots"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    days: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ForecastEscalation(Base):
    """One escalation of the snapshot; `seq` numbers the whole forecast soonest first.

    A unit's first entries are a range of its path in `ix_forecast_escalations_path`, sorted by
    `seq`, without touching the table.
    """

    __tablename__ = "forecast_escalations"
    __table_args__ = (
        Index("ix_forecast_escalations_path", "org_path", "seq", "item_id", "at", "level",
              "action"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    org_path: Mapped[str] = mapped_column(PathString)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    level: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))


class ForecastCount(Base):
    """The snapshot's escalations under one unit (its whole subtree) per level and action, so
    that a unit's counts are a few rows however many escalations lie below it; `first_seq` is
    the soonest one's `seq` (the dashboard lists the actions in that order)."""

    __tablename__ = "forecast_counts"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    first_seq: Mapped[int] = mapped_column(Integer)
