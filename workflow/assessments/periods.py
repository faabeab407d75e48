"""Periods an assessment covers: a month `2026-03`, a quarter `2026Q1` or a year `2026`.

Bounds are whole local days in the configured time zone (a quarter in Beijing starts at 00:00
Beijing time), returned as aware UTC datetimes, start inclusive and end exclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from workflow.errors import InvalidInput

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")

#: the checklist cycle each kind of period belongs to
CYCLE_OF = {"month": "monthly", "quarter": "quarterly", "year": "yearly"}


@dataclass(frozen=True)
class Period:
    """A named stretch of local calendar time."""

    label: str
    kind: str
    first_day: date
    end_day: date  # exclusive

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware UTC datetimes."""
        return _utc(self.first_day, tz), _utc(self.end_day, tz)

    @property
    def year(self) -> int:
        return self.first_day.year

    @property
    def cycle(self) -> str:
        return CYCLE_OF[self.kind]


def parse_period(text: str) -> Period:
    """Read a period label; InvalidInput says which forms are accepted."""
    value = (text or "").strip()
    if found := _MONTH.match(value):
        year, month = int(found[1]), int(found[2])
        end = date(year + (month == 12), month % 12 + 1, 1)
        return Period(f"{year}-{month:02d}", "month", date(year, month, 1), end)
    if found := _QUARTER.match(value):
        year, quarter = int(found[1]), int(found[2])
        first = date(year, 3 * quarter - 2, 1)
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return Period(f"{year}Q{quarter}", "quarter", first, end)
    if found := _YEAR.match(value):
        year = int(found[1])
        return Period(str(year), "year", date(year, 1, 1), date(year + 1, 1, 1))
    raise InvalidInput(
        f"period '{text}' is not a month (2026-03), a quarter (2026Q1) or a year (2026)",
        fields={"period": ["unknown form"]},
    )


def quarters_of(year: int) -> list[Period]:
    return [parse_period(f"{year}Q{q}") for q in range(1, 5)]


def quarter_label(moment: datetime, tz: ZoneInfo) -> str:
    """The quarter a moment falls in, in local time (`2026Q1`)."""
    local = moment.astimezone(tz)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def _utc(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)
