"""Firing triggers on items: the one path through which every state change passes.

`fire_transition` checks, in this order, that the item is visible (NotFound), that the caller's
version is current (VersionConflict), that the trigger exists in the current state
(InvalidTransition, naming the allowed ones), that the actor holds a role that may fire it
(NotAllowed), that the inputs validate (InvalidInput), signatures, separation of duties and
conditions; then it updates the item and appends its ledger entry in one transaction. A refused
action writes nothing at all.

The hot path is one locked read, one guarded UPDATE and one INSERT per transition, as SQLAlchemy
Core statements built once at import and run on a bare connection (`Runtime.write_connection`),
the writes through `DriverStatement`; a session joined to the same transaction serves the checks
and effects that use the ORM. That keeps the engine near the raw driver's speed:
bench/transitions.py measures it and docs/benchmarks.md has the figures.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, update
from sqlalchemy.orm import Session

from workflow import ledger, observe, rollups
from workflow.access import Scope
from workflow.db import DriverStatement
from workflow.deadlines import next_deadline
from workflow.definitions.model import Definition, TransitionDef
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound, VersionConflict
from workflow.inputs import load_inputs
from workflow.machine import fire
from workflow.models import Item, ItemEvidence, LedgerEntry, Person
from workflow.runtime import Runtime
from workflow.services import conditions, effects
from workflow.services.signatures import check_signature

_ITEMS = Item.__table__
_LEDGER = LedgerEntry.__table__
_EVIDENCE = ItemEvidence.__table__
_LOCKED_COLUMNS = [
    _ITEMS.c[name]
    for name in (
        "id", "kind", "definition_version", "state", "version", "org_path", "issuer_path",
        "assignee_org_id", "issuer_org_id", "due_at", "ledger_seq", "ledger_head", "title",
        "list_id", "fields", "is_open", "escalation_level", "closed_at",
    )
]
# built once: a statement built per call costs more Python than the database spends on it
_SELECT = select(*_LOCKED_COLUMNS).where(_ITEMS.c.id == bindparam("item_id"))
_LOCK = DriverStatement(_SELECT)
_LOCK_FOR_UPDATE = DriverStatement(_SELECT.with_for_update())
#: SET comes from the parameters' column names; WHERE names its parameters apart from them
_GUARDED_UPDATE = DriverStatement(update(_ITEMS).where(
    _ITEMS.c.id == bindparam("where_id"), _ITEMS.c.version == bindparam("where_version")
))


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
    kind: str = ""


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
    result = _fire(rt, actor, item_id, trigger, inputs, expected_version, password)
    observe.emit(observe.TransitionFired(result.kind, result.trigger))  # committed by now
    return result


def _fire(
    rt: Runtime,
    actor: Person | Scope,
    item_id: int,
    trigger: str,
    inputs: dict[str, Any] | None,
    expected_version: int,
    password: str | None,
) -> TransitionResult:
    scope = actor if isinstance(actor, Scope) else Scope.of(actor)
    # a bare connection (a session's bookkeeping costs more than the statements of a transition),
    # with a session joined to its transaction only for the steps whose checks or effects need one
    with rt.write_connection() as connection, ExitStack() as stack:
        row = _lock_item(connection, scope, item_id)
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
        _require_attached(connection, row.id, values.get("evidence"))
        session = None
        if _uses_session(step):
            session = stack.enter_context(Session(bind=connection, expire_on_commit=False))
            check_signature(session, actor, step, password)
            _require_separation(session, scope, row, step)
            conditions.require(session, row.id, step)
        dest = fire(rt.definitions.machine(row.kind, row.definition_version), row.state, trigger)
        return _apply(rt, connection, session, scope, row, definition, step, dest, values)


def _uses_session(step: TransitionDef) -> bool:
    """Whether firing `step` needs a session: for its signature, separation of duties or
    conditions (checked through it) or its effects (which may load and add ORM objects)."""
    return bool(
        step.signature or step.separation_of_duties or step.conditions or step.effects
    )


def _lock_item(connection: Connection, scope: Scope, item_id: int) -> Row[Any]:
    query = _LOCK_FOR_UPDATE if connection.dialect.name == "postgresql" else _LOCK
    row = query.first(connection, {"item_id": item_id})
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


def _require_attached(connection: Connection, item_id: int, hashes: list[str] | None) -> None:
    """Evidence named in a transition must be attached to this very item: a hash of another
    item's file (or of nothing) would put a false claim in the ledger."""
    if not hashes:
        return
    attached = set(connection.execute(
        select(_EVIDENCE.c.sha256).where(
            _EVIDENCE.c.item_id == item_id, _EVIDENCE.c.sha256.in_(set(hashes))
        )
    ).scalars())
    missing = [h for h in hashes if h not in attached]
    if missing:
        message = (f"evidence not attached to this item: {', '.join(h[:12] for h in missing)}; "
                   "upload it to the item first")
        raise InvalidInput(message, fields={"evidence": [message]})


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
    connection: Connection,
    session: Session | None,
    scope: Scope,
    row: Row[Any],
    definition: Definition,
    step: TransitionDef,
    dest: str,
    values: dict[str, Any],
) -> TransitionResult:
    now = rt.clock.now()
    outcome = effects.Outcome()
    if session is not None:
        outcome = effects.apply(effects.Context(rt, session, scope, row, values, now), step)
    final = definition.is_final(dest)
    due_at = outcome.changes.get("due_at", row.due_at)
    changes: dict[str, Any] = {
        "state": dest,
        "is_open": not final,
        "version": row.version + 1,
        "updated_at": now,
        "next_deadline_at": next_deadline(definition, dest, due_at, now, calendar=rt.calendar),
        **outcome.changes,
    }
    if step.response:  # restarts the escalation ladder's "unanswered" clock
        changes["last_response_at"] = now
    if final:
        changes["closed_at"] = now
    if session is not None:  # what an effect added through the session is written first
        session.flush()
    head = ledger.Head(row.ledger_seq, row.ledger_head or ledger.genesis_hash(f"item:{row.id}"))
    tip = ledger.append(
        connection,
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
    updated = _GUARDED_UPDATE.rowcount(
        connection, {**changes, "where_id": row.id, "where_version": row.version}
    )
    if updated != 1:
        raise VersionConflict(f"item {row.id} changed meanwhile; reload it and try again")
    rollups.note(rollups.Facts.of(row), rollups.Facts.of(row, **changes))
    return TransitionResult(
        row.id, step.trigger, row.state, dest, row.version + 1, tip.hash, outcome.spawned,
        row.kind,
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
