"""Small helpers shared by the supervision services (spot checks, assessments, evaluation)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from workflow import ledger
from workflow.access import Scope
from workflow.errors import NotFound
from workflow.models import InspectorAssignment, Organisation, Person, RoleGrant


def scope_of(actor: Person | Scope) -> Scope:
    return actor if isinstance(actor, Scope) else Scope.of(actor)


def locking(session: Session) -> bool:
    """Row locks where the database has them (SQLite writers are serialised already)."""
    return session.get_bind().dialect.name == "postgresql"


def within(path: str, ancestors: Iterable[str]) -> bool:
    return any(path.startswith(a) for a in ancestors)


def related_org(session: Session, scope: Scope, org_id: int) -> Organisation:
    """An organisation the actor has a role at, above or below (a board, a round of checks).

    Administrators too are bound to the subtrees they administer (and the units above them).
    """
    org = session.get(Organisation, org_id)
    paths = scope.org_paths()
    if org is None or not (within(org.path, paths) or any(p.startswith(org.path) for p in paths)):
        raise NotFound(f"organisation {org_id} not found")
    return org


def record(
    session: Session, scope: Scope, subject: str, action: str, now: datetime, *,
    org_id: int | None = None, inputs: dict[str, Any] | None = None, reason: str | None = None,
    from_state: str | None = None, to_state: str | None = None, trigger: str | None = None,
    evidence: list[str] | None = None, item_id: int | None = None, signature: str | None = None,
) -> ledger.Head:
    """Append one ledger entry to `subject`'s chain in the caller's transaction."""
    return ledger.append(
        session, subject=subject, at=now, action=action, actor_id=scope.person_id,
        org_id=org_id, inputs=inputs, reason=reason, from_state=from_state, to_state=to_state,
        trigger=trigger, evidence=evidence, item_id=item_id, signature=signature,
    )


def ancestors(path: str) -> list[str]:
    """`/1/5/12/` → ['/1/', '/1/5/', '/1/5/12/']."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def assigned_inspectors(session: Session, paths: Iterable[str]) -> dict[str, int]:
    """For each unit path, the inspector who covers it most closely.

    An inspector covers a unit through an assignment (or an inspector role) at the unit or one
    of its ancestors; the deepest one wins, then the lowest person id, so the choice is stable.
    Paths no active inspector covers are left out.
    """
    wanted = {a for path in paths for a in ancestors(path)}
    if not wanted:
        return {}
    assigned = select(InspectorAssignment.person_id, Organisation.path).join(
        Organisation, Organisation.id == InspectorAssignment.org_id)
    granted = select(RoleGrant.person_id, Organisation.path).join(
        Organisation, Organisation.id == RoleGrant.org_id).where(RoleGrant.role == "inspector")
    covering: dict[str, list[int]] = {}
    for query in (assigned, granted):
        rows = session.execute(query.join(Person, Person.id == query.selected_columns[0])
                               .where(Organisation.path.in_(sorted(wanted)),
                                      Person.active == true()))
        for person_id, org_path in rows:
            covering.setdefault(org_path, []).append(person_id)
    chosen = {}
    for path in paths:
        for ancestor in reversed(ancestors(path)):
            if ancestor in covering:
                chosen[path] = min(covering[ancestor])
                break
    return chosen
