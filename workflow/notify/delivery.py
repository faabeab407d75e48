"""Delivering the outbox: lease a batch, send, mark; retry with backoff; dead after N failures.

`deliver` claims due pending rows in one short transaction — `FOR UPDATE SKIP LOCKED` on
PostgreSQL, BEGIN IMMEDIATE on SQLite — and stamps them with a lease (`lease_until`,
`leased_by`), so two workers never take the same row; a worker that dies leaves rows whose lease
runs out and another worker takes them. Rows go out grouped by destination: all of a person's
e-mails in one message, all of a robot's rows in one markdown digest (at most ROBOT_LINES, and no
more than SANDAN_ROBOT_PER_MINUTE messages a minute per robot). A message that is not urgent
waits out quiet hours and rest days. Sending happens outside any transaction; marking the result
is guarded by the lease, so a row whose lease was lost is not marked by the worker that lost it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Row, literal_column, or_, select, update

from workflow.models import Notification, NotificationPreference, NotificationRobot, Person
from workflow.notify import senders
from workflow.notify.quiet import next_allowed
from workflow.notify.templates import render, render_digest
from workflow.runtime import Runtime

_TABLE = Notification.__table__
LEASE = timedelta(minutes=5)
ROBOT_LINES = 20
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    messages: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0


def deliver(rt: Runtime, worker: str, *, limit: int = 200,
            client: httpx.Client | None = None) -> DeliveryReport:
    """Send what is due in the outbox now; report what happened."""
    now = rt.clock.now()
    report = DeliveryReport()
    rows = _claim(rt, worker, now, limit)
    report.claimed = len(rows)
    groups: dict[tuple[str, int], list[Row[Any]]] = defaultdict(list)
    for row in rows:
        groups[(row.channel, row.robot_id or row.person_id)].append(row)
    own_client = client is None
    http = client or httpx.Client()
    try:
        for (channel, target), group in groups.items():
            _deliver_group(rt, worker, now, channel, target, group, report, http)
    finally:
        if own_client:
            http.close()
    return report


def _claim(rt: Runtime, worker: str, now: datetime, limit: int) -> list[Row[Any]]:
    with rt.transaction() as session:
        connection = session.connection()
        query = (
            select(_TABLE.c.id)
            # the literal repeats the partial index's WHERE, so SQLite uses it
            .where(_TABLE.c.status == literal_column("'pending'"),
                   _TABLE.c.next_attempt_at <= now,
                   or_(_TABLE.c.lease_until.is_(None), _TABLE.c.lease_until < now))
            .order_by(_TABLE.c.next_attempt_at, _TABLE.c.id).limit(limit)
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = connection.execute(query).scalars().all()
        if not ids:
            return []
        connection.execute(update(_TABLE).where(_TABLE.c.id.in_(ids))
                           .values(lease_until=now + LEASE, leased_by=worker))
        return list(connection.execute(select(_TABLE).where(_TABLE.c.id.in_(ids))
                                       .order_by(_TABLE.c.id)).all())


def _deliver_group(rt: Runtime, worker: str, now: datetime, channel: str, target: int,
                   rows: list[Row[Any]], report: DeliveryReport, http: httpx.Client) -> None:
    allowed = next_allowed(now, rt.settings.quiet_hours, rt.calendar)
    waiting = [r for r in rows if not r.urgent and allowed > now]
    if waiting:
        _release(rt, worker, waiting, allowed)
        report.deferred += len(waiting)
    rows = [r for r in rows if r not in waiting]
    if channel in ("wecom", "dingtalk"):
        rows = _robot_window(rt, worker, now, target, rows, report)
    if not rows:
        return
    try:
        _send(rt, now, channel, target, rows, http)
    except senders.DeliveryFailed as exc:
        _fail(rt, worker, now, rows, str(exc), report)
        return
    _mark_sent(rt, worker, now, channel, target, rows)
    report.sent += len(rows)
    report.messages += 1


def _robot_window(rt: Runtime, worker: str, now: datetime, robot_id: int, rows: list[Row[Any]],
                  report: DeliveryReport) -> list[Row[Any]]:
    """Rows the robot may send now (one message's worth); the rest wait for its next slot."""
    with rt.read() as session:
        robot = session.get(NotificationRobot, robot_id)
        free_at = robot.next_send_at if robot is not None else None
    if free_at is not None and free_at > now:
        _release(rt, worker, rows, free_at)
        report.deferred += len(rows)
        return []
    if len(rows) > ROBOT_LINES:
        later = rows[ROBOT_LINES:]
        _release(rt, worker, later, now + _robot_gap(rt))
        report.deferred += len(later)
        rows = rows[:ROBOT_LINES]
    return rows


def _robot_gap(rt: Runtime) -> timedelta:
    return timedelta(seconds=60 / rt.settings.robot_per_minute)


def _send(rt: Runtime, now: datetime, channel: str, target: int, rows: list[Row[Any]],
          http: httpx.Client) -> None:
    settings = rt.settings
    with rt.read() as session:
        if channel == "email":
            person = session.get(Person, target)
            choice = session.get(NotificationPreference, target)
            lang = (choice.language if choice else None) or settings.language
            texts = [render(r.template, r.params, lang, settings.tz) for r in rows]
            subject, body = render_digest(texts, lang)
            if person is None or not person.email:
                raise senders.DeliveryFailed("the person has no e-mail address")
            message_id = "n" + "-".join(str(r.id) for r in rows[:20])
            senders.send_email(settings, person.email, subject, body, message_id)
            return
        robot = session.get(NotificationRobot, target)
    if robot is None or not robot.enabled:
        raise senders.DeliveryFailed("the robot is gone or disabled")
    texts = [render(r.template, r.params, settings.language, settings.tz) for r in rows]
    title, text = render_digest(texts, settings.language)
    markdown = f"### {title}\n{text}"
    if channel == "wecom":
        senders.send_wecom(http, settings, robot.token, markdown)
    else:
        senders.send_dingtalk(http, settings, robot.token, robot.secret, title, markdown, now)


def _mine(rows: list[Row[Any]], worker: str) -> Any:
    return (_TABLE.c.id.in_([r.id for r in rows]), _TABLE.c.leased_by == worker,
            _TABLE.c.status == literal_column("'pending'"))


def _mark_sent(rt: Runtime, worker: str, now: datetime, channel: str, target: int,
               rows: list[Row[Any]]) -> None:
    with rt.transaction() as session:
        connection = session.connection()
        connection.execute(update(_TABLE).where(*_mine(rows, worker)).values(
            status="sent", sent_at=now, lease_until=None, attempts=_TABLE.c.attempts + 1,
            last_error=None))
        if channel in ("wecom", "dingtalk"):
            table = NotificationRobot.__table__
            connection.execute(update(table).where(table.c.id == target)
                               .values(next_send_at=now + _robot_gap(rt)))


def _release(rt: Runtime, worker: str, rows: list[Row[Any]], at: datetime) -> None:
    """Give rows back unsent, to be tried at `at` (not a failure: quiet hours, rate limits)."""
    with rt.transaction() as session:
        session.connection().execute(update(_TABLE).where(*_mine(rows, worker)).values(
            next_attempt_at=at, lease_until=None, leased_by=None))


def _fail(rt: Runtime, worker: str, now: datetime, rows: list[Row[Any]], error: str,
          report: DeliveryReport) -> None:
    """Count a failed attempt: retry after an exponentially growing pause, or give up (dead)."""
    limit = rt.settings.notify_max_attempts
    with rt.transaction() as session:
        connection = session.connection()
        for row in rows:
            attempts = row.attempts + 1
            pause = timedelta(seconds=rt.settings.notify_backoff * 2 ** (attempts - 1))
            dead = attempts >= limit
            connection.execute(update(_TABLE).where(*_mine([row], worker)).values(
                attempts=attempts, last_error=error[:1000], lease_until=None, leased_by=None,
                status="dead" if dead else "pending",
                next_attempt_at=None if dead else now + min(pause, MAX_BACKOFF)))
            report.dead += dead
            report.retried += not dead
