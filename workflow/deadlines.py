"""When an item next needs the sweep's attention, and what the sweep must do then.

The sweep reads `next_deadline_at` through a partial index, so the cost of a sweep grows with the
items due, not with all items. Every state change sets it with `next_deadline`; the sweep then
`plan`s from the item's clocks exactly what is due by its "as of" moment and stores the next one.

The plan is a pure function of the definition, the item's clock columns, the calendar and the
moment, which is what makes the sweep idempotent (a second sweep at the same moment finds
nothing left to do) and lets a dry run forecast a later moment without writing anything:

- reminders before due (`deadlines.remind_before`) and before a planned start
  (`deadlines.start_lead`): when several have passed unseen only the latest is sent;
- overdue: marked once per due date (an extended due date can be overdue again);
- the escalation ladder, climbed one level per due step, each at its own moment: `after` the
  due date, `at_percent` of the allowed time, or `unanswered_for` since the previous level was
  sent (or since the handler's last response, whichever is later), never before the due date
  and not while a waiver holds;
- `review` states: the reviewer's limit, reported once;
- standing items with a `recurrence`: the next period's item, `start_lead` ahead of the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import isodate

from workflow.definitions.model import Definition, EscalationStep
from workflow.durations import Duration, WorkingCalendar

#: a standing item catches up at most this many missed periods in one sweep
MAX_PERIODS = 24


def next_deadline(
    definition: Definition, state: str, due_at: datetime | None, now: datetime,
    *, calendar: WorkingCalendar | None = None, planned_start_at: datetime | None = None,
) -> datetime | None:
    """The earliest moment after `now` at which something must happen to the item, or None.

    In a `due` state that is the next reminder before the due date or before the planned start
    (or the due date itself, or `now` when it has passed); in a `review` state the reviewer's
    limit; in a state where a standing item recurs, `now` (the sweep then schedules its next
    period); otherwise none.
    """
    clock = definition.state(state).clock
    if definition.is_final(state):
        return None
    if clock == "review":
        limit = definition.deadlines.review_within
        return limit.after(now, calendar) if limit else None
    if clock == "none":
        return now if recurs_in(definition, state) else None
    if due_at is None:
        return None
    reminders = sorted(r.before(due_at, calendar) for r in definition.deadlines.remind_before)
    lead = definition.deadlines.start_lead
    if planned_start_at is not None and lead is not None:
        reminders.append(lead.before(planned_start_at, calendar))
        reminders.sort()
    upcoming = [moment for moment in reminders if moment > now]
    return upcoming[0] if upcoming else due_at


def recurs_in(definition: Definition, state: str) -> bool:
    """A standing item generates its periodic items in open states without a clock of their own
    from which the handler reports (a `response` transition): `active`, not `suspended`."""
    if definition.recurrence is None or definition.is_final(state):
        return False
    if definition.state(state).clock != "none":
        return False
    return any(t.response for t in definition.transitions_from(state))


@dataclass(frozen=True)
class Clocks:
    """The item columns a plan reads (a Row from the sweep's query has these attributes)."""

    state: str
    due_at: datetime | None
    created_at: datetime
    planned_start_at: datetime | None
    next_deadline_at: datetime | None
    escalation_level: int
    escalated_at: datetime | None
    last_response_at: datetime | None
    reminded_at: datetime | None
    overdue_at: datetime | None
    waived_until: datetime | None
    recurred_through: datetime | None

    @classmethod
    def of(cls, row: Any) -> Clocks:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Event:
    """One thing due: `kind` is reminder, start_reminder, overdue, escalate, review_overdue or
    recur; `at` is the moment it fell due (the sweep records it beside the sweep's own time)."""

    kind: str
    at: datetime
    step: EscalationStep | None = None
    period: datetime | None = None


@dataclass(frozen=True)
class Plan:
    events: tuple[Event, ...]
    next_at: datetime | None


def plan(
    definition: Definition, clocks: Clocks, as_of: datetime, calendar: WorkingCalendar,
    *, lead: Duration | None = None,
) -> Plan:
    """Everything due on the item by `as_of`, in order, and the moment after that to look again.

    `lead` is how far ahead of its period a recurring item is generated (the generated kind's
    `start_lead`).
    """
    clock = definition.state(clocks.state).clock
    if definition.is_final(clocks.state):
        return Plan((), None)
    if clock == "review":
        return _review(clocks, as_of)
    if clock == "none":
        if recurs_in(definition, clocks.state):
            return _recur(definition, clocks, as_of, calendar, lead)
        return Plan((), None)
    if clocks.due_at is None:
        return Plan((), None)
    return _due(definition, clocks, clocks.due_at, as_of, calendar)


def _review(clocks: Clocks, as_of: datetime) -> Plan:
    limit = clocks.next_deadline_at
    if limit is None or limit > as_of:
        return Plan((), limit)
    return Plan((Event("review_overdue", limit),), None)


def _due(
    definition: Definition, clocks: Clocks, due: datetime, as_of: datetime,
    calendar: WorkingCalendar,
) -> Plan:
    events: list[Event] = []
    upcoming: list[datetime] = []
    if due > as_of:
        reminder, later = _reminders(definition, clocks, due, as_of, calendar)
        events += reminder
        upcoming += later + [due]
        return Plan(tuple(events), min(upcoming))
    if clocks.overdue_at is None or clocks.overdue_at < due:
        events.append(Event("overdue", due))
    steps, after = _ladder(definition, clocks, due, as_of, calendar)
    return Plan(tuple(events + steps), after)


def _reminders(
    definition: Definition, clocks: Clocks, due: datetime, as_of: datetime,
    calendar: WorkingCalendar,
) -> tuple[list[Event], list[datetime]]:
    deadlines = definition.deadlines
    moments = [("reminder", r.before(due, calendar)) for r in deadlines.remind_before]
    if clocks.planned_start_at is not None and deadlines.start_lead is not None:
        moments.append(
            ("start_reminder", deadlines.start_lead.before(clocks.planned_start_at, calendar))
        )
    fresh = [(m, k) for k, m in moments if m > clocks.created_at and m < due
             and (clocks.reminded_at is None or m > clocks.reminded_at)]
    passed = sorted(m for m in fresh if m[0] <= as_of)
    later = [m for m, _k in fresh if m > as_of]
    events = [Event(passed[-1][1], passed[-1][0])] if passed else []
    return events, later


def _ladder(
    definition: Definition, clocks: Clocks, due: datetime, as_of: datetime,
    calendar: WorkingCalendar,
) -> tuple[list[Event], datetime | None]:
    events: list[Event] = []
    level, sent = clocks.escalation_level, clocks.escalated_at
    while level < len(definition.escalation):
        step = definition.escalation[level]
        moment = max(_moment(step, clocks, due, sent, calendar), due)
        if clocks.waived_until is not None and clocks.waived_until > moment:
            moment = clocks.waived_until
        if moment > as_of:
            return events, moment
        events.append(Event("escalate", moment, step))
        level, sent = level + 1, as_of
    return events, None


def _moment(
    step: EscalationStep, clocks: Clocks, due: datetime, sent: datetime | None,
    calendar: WorkingCalendar,
) -> datetime:
    if step.after is not None:
        return step.after.after(due, calendar)
    if step.at_percent is not None:
        allowed = due - clocks.created_at
        return clocks.created_at + allowed * step.at_percent / 100
    assert step.unanswered_for is not None
    since = max(m for m in (sent, clocks.last_response_at, due) if m is not None)
    return step.unanswered_for.after(since, calendar)


def _recur(
    definition: Definition, clocks: Clocks, as_of: datetime, calendar: WorkingCalendar,
    lead: Duration | None,
) -> Plan:
    recurrence = definition.recurrence
    assert recurrence is not None
    anchor = clocks.recurred_through or clocks.next_deadline_at or clocks.created_at
    tz = getattr(calendar, "tz", None)
    events: list[Event] = []
    period = next_period(recurrence.every, anchor, tz)
    while True:
        issue_at = lead.before(period, calendar) if lead else period
        if issue_at > as_of or len(events) >= MAX_PERIODS:
            return Plan(tuple(events), issue_at)
        events.append(Event("recur", issue_at, period=period))
        period = next_period(recurrence.every, period, tz)


def next_period(every: Duration, after: datetime, tz: Any = None) -> datetime:
    """The start of the first period strictly after `after`.

    Cycles in months or years are aligned to the calendar in the configured zone (P1M: the 1st
    of each month, P3M: January, April, July, October; P1Y: 1 January); others simply follow on.
    """
    period = every.period
    if not isinstance(period, isodate.Duration) or every.working_days is not None:
        return every.after(after)
    months = int(period.years) * 12 + int(period.months)
    local = after.astimezone(tz) if tz is not None else after
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    index = start.year * 12 + start.month - 1
    index = (index // months + 1) * months
    boundary = start.replace(year=index // 12, month=index % 12 + 1)
    return boundary.astimezone(after.tzinfo) if tz is not None else boundary


def period_label(every: Duration, start: datetime, tz: Any = None) -> str:
    """A short name for a period: 2026-04 (monthly), 2026Q2 (quarterly), 2026H1, 2026, or a date."""
    local = start.astimezone(tz) if tz is not None else start
    period = every.period
    months = (int(period.years) * 12 + int(period.months)
              if isinstance(period, isodate.Duration) else 0)
    names = {1: f"{local:%Y-%m}", 3: f"{local.year}Q{(local.month - 1) // 3 + 1}",
             6: f"{local.year}H{(local.month - 1) // 6 + 1}", 12: f"{local.year}"}
    return names.get(months, local.date().isoformat())

