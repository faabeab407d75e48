"""Writing notifications into the outbox, inside the transaction of the change they report.

One event (a reminder, an escalation step) becomes: an in-app inbox row per person (delivered by
being written), an e-mail row per person who has an address and has not opted out (held for the
daily digest if they chose one), and one row per group robot of the nearest unit that has any.
Each row's `dedupe_key` is the event's key plus channel and recipient, so an event can never be
written twice even if a bug made a sweep try.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, true
from sqlalchemy.orm import Session

from workflow.config import Settings
from workflow.holidays import HolidayCalendar
from workflow.models import Notification, NotificationPreference, NotificationRobot, Person
from workflow.notify.quiet import next_digest
from workflow.recipients import ancestors

_TABLE = Notification.__table__
_INSERT = insert(_TABLE)


@dataclass(frozen=True)
class Message:
    """What happened, for whom to render it: the template and its parameters."""

    key: str
    template: str
    params: dict[str, Any]
    urgent: bool = False
    item_id: int | None = None
    org_id: int | None = None
    org_path: str | None = None


@dataclass
class _Person:
    email: str | None
    mode: str = "immediate"
    muted: tuple[str, ...] = ()


@dataclass
class Outbox:
    """Adds messages to the outbox of one transaction (caches people and robots meanwhile).

    Rows are kept until `flush()`, which writes them in one statement: the caller flushes
    before its transaction commits.
    """

    session: Session
    settings: Settings
    calendar: HolidayCalendar
    now: datetime
    _people: dict[int, Any] = field(default_factory=dict)
    _robots: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    _pending: list[dict[str, Any]] = field(default_factory=list)

    def add(self, message: Message, people: Sequence[int]) -> int:
        """Write the rows for `message` to `people` (and the unit's robots); how many rows."""
        self._load(people)
        rows = []
        for person_id in people:
            rows.append(self._row(message, "inbox", person_id=person_id, status="sent"))
            choice = self._people[person_id]
            if choice.email and choice.mode != "off" and (
                message.urgent or message.template not in choice.muted
            ):
                held = choice.mode == "digest" and not message.urgent
                at = next_digest(self.now, self.settings.digest_at, self.calendar) if held else None
                rows.append(self._row(message, "email", person_id=person_id, at=at))
        for robot_id, kind in self._robots_for(message.org_path):
            rows.append(self._row(message, kind, robot_id=robot_id))
        self._pending += rows
        return len(rows)

    def flush(self) -> int:
        """Write the rows added so far (one multi-row INSERT); call before the commit."""
        rows, self._pending = self._pending, []
        if rows:
            self.session.connection().execute(_INSERT, rows)
        return len(rows)

    def _row(self, message: Message, channel: str, *, person_id: int | None = None,
             robot_id: int | None = None, status: str = "pending",
             at: datetime | None = None) -> dict[str, Any]:
        to = f"p{person_id}" if person_id is not None else f"r{robot_id}"
        sent = status == "sent"
        return {
            "dedupe_key": f"{message.key}:{channel}:{to}", "channel": channel,
            "person_id": person_id, "robot_id": robot_id, "org_id": message.org_id,
            "item_id": message.item_id, "template": message.template, "params": message.params,
            "urgent": message.urgent, "status": status, "attempts": 0,
            "next_attempt_at": None if sent else (at or self.now), "lease_until": None,
            "leased_by": None, "last_error": None, "created_at": self.now,
            "sent_at": self.now if sent else None, "read_at": None,
        }

    def prefetch(self, people: Iterable[int], paths: Iterable[str]) -> None:
        """Load these people's choices and the robots above these units in two queries."""
        self._load(list(people))
        wanted = {path for path in paths if path not in self._robots}
        if not wanted:
            return
        above = sorted({a for path in wanted for a in ancestors(path)})
        rows = self.session.connection().execute(
            select(NotificationRobot.id, NotificationRobot.kind, NotificationRobot.org_path)
            .where(NotificationRobot.org_path.in_(above), NotificationRobot.enabled == true())
            .order_by(NotificationRobot.id)
        ).all()
        for path in wanted:
            self._robots[path] = _nearest_robots(path, rows)

    def _load(self, people: Sequence[int]) -> None:
        missing = [p for p in people if p not in self._people]
        if not missing:
            return
        found = self.session.connection().execute(
            select(Person.id, Person.email, NotificationPreference.email,
                   NotificationPreference.muted)
            .outerjoin(NotificationPreference, NotificationPreference.person_id == Person.id)
            .where(Person.id.in_(missing))
        ).all()
        for person_id, email, mode, muted in found:
            self._people[person_id] = _Person(email, mode or "immediate", tuple(muted or ()))
        for person_id in missing:
            self._people.setdefault(person_id, _Person(None))

    def _robots_for(self, path: str | None) -> list[tuple[int, str]]:
        if path is None:
            return []
        if path not in self._robots:
            self.prefetch((), [path])
        return self._robots[path]


def _nearest_robots(path: str, rows: Sequence[Any]) -> list[tuple[int, str]]:
    """The robots of the nearest unit on `path` that has any."""
    for unit in ancestors(path):
        found = [(r.id, r.kind) for r in rows if r.org_path == unit]
        if found:
            return found
    return []
