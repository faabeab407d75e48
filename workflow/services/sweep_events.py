"""Carrying out one due event of the sweep: ledger entry, notifications, register, clocks.

Every event is one entry on the item's own ledger chain, appended with the head cached on the
item row (locked by the sweep's claim, as fire_transition locks it), at the sweep's moment; the
moment the event fell due is kept in its inputs (`due_moment`). The item's clock columns are
collected in `changes` and written by the caller with the next deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from workflow import ledger
from workflow.deadlines import Event
from workflow.models import Organisation
from workflow.notify.outbox import Message, Outbox
from workflow.recipients import Recipients
from workflow.runtime import Runtime

#: who hears of a reminder before the due date or the planned start
REMINDED = ("handler", "direct_responsible")


@dataclass
class Context:
    """One sweep transaction (or one dry run): its moment, caches and outbox."""

    rt: Runtime
    session: Session
    as_of: datetime
    recipients: Recipients
    outbox: Outbox
    dry_run: bool
    units: dict[int, str] = field(default_factory=dict)

    def prefetch(self, rows: Sequence[Row[Any]]) -> None:
        """Load what the batch's events will look up, in a few queries instead of a few per item."""
        found = self.recipients.prefetch(rows)
        named = {p for row in rows for p in (row.primary_person_id, row.direct_person_id) if p}
        self.outbox.prefetch(found | named, {row.org_path for row in rows})
        wanted = {row.assignee_org_id for row in rows} - self.units.keys()
        if wanted:
            names = self.session.connection().execute(select(Organisation.id, Organisation.name)
                                                      .where(Organisation.id.in_(wanted))).all()
            self.units.update({org_id: name for org_id, name in names})

    def unit_name(self, org_id: int) -> str:
        if org_id not in self.units:
            name = self.session.scalar(select(Organisation.name).where(Organisation.id == org_id))
            self.units[org_id] = name or ""
        return self.units[org_id]


@dataclass(frozen=True)
class Action:
    """One thing the sweep did or would do to an item."""

    item_id: int
    title: str
    kind: str
    at: datetime
    level: int | None = None
    action: str | None = None
    recipients: tuple[int, ...] = ()
    detail: str | None = None
    #: the item's unit path: where a stored forecast files the action (services/forecasts)
    org_path: str | None = None


def describe(ctx: Context, row: Row[Any], event: Event) -> Action:
    """The action `event` stands for, without doing it (for dry runs)."""
    people = tuple(ctx.recipients.resolve(_names(ctx, row, event), row))
    step = event.step
    detail = event.period.isoformat() if event.period else None
    return Action(row.id, row.title, event.kind, event.at, step.level if step else None,
                  step.action if step else None, people, detail, row.org_path)


def carry_out(
    ctx: Context, row: Row[Any], event: Event, changes: dict[str, Any], head: ledger.Head
) -> tuple[Action, ledger.Head]:
    """Do `event`: append its ledger entry, write its notifications, update the clocks."""
    action = describe(ctx, row, event)
    inputs: dict[str, Any] = {"due_moment": event.at}
    reason = None
    if event.kind in ("reminder", "start_reminder"):
        changes["reminded_at"] = event.at
        inputs["kind"] = event.kind
    elif event.kind == "overdue":
        changes["overdue_at"] = ctx.as_of
        inputs["due_at"] = row.due_at
    elif event.kind == "escalate":
        reason = _escalate(ctx, row, event, changes, inputs, action)
    elif event.kind == "review_overdue":
        inputs["state"] = row.state
    elif event.kind == "recur":
        inputs.update(_recur(ctx, row, event, changes))
    inputs["recipients"] = list(action.recipients)
    head = ledger.append(
        ctx.session.connection(), subject=f"item:{row.id}", head=head, at=ctx.as_of,
        action=_LEDGER_ACTION[event.kind], actor_id=None, item_id=row.id,
        org_id=row.assignee_org_id, inputs=inputs, reason=reason,
    )
    _notify(ctx, row, event, action)
    return action, head


_LEDGER_ACTION = {
    "reminder": "remind_due", "start_reminder": "remind_start", "overdue": "overdue",
    "escalate": "escalate", "review_overdue": "review_overdue", "recur": "recur",
}


def _names(ctx: Context, row: Row[Any], event: Event) -> tuple[str, ...]:
    if event.step is not None:
        return event.step.notify
    if event.kind == "review_overdue":
        return _reviewers(ctx, row)
    if event.kind == "overdue":
        return ()
    return REMINDED if event.kind != "recur" else ("handler",)


def _reviewers(ctx: Context, row: Row[Any]) -> tuple[str, ...]:
    """Whoever may move the item on from its review state, and the issuer above them."""
    definition = ctx.rt.definitions.get(row.kind, row.definition_version)
    roles = {role for t in definition.transitions_from(row.state) for role in t.roles}
    return (*sorted(roles & {"inspector", "issuer"}), "issuer")


def _escalate(ctx: Context, row: Row[Any], event: Event, changes: dict[str, Any],
              inputs: dict[str, Any], action: Action) -> str:
    from workflow.services.register import open_entry

    step = event.step
    assert step is not None
    changes.update(escalation_level=step.level, escalated_at=ctx.as_of)
    reason = (f"{step.label.zh}（第{step.level}级）：{row.title} 于"
              f"{ledger.format_time(row.due_at)} 到期未办结")
    inputs.update(level=step.level, escalation=step.action, notify=list(step.notify))
    if step.register:
        inputs["register"] = open_entry(ctx.session, row, step, ctx.as_of, reason)
    return reason


def _recur(ctx: Context, row: Row[Any], event: Event, changes: dict[str, Any]) -> dict[str, Any]:
    from workflow.services.recurrence import generate

    assert event.period is not None
    changes["recurred_through"] = event.period
    new_id, label = generate(ctx, row, event.period)
    return {"period": label, "generated": new_id}


def _notify(ctx: Context, row: Row[Any], event: Event, action: Action) -> None:
    template = _TEMPLATE.get(event.kind)
    if template is None or not action.recipients and event.kind != "escalate":
        return
    step = event.step
    if step is not None:
        template = step.action
    params = {
        "title": row.title, "item": row.id, "unit": ctx.unit_name(row.assignee_org_id),
        "due": _iso(row.due_at if event.kind != "review_overdue" else event.at),
        "start": _iso(row.planned_start_at), "level": step.level if step else None,
    }
    key = f"item:{row.id}:{event.kind}:{step.level if step else _iso(event.at)}"
    message = Message(key, template, params, urgent=bool(step and step.urgent), item_id=row.id,
                      org_id=row.assignee_org_id, org_path=row.org_path)
    ctx.outbox.add(message, action.recipients)


_TEMPLATE: dict[str, str] = {
    "reminder": "reminder", "start_reminder": "start_reminder", "escalate": "remind",
    "review_overdue": "review_overdue",
}


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None

