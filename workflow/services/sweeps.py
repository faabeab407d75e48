"""The sweep: everything due on open items by a moment, done once (run_sweep).

It selects open items whose `next_deadline_at` has passed through the partial index
`ix_items_next_deadline` (its WHERE repeated exactly, so SQLite uses it too), in batches of
SANDAN_SWEEP_BATCH, one transaction per batch. Each item is planned from its clock columns
(workflow.deadlines.plan) and each event due is carried out with its ledger entry, notifications
and register entry (services/sweep_events.py), all in that transaction; the item then gets its
next deadline, always after the sweep's moment, so the sweep never meets an item twice and a
second sweep at the same moment finds nothing to do.

Several workers: on PostgreSQL each batch is claimed with `FOR UPDATE SKIP LOCKED`, so workers
share the due items without waiting for or repeating each other, and an item a person is changing
(its row locked by fire_transition) is simply left for the next sweep. On SQLite one worker runs
at a time (workflow.workerlock) and every batch begins with BEGIN IMMEDIATE.

A dry run (`dry_run=True`) reads the same items as of a later moment and reports what would be
done, writing nothing: the forecast leaders use to act before things go red.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, bindparam, select, true, update

from workflow import ledger, observe, rollups
from workflow.access import in_subtree
from workflow.clock import as_utc
from workflow.deadlines import Clocks, Plan, plan
from workflow.models import Item
from workflow.notify.outbox import Outbox
from workflow.recipients import Recipients
from workflow.runtime import Runtime
from workflow.services import sweep_events
from workflow.services.sweep_events import Action, Context
from workflow.workerlock import exclusive_worker

_ITEMS = Item.__table__
_COLUMNS = [
    _ITEMS.c[name]
    for name in (
        "id", "kind", "definition_version", "title", "state", "org_path", "issuer_path",
        "assignee_org_id", "issuer_org_id", "primary_person_id", "direct_person_id", "due_at",
        "created_at", "planned_start_at", "next_deadline_at", "escalation_level", "escalated_at",
        "last_response_at", "reminded_at", "overdue_at", "waived_until", "recurred_through",
        "ledger_seq", "ledger_head", "list_id", "fields",
    )
]

#: what the sweep writes back to each item it met, in one executemany per batch
_CLOCKS = ("escalation_level", "escalated_at", "reminded_at", "overdue_at", "recurred_through",
           "ledger_seq", "ledger_head")
_UPDATE = update(_ITEMS).where(_ITEMS.c.id == bindparam("where_id")).values(
    {name: bindparam(name) for name in (*_CLOCKS, "next_deadline_at")})


@dataclass
class SweepReport:
    """What a sweep did (or, dry, would do) as of `as_of`."""

    as_of: datetime
    dry_run: bool
    examined: int = 0
    actions: list[Action] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        """Actions by name: reminder, overdue, remind, urge, admonish, criticise, recur, …"""
        return Counter(a.action or a.kind for a in self.actions)


def due_items(as_of: datetime, limit: int | None = None, within: str | None = None
              ) -> Select[Any]:
    """Open items whose next deadline has passed, soonest first, through the partial index.

    The WHERE repeats the index's own (`is_open = true AND next_deadline_at IS NOT NULL`): SQLite
    uses a partial index only for a query whose WHERE implies the index's term by term. With
    `within` (a unit's path) only that subtree's items, in the order of
    ix_items_open_path_deadline (org_path, next_deadline_at), so that SQLite's planner reads
    that index rather than walking every due item of the whole tree.
    """
    query = select(*_COLUMNS).where(
        _ITEMS.c.is_open == true(), _ITEMS.c.next_deadline_at.isnot(None),
        _ITEMS.c.next_deadline_at <= as_of)
    if within is None:
        query = query.order_by(_ITEMS.c.next_deadline_at, _ITEMS.c.id)
    else:
        query = query.where(in_subtree(_ITEMS.c.org_path, within)).order_by(
            _ITEMS.c.org_path, _ITEMS.c.next_deadline_at, _ITEMS.c.id)
    return query.limit(limit) if limit is not None else query


def run_sweep(rt: Runtime, as_of: datetime | None = None, dry_run: bool = False, *,
              stop: threading.Event | None = None) -> SweepReport:
    """Do everything due on open items by `as_of` (default: the runtime clock's now).

    Idempotent: a second run at the same moment changes nothing. Raises WorkerBusy when another
    worker holds a SQLite database. A set `stop` ends the sweep after the batch in progress
    (the worker's SIGTERM); the next sweep picks up where it left off.
    """
    moment = as_utc(as_of) if as_of is not None else rt.clock.now()
    report = SweepReport(moment, dry_run)
    rt.definitions, rt.calendar  # noqa: B018 - loaded now: loading reads, and scopes never nest
    if dry_run:
        return forecast(rt, moment)
    caches = _Caches()
    started = time.perf_counter()
    with exclusive_worker(rt):
        while not (stop is not None and stop.is_set()):
            done = len(report.actions)
            if not _sweep_batch(rt, report, caches):
                break
            _announce(report.actions[done:])  # the batch is committed
    observe.emit(observe.SweepFinished(time.perf_counter() - started, report.examined))
    return report


def _announce(actions: list[Action]) -> None:
    for action in actions:
        if action.kind == "escalate" and action.level is not None:
            observe.emit(observe.Escalated(action.level, action.action or ""))


@dataclass
class _Caches:
    """Lookups one sweep's batches share (role holders, people's choices, robots, unit names):
    a sweep is short, and a unit with several due items is looked up once."""

    holders: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    people: dict[int, Any] = field(default_factory=dict)
    robots: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    units: dict[int, str] = field(default_factory=dict)


def _sweep_batch(rt: Runtime, report: SweepReport, caches: _Caches) -> bool:
    """Claim and process one batch in one transaction; False when nothing was left."""
    with rt.transaction() as session:
        connection = session.connection()
        query = due_items(report.as_of, rt.settings.sweep_batch)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=_ITEMS)
        rows = connection.execute(query).all()
        if not rows:
            return False
        ctx = _context(rt, session, report.as_of, dry_run=False, caches=caches)
        ctx.prefetch(rows)
        updates = []
        for row in rows:
            actions, changes = _process(ctx, row)
            report.actions += actions
            updates.append(changes)
            rollups.note(_facts(row), _facts(row, changes))
        connection.execute(_UPDATE, updates)
        ctx.outbox.flush()
        report.examined += len(rows)
        return True


def _facts(row: Row[Any], changes: dict[str, Any] | None = None) -> rollups.Facts:
    """A swept item is open; the sweep changes its ladder level, nothing else the roll-ups count."""
    level = (changes or {}).get("escalation_level", row.escalation_level)
    return rollups.Facts(row.org_path, True, row.due_at, level, None)


def _context(rt: Runtime, session: Any, as_of: datetime, *, dry_run: bool,
             caches: _Caches | None = None) -> Context:
    caches = caches or _Caches()
    outbox = Outbox(session, rt.settings, rt.calendar, as_of, caches.people, caches.robots)
    recipients = Recipients(session, caches.holders)
    return Context(rt, session, as_of, recipients, outbox, dry_run, caches.units)


def _process(ctx: Context, row: Row[Any]) -> tuple[list[Action], dict[str, Any]]:
    """Carry out the item's due events; its actions and the values of its clock columns."""
    the_plan = _plan(ctx, row)
    changes: dict[str, Any] = {name: getattr(row, name) for name in _CLOCKS}
    head = ledger.Head(row.ledger_seq, row.ledger_head)
    if head.hash is None:
        head = ledger.Head(row.ledger_seq, ledger.genesis_hash(f"item:{row.id}"))
    actions = []
    for event in the_plan.events:
        action, head = sweep_events.carry_out(ctx, row, event, changes, head)
        actions.append(action)
    next_at = the_plan.next_at
    if next_at is not None and next_at <= ctx.as_of:  # never meet the item twice in one sweep
        next_at = ctx.as_of + timedelta(seconds=1)
    changes.update(next_deadline_at=next_at, where_id=row.id)
    if head.seq != row.ledger_seq:
        changes.update(ledger_seq=head.seq, ledger_head=head.hash)
    return actions, changes


def _plan(ctx: Context, row: Row[Any]) -> Plan:
    definition = ctx.rt.definitions.get(row.kind, row.definition_version)
    lead = None
    if definition.recurrence is not None:
        lead = ctx.rt.definitions.get(definition.recurrence.generates).deadlines.start_lead
    return plan(definition, Clocks.of(row), ctx.as_of, ctx.rt.calendar, lead=lead)


def forecast(rt: Runtime, as_of: datetime, *, within: str | None = None,
             escalations_only: bool = False) -> SweepReport:
    """What a sweep at `as_of` would do, from the items as they are now; writes nothing.

    `within` (a unit's path) limits it to that subtree. `escalations_only` answers the leaders'
    dashboard: only escalations, without their recipients, read from the items already due by
    `as_of` (the ladder never climbs before an item's due date).
    """
    report = SweepReport(as_utc(as_of), dry_run=True)
    rt.definitions, rt.calendar  # noqa: B018 - loaded before the read scope opens
    query = due_items(report.as_of, within=within)
    if escalations_only:
        query = query.where(_ITEMS.c.due_at <= report.as_of)
    with rt.read() as session:
        ctx = _context(rt, session, report.as_of, dry_run=True)
        if escalations_only:
            ctx.recipients = _Nobody(session, {})
        rows = session.connection().execute(query.execution_options(yield_per=1000))
        for row in rows:
            report.examined += 1
            events = [e for e in _plan(ctx, row).events
                      if not escalations_only or e.kind == "escalate"]
            report.actions += [sweep_events.describe(ctx, row, e) for e in events]
    return report


class _Nobody(Recipients):
    """Recipients not looked up: a forecast of escalations names no one."""

    def resolve(self, names: Iterable[str], row: Any) -> list[int]:
        return []
