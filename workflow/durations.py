"""Durations as the definitions write them: ISO 8601 (`P3D`, `PT12H`, `P1M`) or working days
(`P5WD`).

`P5WD` is Sandan's one extension to ISO 8601: five working days, counted on a calendar that knows
weekends, public holidays and working weekends (the calendar is supplied by the caller).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

import isodate

_WORKING_DAYS = re.compile(r"^P(\d+)WD$")


class WorkingCalendar(Protocol):
    """Says whether a calendar date is a working day (workflow.holidays.HolidayCalendar)."""

    def is_working_day(self, day: date) -> bool: ...


class WeekdayCalendar:
    """Monday to Friday are working days; the fallback when no holiday calendar is configured."""

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5


@dataclass(frozen=True)
class Duration:
    """A parsed duration; `text` is kept so the definition round-trips as it was written."""

    text: str
    period: timedelta | isodate.Duration | None = None
    working_days: int | None = None

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse `text`; raises ValueError with a readable message when it is not a duration."""
        if not isinstance(text, str):
            raise ValueError(f"expected an ISO 8601 duration such as 'P3D', got {text!r}")
        match = _WORKING_DAYS.match(text)
        if match:
            return cls(text=text, working_days=int(match.group(1)))
        try:
            period = isodate.parse_duration(text)
        except (isodate.ISO8601Error, ValueError):
            raise ValueError(
                f"'{text}' is not a duration: write ISO 8601 such as 'P3D', 'PT12H', 'P1M', "
                "or working days such as 'P5WD'"
            ) from None
        if _total_seconds(period) < 0:
            raise ValueError(f"'{text}' is negative; durations must be zero or more")
        return cls(text=text, period=period)

    def after(self, start: datetime, calendar: WorkingCalendar | None = None) -> datetime:
        """The moment this duration after `start` (working days skip non-working days)."""
        if self.working_days is not None:
            return _add_working_days(start, self.working_days, calendar or WeekdayCalendar())
        assert self.period is not None
        return start + self.period

    def before(self, end: datetime, calendar: WorkingCalendar | None = None) -> datetime:
        """The moment this duration before `end` (working days skip non-working days)."""
        if self.working_days is not None:
            return _add_working_days(end, -self.working_days, calendar or WeekdayCalendar())
        assert self.period is not None
        return end - self.period

    def approx_seconds(self) -> float:
        """A size for ordering and comparisons (months count as 30 days, working days as 1.4)."""
        if self.working_days is not None:
            return self.working_days * 1.4 * 86400
        assert self.period is not None
        return _total_seconds(self.period)

    def __str__(self) -> str:
        return self.text


def _total_seconds(period: timedelta | isodate.Duration) -> float:
    if isinstance(period, timedelta):
        return period.total_seconds()
    months = float(period.years) * 12 + float(period.months)
    return months * 30 * 86400 + period.tdelta.total_seconds()


def _add_working_days(start: datetime, days: int, calendar: WorkingCalendar) -> datetime:
    """Step day by day (backwards when `days` < 0), counting only working days.

    A calendar with a `tz` counts the dates of that zone (the same wall-clock time on the n-th
    working day there), so a UTC moment late in the evening counts from the local next day.
    """
    tz = getattr(calendar, "tz", None)
    original = start.tzinfo
    current = start.astimezone(tz) if tz is not None and start.tzinfo is not None else start
    step = timedelta(days=1 if days > 0 else -1)
    remaining = abs(days)
    while remaining > 0:
        current = current + step
        if calendar.is_working_day(current.date()):
            remaining -= 1
    return current.astimezone(original) if tz is not None and original is not None else current
