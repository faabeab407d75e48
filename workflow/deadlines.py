"""When an item next needs the sweep's attention, from its definition and where it stands.

The sweep (and its escalation ladder) reads `next_deadline_at` through a partial index, so every
state change recomputes it here; the cost of a sweep then grows with the items due, not all items.
"""

from __future__ import annotations

from datetime import datetime

from workflow.definitions.model import Definition


def next_deadline(
    definition: Definition, state: str, due_at: datetime | None, now: datetime
) -> datetime | None:
    """The earliest moment after `now` at which something must happen to the item, or None.

    In a `due` state that is the next reminder before the due date (or the due date itself, or
    `now` when it has passed); in a `review` state the inspector's review limit; otherwise none.
    """
    clock = definition.state(state).clock
    if definition.is_final(state) or clock == "none":
        return None
    if clock == "review":
        limit = definition.deadlines.review_within
        return limit.after(now) if limit else None
    if due_at is None:
        return None
    reminders = sorted(r.before(due_at) for r in definition.deadlines.remind_before)
    upcoming = [moment for moment in reminders if moment > now]
    return upcoming[0] if upcoming else due_at
