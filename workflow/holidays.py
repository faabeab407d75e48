"""Working days on a holiday calendar read from YAML: China's, extended by the administrator.

Mainland China does not work Monday to Friday: public holidays fall on weekdays, and weekends
next to them are worked instead (调休). The shipped file `definitions/calendar/cn.yaml` lists
both for each year; files named in `SANDAN_CALENDAR_FILES` are read after it and win date by date,
so a deployment can add next year's notice, a local holiday or a correction without editing it.

The calendar answers for local dates: `tz` is the configured time zone, so "five working days"
counts the days people in that zone actually work, whatever the UTC date of the moment is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from workflow.errors import ConfigError

SHIPPED = Path(__file__).resolve().parent.parent / "definitions" / "calendar" / "cn.yaml"


@dataclass(frozen=True)
class HolidayCalendar:
    """Weekends rest, weekdays work, except the dates listed (holidays rest, working days work)."""

    tz: ZoneInfo
    #: date -> (is a working day, name of the holiday or of the adjusted working day)
    exceptions: dict[date, tuple[bool, str]] = field(default_factory=dict)
    years: frozenset[int] = frozenset()
    sources: tuple[str, ...] = ()

    def is_working_day(self, day: date) -> bool:
        known = self.exceptions.get(day)
        if known is not None:
            return known[0]
        return day.weekday() < 5

    def name_of(self, day: date) -> str | None:
        """The holiday (or adjusted working day) that `day` is, if any."""
        known = self.exceptions.get(day)
        return known[1] if known else None

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


def load_calendar(tz: ZoneInfo, extra: Iterable[Path] = ()) -> HolidayCalendar:
    """The shipped calendar with every extension file applied in order; ConfigError if malformed."""
    exceptions: dict[date, tuple[bool, str]] = {}
    years: set[int] = set()
    sources = []
    for path in (SHIPPED, *extra):
        for year, day, working, name in _read(path):
            exceptions[day] = (working, name)
            years.add(year)
        sources.append(str(path))
    return HolidayCalendar(tz, exceptions, frozenset(years), tuple(sources))


def _read(path: Path) -> Iterable[tuple[int, date, bool, str]]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, ValueError) as exc:  # ValueError: a date like 2026-13-01
        raise ConfigError(f"calendar {path}: cannot be read: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("years"), dict):
        raise ConfigError(f"calendar {path}: expected a mapping with 'years'")
    entries = []
    for year, body in document["years"].items():
        where = f"calendar {path}: years.{year}"
        if not isinstance(year, int) or not isinstance(body, dict):
            raise ConfigError(f"{where}: expected a year mapping to holidays and working_days")
        unknown = set(body) - {"holidays", "working_days"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        for number, entry in enumerate(body.get("holidays") or []):
            for day in _span(entry, f"{where}.holidays[{number}]", year):
                entries.append((year, day, False, str(entry["name"])))
        for number, entry in enumerate(body.get("working_days") or []):
            at = f"{where}.working_days[{number}]"
            day = _date(entry, "date", at, year)
            entries.append((year, day, True, str(entry.get("name", ""))))
    _refuse_clashes(path, entries)
    return entries


def _span(entry: Any, at: str, year: int) -> list[date]:
    first = _date(entry, "from", at, year)
    last = _date(entry, "to", at, year) if entry.get("to") is not None else first
    if last < first or (last - first).days > 31:
        raise ConfigError(f"{at}: 'to' must be on or after 'from' and within a month of it")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _date(entry: Any, key: str, at: str, year: int) -> date:
    if not isinstance(entry, dict) or not entry.get("name"):
        raise ConfigError(f"{at}: expected a mapping with a name and '{key}'")
    value = entry.get(key)
    if not isinstance(value, date):
        raise ConfigError(f"{at}.{key}: expected a date such as {year}-10-01, got {value!r}")
    if value.year not in (year - 1, year, year + 1):
        raise ConfigError(f"{at}.{key}: {value} is not in or next to {year}")
    return value


def _refuse_clashes(path: Path, entries: list[tuple[int, date, bool, str]]) -> None:
    seen: dict[date, bool] = {}
    for _year, day, working, _name in entries:
        if seen.get(day, working) != working:
            raise ConfigError(
                f"calendar {path}: {day} is listed both as a holiday and a working day"
            )
        seen[day] = working
