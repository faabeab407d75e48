"""Firing triggers on items: the one path through which every state change passes.

`fire_transition` checks, in this order, that the item is visible (NotFound), that the caller's
version is current (VersionConflict), that the trigger exists in the current state
(InvalidTransition, naming the allowed ones), that the actor holds a role that may fire it
(NotAllowed), that the inputs validate (InvalidInput), signatures, separation of duties and
conditions; then it updates the item and appends its ledger entry in one transaction. A refused
action writes nothing at all.

The hot path uses SQLAlchemy Core statements on the session's connection: one locked read, one
guarded UPDATE and one INSERT per transition, which keeps the engine near raw-driver speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from workflow import ledger
from workflow.access import Scope
from workflow.deadlines import next_deadline
from workflow.definitions.model import Definition, TransitionDef
from workflow.errors import InvalidTransition, NotAllowed, NotFound, VersionConflict
from workflow.inputs import load_inputs
from workflow.machine import fire
from workflow.models import Item, LedgerEntry, Person
from workflow.runtime import Runtime
from workflow.services import conditions, effects
from workflow.services.signatures import check_signature

_ITEMS = Item.__table__
_LEDGER = LedgerEntry.__table__
_LOCKED_COLUMNS = [
    _ITEMS.c[name]
    for name in (
        "id", "kind", "definition_version", "state", "version", "org_path", "issuer_path",
        "assignee_org_id", "issuer_org_id", "due_at", "ledger_seq", "ledger_head", "title",
        "list_id", "fields",
    )
]


@dataclass(frozen=True)
class TransitionResult:
    """What a fired trigger did."""

    item_id: int
    trigger: str
    from_state: str
    state: str
    version: int
    ledger_hash: str
    spawned: tuple[int, ...] = ()


def fire_transition(
    rt: Runtime,
    actor: Person | Scope,
    item_id: int,
    trigger: str,
    inputs: dict[str, Any] | None = None,
    *,
    expected_version: int,
    password: str | None = None,
) -> TransitionResult:
    """Fire `trigger` on an item the actor can see and record it in the ledger.

    Raises NotFound, VersionConflict, InvalidTransition, NotAllowed or InvalidInput; on any
    error nothing is written.
    """
    scope = actor if isinstance(actor, Scope) else Scope.of(actor)
    with rt.transaction() as session:
        row = _lock_item(session, scope, item_id)
        if row.version != expected_version:
            raise VersionConflict(
                f"item {item_id} is at version {row.version}, not {expected_version}; "
                "reload it and try again",
                current_version=row.version,
            )
        definition = rt.definitions.get(row.kind, row.definition_version)
        step = _step(definition, row, trigger)
        _require_role(scope, row, step)
        values = load_inputs(definition, step, inputs)
        check_signature(session, actor, step, password)
        _require_separation(session, scope, row, step)
        conditions.require(session, row.id, step)
        dest = fire(rt.definitions.machine(row.kind, row.definition_version), row.state, trigger)
        return _apply(rt, session, scope, row, definition, step, dest, values)


def _lock_item(session: Session, scope: Scope, item_id: int) -> Row[Any]:
    query = select(*_LOCKED_COLUMNS).where(_ITEMS.c.id == item_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).first()
    if row is None or not scope.can_see(row.org_path, row.issuer_path):
        raise NotFound(f"item {item_id} not found")
    return row


def _step(definition: Definition, row: Row[Any], trigger: str) -> TransitionDef:
    step = definition.transition(row.state, trigger)
    if step is None:
        allowed = [t.trigger for t in definition.transitions_from(row.state)]
        label = definition.state(row.state).label
        raise InvalidTransition(
            f"'{trigger}' is not allowed in state '{row.state}' ({label.zh}); allowed: "
            + (", ".join(allowed) or "none (the item is closed)"),
            state=row.state,
            allowed=allowed,
        )
    return step


def _require_role(scope: Scope, row: Row[Any], step: TransitionDef) -> None:
    if not any(scope.holds(role, row.org_path, row.issuer_path) for role in step.roles):
        raise NotAllowed(
            f"'{step.trigger}' needs the role {' or '.join(step.roles)} for this item",
            roles=list(step.roles),
        )


def _require_separation(session: Session, scope: Scope, row: Row[Any], step: TransitionDef) -> None:
    if not step.separation_of_duties or scope.person_id is None:
        return
    last_actor = session.execute(
        select(_LEDGER.c.actor_id)
        .where(_LEDGER.c.item_id == row.id, _LEDGER.c.trigger.in_(step.separation_of_duties))
        .order_by(_LEDGER.c.id.desc())
        .limit(1)
    ).scalar()
    if last_actor == scope.person_id:
        raise NotAllowed(
            f"separation of duties: whoever fired {' / '.join(step.separation_of_duties)} "
            f"on this item may not fire '{step.trigger}'"
        )


def _apply(
    rt: Runtime,
    session: Session,
    scope: Scope,
    row: Row[Any],
    definition: Definition,
    step: TransitionDef,
    dest: str,
    values: dict[str, Any],
) -> TransitionResult:
    now = rt.clock.now()
    outcome = effects.apply(effects.Context(rt, session, scope, row, values, now), step)
    final = definition.is_final(dest)
    due_at = outcome.changes.get("due_at", row.due_at)
    changes: dict[str, Any] = {
        "state": dest,
        "is_open": not final,
        "version": row.version + 1,
        "updated_at": now,
        "next_deadline_at": next_deadline(definition, dest, due_at, now),
        **outcome.changes,
    }
    if final:
        changes["closed_at"] = now
    head = ledger.Head(row.ledger_seq, row.ledger_head or ledger.genesis_hash(f"item:{row.id}"))
    tip = ledger.append(
        session,
        subject=f"item:{row.id}",
        head=head,
        at=now,
        action="transition",
        actor_id=scope.person_id,
        item_id=row.id,
        org_id=changes.get("assignee_org_id", row.assignee_org_id),
        trigger=step.trigger,
        from_state=row.state,
        to_state=dest,
        reason=values.get("reason") or values.get("comment"),
        inputs={**_ledger_inputs(values), **outcome.recorded},
        evidence=values.get("evidence"),
        signature=step.signature,
    )
    changes.update(ledger_seq=tip.seq, ledger_head=tip.hash)
    updated = session.execute(
        update(_ITEMS)
        .where(_ITEMS.c.id == row.id, _ITEMS.c.version == row.version)
        .values(**changes)
    )
    if updated.rowcount != 1:
        raise VersionConflict(f"item {row.id} changed meanwhile; reload it and try again")
    return TransitionResult(
        row.id, step.trigger, row.state, dest, row.version + 1, tip.hash, outcome.spawned
    )


def _ledger_inputs(values: dict[str, Any]) -> dict[str, Any]:
    """What the ledger keeps of the inputs (evidence goes in its own column)."""
    return {k: v for k, v in values.items() if k != "evidence"}


def available_actions(
    rt: Runtime, session: Session, scope: Scope, item: Item
) -> list[TransitionDef]:
    """The triggers this actor may fire on this item now: state ∩ roles ∩ conditions met."""
    definition = rt.definitions.get(item.kind, item.definition_version)
    actions = []
    for step in definition.transitions_from(item.state):
        if not any(scope.holds(role, item.org_path, item.issuer_path) for role in step.roles):
            continue
        if conditions.unmet(session, item.id, step):
            continue
        actions.append(step)
    return actions
