"""The working-day calendar: China's holidays and adjusted weekends, and extension files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from workflow.durations import Duration
from workflow.errors import ConfigError
from workflow.holidays import load_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_shipped_calendar_agrees_with_chinesecalendar_every_day(year: int) -> None:
    calendar = load_calendar(SHANGHAI)
    day, differences = date(year, 1, 1), []
    while day.year == year:
        if calendar.is_working_day(day) != chinese_calendar.is_workday(day):
            differences.append(day)
        day += timedelta(days=1)
    assert differences == []


def test_2027_has_its_statutory_holidays_until_the_notice_is_added() -> None:
    calendar = load_calendar(SHANGHAI)
    assert not calendar.is_working_day(date(2027, 10, 1))  # a Friday
    assert calendar.name_of(date(2027, 2, 8)) == "春节"
    assert calendar.is_working_day(date(2027, 10, 4))  # no adjustment known yet


def test_five_working_days_across_national_day() -> None:
    calendar = load_calendar(SHANGHAI)
    start = datetime(2026, 9, 30, 1, 0, tzinfo=UTC)  # Wednesday 09:00 in Beijing
    # 1–7 October rest; Thursday 8, Friday 9, Saturday 10 (worked), Monday 12, Tuesday 13
    assert Duration.parse("P5WD").after(start, calendar) == datetime(2026, 10, 13, 1, tzinfo=UTC)
    assert Duration.parse("P5D").after(start) == datetime(2026, 10, 5, 1, tzinfo=UTC)
    assert Duration.parse("P5WD").before(datetime(2026, 10, 13, 1, tzinfo=UTC), calendar) == start


def test_working_days_count_local_dates_not_utc_dates() -> None:
    calendar = load_calendar(SHANGHAI)
    late = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # already 1 October, 01:00 in Beijing
    assert Duration.parse("P1WD").after(late, calendar) == datetime(2026, 10, 7, 17, tzinfo=UTC)


def test_an_extension_file_adds_and_overrides_days(tmp_path: Path) -> None:
    extra = tmp_path / "local.yaml"
    extra.write_text(
        "years:\n"
        "  2026:\n"
        "    holidays:\n"
        "      - {name: 县庆, from: 2026-03-06}\n"
        "    working_days:\n"
        "      - {name: 补班, date: 2026-10-07}\n",
        encoding="utf-8",
    )
    calendar = load_calendar(SHANGHAI, [extra])
    assert not calendar.is_working_day(date(2026, 3, 6))
    assert calendar.name_of(date(2026, 3, 6)) == "县庆"
    assert calendar.is_working_day(date(2026, 10, 7))
    assert str(extra) in calendar.sources


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("years: [1]\n", "expected a mapping with 'years'"),
        ("years:\n  2026:\n    holidays:\n      - {name: x, from: 2026/03/06}\n",
         "holidays[0].from: expected a date"),
        ("years:\n  2026:\n    holiday: []\n", "unknown key(s) holiday"),
        ("years:\n  2026:\n    holidays:\n      - {name: x, from: 2026-03-06}\n"
         "    working_days:\n      - {name: y, date: 2026-03-06}\n",
         "2026-03-06 is listed both as a holiday and a working day"),
    ],
)
def test_a_bad_calendar_file_is_refused_with_its_name(
    tmp_path: Path, text: str, message: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_calendar(SHANGHAI, [bad])
    assert str(bad) in caught.value.message and message in caught.value.message
