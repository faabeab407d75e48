"""Against alert fatigue: nothing but urgent messages at night or on rest days.

Quiet hours (SANDAN_QUIET_HOURS, default 22:00-08:00 in the configured zone) and the days the
holiday calendar says are not working days hold a message back until the next working morning.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from workflow.holidays import HolidayCalendar


def _parse(text: str) -> tuple[time, time]:
    start, end = text.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def is_quiet(at: datetime, quiet_hours: str, calendar: HolidayCalendar) -> bool:
    """True at night (within the quiet hours) and all day on rest days."""
    local = at.astimezone(calendar.tz)
    if not calendar.is_working_day(local.date()):
        return True
    if quiet_hours == "off":
        return False
    start, end = _parse(quiet_hours)
    now = local.time()
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def next_allowed(at: datetime, quiet_hours: str, calendar: HolidayCalendar) -> datetime:
    """`at` itself when a message may go out then, else the next moment one may."""
    if not is_quiet(at, quiet_hours, calendar):
        return at
    morning = time(0, 0) if quiet_hours == "off" else _parse(quiet_hours)[1]
    local = at.astimezone(calendar.tz)
    day = local.date() if local.time() < morning else local.date() + timedelta(days=1)
    day = calendar.next_working_day(day)
    return datetime.combine(day, morning, tzinfo=calendar.tz).astimezone(at.tzinfo)


def next_digest(at: datetime, digest_at: str, calendar: HolidayCalendar) -> datetime:
    """The next daily digest moment (SANDAN_DIGEST_AT on a working day) after `at`."""
    local = at.astimezone(calendar.tz)
    when = time.fromisoformat(digest_at)
    day = local.date() if local.time() < when else local.date() + timedelta(days=1)
    day = calendar.next_working_day(day)
    return datetime.combine(day, when, tzinfo=calendar.tz).astimezone(at.tzinfo)
