"""Moving running items to a new version of their definition, by a migration file.

Items keep the definition version they were created with, so a new version that renames or
removes states changes nothing under them. An administrator moves them explicitly:
`plan_migration` reports every running item of the old version within the administrator's part
of the tree and the state it would land in, writing nothing; `apply_migration` does it in one
transaction, all or nothing. Each moved item gets a `migrate` entry in its own ledger chain (from
and to state, both versions and the file's SHA-256), its new version and state, a version bump
(so a form opened before the move gets a conflict, not a silent change), a next deadline
computed from the new definition, and an escalation level within the new ladder.

An item whose state has no place in the new version (not mapped, and no state of that name) stops
the whole migration: the report names every such item, and nothing is written. Closed items keep
their version; their ledger stays readable against it. A second apply finds nothing to do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, Select, select, true, update

from workflow import ledger, rollups
from workflow.access import Scope
from workflow.deadlines import next_deadline, recurs_in
from workflow.definitions.migration import StateMigration, check_migration
from workflow.definitions.model import Definition
from workflow.errors import InvalidInput, NotAllowed, VersionConflict
from workflow.models import Item, Person
from workflow.runtime import Runtime

_ITEMS = Item.__table__
_COLUMNS = [
    _ITEMS.c[name]
    for name in (
        "id", "title", "state", "version", "assignee_org_id", "due_at", "planned_start_at",
        "next_deadline_at", "escalation_level", "ledger_seq", "ledger_head", "org_path",
    )
]
#: how many item ids a refusal names per state before it says "and N more"
_NAMED = 20


@dataclass(frozen=True)
class Move:
    """One running item and the state it lands in."""

    item_id: int
    title: str
    from_state: str
    to_state: str


@dataclass(frozen=True)
class Stuck:
    """A running item whose state has no place in the new version."""

    item_id: int
    title: str
    state: str


@dataclass(frozen=True)
class MigrationReport:
    """What a migration moves (or, dry, would move), and what stops it."""

    kind: str
    from_version: int
    to_version: int
    source: str
    source_hash: str
    moves: tuple[Move, ...]
    stuck: tuple[Stuck, ...]
    applied: bool = False

    def refusal(self) -> str | None:
        """Why the migration cannot run, naming the items; None when it can."""
        if not self.stuck:
            return None
        by_state: dict[str, list[int]] = defaultdict(list)
        for item in self.stuck:
            by_state[item.state].append(item.item_id)
        parts = [f"'{state}' ({_count(ids)}: {_ids(ids)})" for state, ids in by_state.items()]
        return (
            f"refused: {_count([s.item_id for s in self.stuck])} running in "
            f"{self.kind} v{self.from_version} would have no place in v{self.to_version}: "
            f"{'; '.join(parts)}. Map these states under `states:` in {self.source}; "
            "nothing was changed"
        )


def plan_migration(
    rt: Runtime, actor: Person | Scope, migration: StateMigration
) -> MigrationReport:
    """Report where each running item of the old version would land; write nothing.

    Raises NotAllowed (not an administrator) or DefinitionError (the file does not fit the loaded
    definitions). Items with no place are in `stuck`, not raised: the report shows them all.
    """
    scope = _admin(actor)
    _old, new = check_migration(migration, rt.definitions)
    with rt.read() as session:
        rows = session.execute(_running(migration, scope)).all()
    return _report(migration, rows, new)


def apply_migration(
    rt: Runtime, actor: Person | Scope, migration: StateMigration
) -> MigrationReport:
    """Move every running item of the old version, each with its ledger entry, all or nothing.

    Raises NotAllowed, DefinitionError, InvalidInput (some item has no place: nothing is written)
    or VersionConflict (an item changed during the move: nothing is written).
    """
    scope = _admin(actor)
    old, new = check_migration(migration, rt.definitions)
    with rt.transaction() as session:
        connection = session.connection()
        query = _running(migration, scope)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        rows = connection.execute(query).all()
        report = _report(migration, rows, new)
        refusal = report.refusal()
        if refusal:
            raise InvalidInput(refusal, items=[s.item_id for s in report.stuck])
        now = rt.clock.now()
        for row, move in zip(rows, report.moves, strict=True):
            _move(rt, connection, scope, migration, old, new, row, move, now)
    return replace(report, applied=True)


def _admin(actor: Person | Scope) -> Scope:
    """The actor reduced to their administrator grants: a migration reaches only those items."""
    scope = actor if isinstance(actor, Scope) else Scope.of(actor)
    if not scope.is_admin:
        raise NotAllowed("only an administrator may move items to another definition version")
    return Scope(scope.person_id, {"admin": scope.paths("admin")})


def _running(migration: StateMigration, scope: Scope) -> Select[Any]:
    """Open items of the old version in the administrator's subtrees, oldest first."""
    return (
        select(*_COLUMNS)
        .where(
            _ITEMS.c.kind == migration.kind,
            _ITEMS.c.definition_version == migration.from_version,
            _ITEMS.c.is_open == true(),
            scope.item_filter(_ITEMS.c.org_path, _ITEMS.c.issuer_path),
        )
        .order_by(_ITEMS.c.id)
    )


def _report(
    migration: StateMigration, rows: Sequence[Row[Any]], new: Definition
) -> MigrationReport:
    names = {s.name for s in new.states}
    moves: list[Move] = []
    stuck: list[Stuck] = []
    for row in rows:
        target = migration.target(row.state)
        # an unmapped state of the same name that is final in the new version would close the item
        if target in names and (migration.maps(row.state) or not new.is_final(target)):
            moves.append(Move(row.id, row.title, row.state, target))
        else:
            stuck.append(Stuck(row.id, row.title, row.state))
    return MigrationReport(
        migration.kind, migration.from_version, migration.to_version, migration.source,
        migration.source_hash, tuple(moves), tuple(stuck),
    )


def _move(
    rt: Runtime, connection: Connection, scope: Scope, migration: StateMigration,
    old: Definition, new: Definition, row: Row[Any], move: Move, now: datetime,
) -> None:
    subject = f"item:{row.id}"
    head = ledger.Head(row.ledger_seq, row.ledger_head or ledger.genesis_hash(subject))
    tip = ledger.append(
        connection, subject=subject, head=head, at=now, action="migrate",
        actor_id=scope.person_id, item_id=row.id, org_id=row.assignee_org_id,
        from_state=move.from_state, to_state=move.to_state,
        reason=migration.reason or f"{new.kind} v{old.version} → v{new.version}",
        inputs={
            "kind": new.kind, "from_version": old.version, "to_version": new.version,
            "mapping": Path(migration.source).name, "mapping_sha256": migration.source_hash,
        },
    )
    # the ladder may be shorter now: a level past its top would name no step
    level = min(row.escalation_level, len(new.escalation))
    changed = connection.execute(
        update(_ITEMS)
        .where(_ITEMS.c.id == row.id, _ITEMS.c.version == row.version)
        .values(
            definition_version=new.version, state=move.to_state, version=row.version + 1,
            updated_at=now, next_deadline_at=_next_deadline(rt, old, new, row, move, now),
            escalation_level=level,
            ledger_seq=tip.seq, ledger_head=tip.hash,
        )
    ).rowcount
    if changed != 1:
        raise VersionConflict(f"item {row.id} changed during the migration; nothing was changed")
    if level != row.escalation_level:  # running items stay open: only the level can move
        rollups.note(rollups.Facts(row.org_path, True, row.due_at, row.escalation_level, None),
                     rollups.Facts(row.org_path, True, row.due_at, level, None))


def _next_deadline(
    rt: Runtime, old: Definition, new: Definition, row: Row[Any], move: Move, now: datetime
) -> datetime | None:
    """The clock that was running keeps running; a state with another clock starts its own.

    A reviewer's limit or a standing item's recurrence anchor is carried over when the new state
    keeps that clock (a migration must not hand out extra time); a `due` clock is recomputed,
    since it depends only on the due date and the new version's reminders.
    """
    clock = new.state(move.to_state).clock
    if clock == old.state(move.from_state).clock and clock != "due":
        keeps = clock == "review" or recurs_in(new, move.to_state)
        return row.next_deadline_at if keeps else None
    return next_deadline(new, move.to_state, row.due_at, now, calendar=rt.calendar,
                         planned_start_at=row.planned_start_at)


def _count(ids: list[int]) -> str:
    return f"{len(ids)} item" + ("" if len(ids) == 1 else "s")


def _ids(ids: list[int]) -> str:
    named = ", ".join(str(i) for i in ids[:_NAMED])
    return named + (f" and {len(ids) - _NAMED} more" if len(ids) > _NAMED else "")
