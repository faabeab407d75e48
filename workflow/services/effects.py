"""The effects a definition may attach to a transition (vocabulary.EFFECTS), implemented.

Effects run inside the transition's database transaction, after every check has passed, so an
effect that fails (say, an unknown organisation to reassign to) refuses the whole transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from workflow.access import Scope
from workflow.definitions.model import TransitionDef
from workflow.errors import InvalidInput
from workflow.models import ItemEvidence, Organisation
from workflow.runtime import Runtime


@dataclass
class Outcome:
    """Column changes for the item, extra facts for its ledger entry, and items created."""

    changes: dict[str, Any] = field(default_factory=dict)
    recorded: dict[str, Any] = field(default_factory=dict)
    spawned: tuple[int, ...] = ()


@dataclass(frozen=True)
class Context:
    """Where an effect runs: the transaction, the actor, the locked item row and the inputs."""

    rt: Runtime
    session: Session
    scope: Scope
    row: Row[Any]
    values: dict[str, Any]
    now: datetime


def apply(ctx: Context, step: TransitionDef) -> Outcome:
    """Run the step's effects in the order the definition lists them."""
    outcome = Outcome()
    for name in step.effects:
        _EFFECTS[name](ctx, outcome)
    return outcome


def _extend_deadline(ctx: Context, outcome: Outcome) -> None:
    due = ctx.values["due"]
    if due <= ctx.now:
        raise InvalidInput("the new due date must be in the future",
                           fields={"due": ["in the past"]})
    outcome.changes["due_at"] = due
    outcome.recorded["previous_due"] = ctx.row.due_at


def _reassign(ctx: Context, outcome: Outcome) -> None:
    org = ctx.session.get(Organisation, ctx.values["assignee"])
    if org is None or org.closed_at is not None or not org.path.startswith(ctx.row.issuer_path):
        raise InvalidInput(
            f"organisation {ctx.values['assignee']} cannot be assigned this item",
            fields={"assignee": ["unknown, closed or outside the issuing unit"]},
        )
    outcome.changes.update(assignee_org_id=org.id, org_path=org.path)
    outcome.recorded["previous_assignee"] = ctx.row.assignee_org_id


def _pin_approval(ctx: Context, outcome: Outcome) -> None:
    table = ItemEvidence.__table__
    hashes = ctx.session.execute(
        select(table.c.sha256).where(table.c.item_id == ctx.row.id).order_by(table.c.sha256)
    ).scalars().all()
    outcome.changes["approved_version"] = ctx.row.version
    outcome.recorded.update(approved_version=ctx.row.version, approved_evidence=list(hashes))


def _update_fields(ctx: Context, outcome: Outcome) -> None:
    outcome.changes["fields"] = {**(ctx.row.fields or {}), **ctx.values["fields"]}


def _spawn_rectification(ctx: Context, outcome: Outcome) -> None:
    from workflow.services.lists import spawn_linked_item

    new_id = spawn_linked_item(
        ctx.rt, ctx.session, ctx.scope, source=ctx.row, kind="rectification", link="rectifies",
        reason=ctx.values.get("comment") or ctx.values.get("reason"), now=ctx.now,
    )
    outcome.spawned = (*outcome.spawned, new_id)
    outcome.recorded["rectification_item"] = new_id


_EFFECTS = {
    "extend_deadline": _extend_deadline,
    "reassign": _reassign,
    "pin_approval": _pin_approval,
    "update_fields": _update_fields,
    "spawn_rectification": _spawn_rectification,
}
