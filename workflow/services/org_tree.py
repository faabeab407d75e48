"""Changing the organisation tree: rename, move (with the subtree), close, merge.

Paths are materialised ("/1/5/12/") and copied onto items and lists so scope filters need no
join; a move therefore rewrites, in one statement per column and one transaction, every path
that starts with the moved unit's old path. Each change is a ledger entry on the unit's chain
("org:ID"); a merge also writes one on every item and person it moves. History (closed items,
ledger entries) stays where it was: a closed or merged unit keeps its place in the tree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, String, func, literal, select, true, update
from sqlalchemy.orm import Session

from workflow import ledger, rollups
from workflow.access import Scope, in_subtree
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.models import (
    InspectorAssignment,
    Item,
    ItemList,
    Organisation,
    Person,
    RoleGrant,
)
from workflow.runtime import Runtime

#: every column holding a copy of an organisation path; a new table that copies paths must be
#: listed here, or a move would leave it behind
PATH_COLUMNS: list[Column[Any]] = [
    cast(Column[Any], model.__table__.c[name])
    for model, name in ((Organisation, "path"), (Item, "org_path"), (Item, "issuer_path"),
                        (ItemList, "issuer_path"))
]


def rename_org(rt: Runtime, actor: Person | Scope, org_id: int, *, name: str) -> None:
    """Give a unit a new name (its id, code and history stay)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("name: 1 to 200 characters", fields={"name": ["1 to 200 characters"]})
    scope = _scope(actor)
    with rt.transaction() as session:
        org = managed_org(session, scope, org_id)
        if org.name == name:
            return
        _record(session, scope, org, "org.rename", rt.clock.now(), {"from": org.name, "to": name})
        org.name = name


def move_org(rt: Runtime, actor: Person | Scope, org_id: int, *, parent_id: int) -> None:
    """Move a unit with its whole subtree under another parent; every copied path follows."""
    scope = _scope(actor)
    with rt.transaction() as session:
        org = managed_org(session, scope, org_id, lock=True)
        parent = managed_org(session, scope, parent_id, lock=True)
        if org.parent_id == parent.id:
            return
        if parent.path.startswith(org.path):
            raise InvalidInput(f"parent: unit {parent.id} is inside the unit being moved",
                               fields={"parent": ["inside the moved subtree"]})
        _require_open(org, parent)
        old_parent, old_path = org.parent_id, org.path
        rewrite_subtree(session, old_path, f"{parent.path}{org.id}/", parent.depth + 1 - org.depth)
        rollups.note_move(org.id, old_path, f"{parent.path}{org.id}/")
        org.parent_id = parent.id
        _record(session, scope, org, "org.move", rt.clock.now(),
                {"from_parent": old_parent, "to_parent": parent.id, "from_path": old_path,
                 "to_path": org.path})


def close_org(rt: Runtime, actor: Person | Scope, org_id: int, *, reason: str) -> None:
    """Close a unit that has no open units below it and no open items (merge it otherwise)."""
    scope = _scope(actor)
    with rt.transaction() as session:
        org = managed_org(session, scope, org_id, lock=True)
        _require_open(org)
        children = session.scalar(select(func.count()).select_from(Organisation).where(
            Organisation.parent_id == org.id, Organisation.closed_at.is_(None)))
        items = session.scalar(select(func.count()).select_from(Item).where(
            in_subtree(Item.org_path, org.path), Item.is_open == true()))
        if children or items:
            raise InvalidInput(
                f"unit {org.id} still has {children} open unit(s) below it and {items} open "
                "item(s); close or move those first, or merge the unit into another",
                open_units=children, open_items=items)
        now = rt.clock.now()
        org.closed_at = now
        _record(session, scope, org, "org.close", now, {"reason": _reason(reason)})


def merge_org(rt: Runtime, actor: Person | Scope, org_id: int, *, into_id: int,
              reason: str) -> dict[str, int]:
    """Merge a unit into another: its units, open items, people, roles and inspection
    assignments move; the unit is closed and keeps its history. Returns what moved."""
    scope = _scope(actor)
    with rt.transaction() as session:
        source = managed_org(session, scope, org_id, lock=True)
        target = managed_org(session, scope, into_id, lock=True)
        if target.path.startswith(source.path):
            raise InvalidInput(f"into: unit {target.id} is the merged unit or inside it",
                               fields={"into": ["inside the merged unit"]})
        _require_open(source, target)
        now = rt.clock.now()
        moved = {"units": _move_children(session, source, target),
                 "items": _move_items(session, scope, source, target, now),
                 "people": _move_people(session, scope, source, target, now),
                 "grants": _move_grants(session, source, target)}
        source.closed_at, source.merged_into_id = now, target.id
        _record(session, scope, source, "org.merge", now,
                {"into": target.id, "reason": _reason(reason), **moved})
        _record(session, scope, target, "org.merge_in", now, {"from": source.id, **moved})
        return moved


def rewrite_subtree(session: Session, old: str, new: str, depth_delta: int) -> None:
    """Replace the prefix `old` by `new` in every copied path (one UPDATE per column)."""
    for column in PATH_COLUMNS:
        values: dict[str, Any] = {
            column.name: literal(new, String()) + func.substr(column, len(old) + 1)}
        if column.table is Organisation.__table__:
            values["depth"] = column.table.c.depth + depth_delta
        session.execute(update(column.table).where(in_subtree(column, old)).values(values))
    session.expire_all()


def managed_org(session: Session, scope: Scope, org_id: int, *,
                lock: bool = False) -> Organisation:
    """A unit the actor administers; NotAllowed if merely visible to them, NotFound otherwise."""
    locking = lock and session.get_bind().dialect.name == "postgresql"
    org = session.get(Organisation, org_id, with_for_update=locking)
    if org is None:
        raise NotFound(f"organisation {org_id} not found")
    if any(org.path.startswith(p) for p in scope.paths("admin")):
        return org
    if any(org.path.startswith(p) for p in scope.org_paths()):
        raise NotAllowed("only an administrator of this part of the tree may do that")
    raise NotFound(f"organisation {org_id} not found")


def _move_children(session: Session, source: Organisation, target: Organisation) -> int:
    children = list(session.scalars(select(Organisation).where(
        Organisation.parent_id == source.id).order_by(Organisation.id)))
    for child in children:
        old_path, new_path = child.path, f"{target.path}{child.id}/"
        rewrite_subtree(session, old_path, new_path, target.depth + 1 - child.depth)
        rollups.note_move(child.id, old_path, new_path)
        session.get_one(Organisation, child.id).parent_id = target.id
    return len(children)


def _move_items(session: Session, scope: Scope, source: Organisation, target: Organisation,
                now: datetime) -> int:
    """Open items assigned to or issued by the source now belong to the target."""
    locking = session.get_bind().dialect.name == "postgresql"
    query = select(Item).where(
        Item.is_open == true(),
        (Item.assignee_org_id == source.id) | (Item.issuer_org_id == source.id),
    ).order_by(Item.id)
    items = list(session.scalars(query.with_for_update() if locking else query))
    for item in items:
        changes: dict[str, Any] = {}
        if item.assignee_org_id == source.id:
            before = rollups.Facts.of(item)
            item.assignee_org_id, item.org_path = target.id, target.path
            rollups.note(before, rollups.Facts.of(item))
            changes["assignee"] = {"from": source.id, "to": target.id}
        if item.issuer_org_id == source.id:
            item.issuer_org_id, item.issuer_path = target.id, target.path
            changes["issuer"] = {"from": source.id, "to": target.id}
        item.version += 1
        item.updated_at = now
        subject = f"item:{item.id}"
        head = ledger.Head(item.ledger_seq, item.ledger_head or ledger.genesis_hash(subject))
        tip = ledger.append(session, subject=subject, head=head, at=now, action="org.merge",
                            actor_id=scope.person_id, item_id=item.id,
                            org_id=item.assignee_org_id, inputs=changes)
        item.ledger_seq, item.ledger_head = tip.seq, tip.hash
    session.flush()
    return len(items)


def _move_people(session: Session, scope: Scope, source: Organisation, target: Organisation,
                 now: datetime) -> int:
    people = list(session.scalars(select(Person).where(Person.org_id == source.id)))
    for person in people:
        person.org_id = target.id
        ledger.append(session, subject=f"person:{person.id}", at=now, action="person.move",
                      actor_id=scope.person_id, org_id=target.id,
                      inputs={"from": source.id, "to": target.id, "merge": True})
    return len(people)


def _move_grants(session: Session, source: Organisation, target: Organisation) -> int:
    """Roles held at the source, and inspection of it, now apply to the target (a grant the
    person already holds there is simply dropped)."""
    moved = 0
    for grant in session.scalars(select(RoleGrant).where(RoleGrant.org_id == source.id)):
        held = session.scalar(select(RoleGrant.id).where(
            RoleGrant.person_id == grant.person_id, RoleGrant.org_id == target.id,
            RoleGrant.role == grant.role))
        moved += _move_or_drop(session, grant, target, held is not None)
    for duty in session.scalars(select(InspectorAssignment).where(
            InspectorAssignment.org_id == source.id)):
        held = session.scalar(select(InspectorAssignment.id).where(
            InspectorAssignment.person_id == duty.person_id,
            InspectorAssignment.org_id == target.id))
        moved += _move_or_drop(session, duty, target, held is not None)
    session.flush()
    return moved


def _move_or_drop(session: Session, row: RoleGrant | InspectorAssignment, target: Organisation,
                  duplicate: bool) -> int:
    if duplicate:
        session.delete(row)
        return 0
    row.org_id = target.id
    return 1


def _require_open(*orgs: Organisation) -> None:
    for org in orgs:
        if org.closed_at is not None:
            raise InvalidInput(f"unit {org.id} ({org.name}) is closed")


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("reason: say why (it goes into the ledger)",
                           fields={"reason": ["required"]})
    return text[:500]


def _record(session: Session, scope: Scope, org: Organisation, action: str, now: datetime,
            inputs: dict[str, Any]) -> None:
    ledger.append(session, subject=f"org:{org.id}", at=now, action=action,
                  actor_id=scope.person_id, org_id=org.id, inputs=inputs)


def _scope(actor: Person | Scope) -> Scope:
    return actor if isinstance(actor, Scope) else Scope.of(actor)
