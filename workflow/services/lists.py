"""Issuing lists to units, decomposing items into child items, and linked items.

Every item is born with a ledger entry ("issued") at the head of its own chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from workflow import ledger, rollups
from workflow.access import Scope
from workflow.deadlines import next_deadline
from workflow.definitions.model import Definition
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.inputs import load_fields
from workflow.models import Item, ItemLink, ItemList, Organisation, Person
from workflow.runtime import Runtime


@dataclass(frozen=True)
class NewItem:
    """One row of a list being issued (or a child being decomposed)."""

    title: str
    assignee_org_id: int
    due_at: datetime | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    primary_person_id: int | None = None
    direct_person_id: int | None = None
    planned_start_at: datetime | None = None


@dataclass(frozen=True)
class IssuedList:
    list_id: int
    item_ids: tuple[int, ...]
    created: bool = True


def issue_list(
    rt: Runtime,
    actor: Person | Scope,
    *,
    kind: str,
    title: str,
    issuer_org_id: int,
    items: Sequence[NewItem],
    period: str | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> IssuedList:
    """Issue a list of `kind` from `issuer_org_id` with its items, all or nothing.

    Raises NotFound (unknown issuing unit), NotAllowed (no issuer role there) or InvalidInput
    (bad title, fields, assignee or due date; the message names the row). A repeated
    `idempotency_key` from the same person returns the list it created the first time.
    """
    scope = actor if isinstance(actor, Scope) else Scope.of(actor)
    definition = rt.definitions.get(kind)
    _require_text("title", title)
    if not items:
        raise InvalidInput("a list needs at least one item", fields={"items": ["empty"]})
    with rt.transaction() as session:
        earlier = _earlier_issue(session, scope, idempotency_key)
        if earlier:
            return earlier
        issuer = _issuer_org(session, scope, issuer_org_id)
        now = rt.clock.now()
        item_list = ItemList(
            kind=kind, title=title.strip(), issuer_org_id=issuer.id, issuer_path=issuer.path,
            issued_by_id=scope.person_id, issued_at=now, period=period, note=note,
            idempotency_key=idempotency_key,
        )
        session.add(item_list)
        session.flush()
        ids = []
        for number, new in enumerate(items, start=1):
            org = _assignee(session, issuer, new.assignee_org_id, f"items[{number}]")
            ids.append(
                _create_item(rt, session, scope, definition, item_list, org, new, now,
                             row=f"items[{number}]")
            )
        return IssuedList(item_list.id, tuple(ids))


def decompose_item(
    rt: Runtime, actor: Person | Scope, item_id: int, children: Sequence[NewItem]
) -> tuple[int, ...]:
    """Split an item into child items for units below its assignee; the parent rolls them up.

    Only a handler of the item's unit (or an admin) may decompose it, only while it is open, and
    only to units strictly inside the assignee's subtree.
    """
    scope = actor if isinstance(actor, Scope) else Scope.of(actor)
    if not children:
        raise InvalidInput("give at least one child item", fields={"children": ["empty"]})
    with rt.transaction() as session:
        parent = session.get(Item, item_id, with_for_update=_lock(session))
        if parent is None or not scope.can_see(parent.org_path, parent.issuer_path):
            raise NotFound(f"item {item_id} not found")
        if not scope.holds("handler", parent.org_path, parent.issuer_path):
            raise NotAllowed("only a handler of the item's unit can decompose it")
        if not parent.is_open:
            raise InvalidInput(f"item {item_id} is closed and cannot be decomposed")
        definition = rt.definitions.get(parent.kind, parent.definition_version)
        owner = session.get_one(Organisation, parent.assignee_org_id)
        now = rt.clock.now()
        ids = []
        for number, new in enumerate(children, start=1):
            org = _assignee(session, owner, new.assignee_org_id, f"children[{number}]", strict=True)
            if new.due_at and parent.due_at and new.due_at > parent.due_at:
                raise InvalidInput(f"children[{number}].due_at: later than the parent's due date")
            ids.append(
                _create_item(rt, session, scope, definition, parent.item_list, org, new, now,
                             row=f"children[{number}]", parent=parent)
            )
        _append_item_entry(session, parent, scope, now, action="decompose",
                           inputs={"children": ids})
        parent.version += 1
        return tuple(ids)


def spawn_linked_item(
    rt: Runtime, session: Session, scope: Scope, *, source: Row[Any], kind: str, link: str,
    reason: str | None, now: datetime,
) -> int:
    """Open an item of `kind` for the source item's unit, linked to it (e.g. a rectification)."""
    definition = rt.definitions.get(kind)
    item_list = ItemList(
        kind=kind, title=f"{definition.label.zh}：{source.title}",
        issuer_org_id=source.issuer_org_id, issuer_path=source.issuer_path,
        issued_by_id=scope.person_id, issued_at=now,
    )
    session.add(item_list)
    session.flush()
    org = session.get_one(Organisation, source.assignee_org_id)
    new = NewItem(title=f"整改：{source.title}", assignee_org_id=org.id)
    item_id = _create_item(rt, session, scope, definition, item_list, org, new, now,
                           row="spawned", partial=True, reason=reason,
                           extra={"source_item": source.id})
    session.add(ItemLink(from_item_id=item_id, to_item_id=source.id, kind=link, created_at=now))
    return item_id


def _create_item(
    rt: Runtime, session: Session, scope: Scope, definition: Definition, item_list: ItemList,
    org: Organisation, new: NewItem, now: datetime, *, row: str, parent: Item | None = None,
    partial: bool = False, reason: str | None = None, extra: dict[str, Any] | None = None,
) -> int:
    _require_text(f"{row}.title", new.title)
    _require_people(session, new, row)
    try:
        values = load_fields(definition, new.fields, partial=partial)
    except InvalidInput as exc:
        raise InvalidInput(f"{row}: {exc.message}", **exc.details) from None
    due = definition.deadlines.due
    due_at = new.due_at or (due.after(now, rt.calendar) if due else None)
    if due_at is not None and due_at <= now:
        raise InvalidInput(f"{row}.due_at: the due date must be in the future")
    item = Item(
        list_id=item_list.id, kind=definition.kind, definition_version=definition.version,
        title=new.title.strip(), fields=values, assignee_org_id=org.id, org_path=org.path,
        issuer_org_id=item_list.issuer_org_id, issuer_path=item_list.issuer_path,
        primary_person_id=new.primary_person_id, direct_person_id=new.direct_person_id,
        state=definition.initial, is_open=True, due_at=due_at, original_due_at=due_at,
        planned_start_at=new.planned_start_at,
        next_deadline_at=next_deadline(definition, definition.initial, due_at, now,
                                       calendar=rt.calendar,
                                       planned_start_at=new.planned_start_at),
        escalation_level=0, parent_id=parent.id if parent else None, version=1,
        ledger_seq=0, created_at=now, updated_at=now,
    )
    session.add(item)
    session.flush()
    rollups.note(None, rollups.Facts.of(item))
    inputs = {"title": item.title, "fields": values, "due_at": due_at, **(extra or {})}
    if parent is not None:
        inputs["parent"] = parent.id
    _append_item_entry(session, item, scope, now, action="issue", to_state=item.state,
                       inputs=inputs, reason=reason)
    return item.id


def _append_item_entry(
    session: Session, item: Item, scope: Scope, now: datetime, *, action: str,
    to_state: str | None = None, inputs: dict[str, Any] | None = None, reason: str | None = None,
) -> None:
    subject = f"item:{item.id}"
    head = ledger.Head(item.ledger_seq, item.ledger_head or ledger.genesis_hash(subject))
    tip = ledger.append(
        session, subject=subject, head=head, at=now, action=action, actor_id=scope.person_id,
        item_id=item.id, org_id=item.assignee_org_id, to_state=to_state, inputs=inputs,
        reason=reason,
    )
    item.ledger_seq, item.ledger_head = tip.seq, tip.hash
    session.flush()


def _earlier_issue(session: Session, scope: Scope, key: str | None) -> IssuedList | None:
    if not key or scope.person_id is None:
        return None
    found = session.scalars(
        select(ItemList).where(ItemList.issued_by_id == scope.person_id,
                               ItemList.idempotency_key == key)
    ).first()
    if found is None:
        return None
    ids = session.scalars(select(Item.id).where(Item.list_id == found.id).order_by(Item.id)).all()
    return IssuedList(found.id, tuple(ids), created=False)


def _issuer_org(session: Session, scope: Scope, org_id: int) -> Organisation:
    org = _share_locked(session, org_id)
    if org is None or not any(org.path.startswith(p) for p in scope.org_paths()):
        raise NotFound(f"organisation {org_id} not found")
    if not scope.holds("issuer", org.path, org.path):
        raise NotAllowed(f"you do not hold the issuer role at {org.name}")
    return org


def _assignee(
    session: Session, owner: Organisation, org_id: int, row: str, *, strict: bool = False
) -> Organisation:
    org = _share_locked(session, org_id)
    inside = org is not None and org.path.startswith(owner.path)
    if not inside or org is None or org.closed_at is not None or (strict and org.id == owner.id):
        where = "below" if strict else "within"
        raise InvalidInput(
            f"{row}.assignee_org_id: organisation {org_id} is not an open unit "
            f"{where} {owner.name}",
            fields={f"{row}.assignee_org_id": ["outside the issuing unit"]},
        )
    return org


def _require_people(session: Session, new: NewItem, row: str) -> None:
    """Responsible people must exist (a dangling id would only fail at commit)."""
    for name in ("primary_person_id", "direct_person_id"):
        person_id = getattr(new, name)
        if person_id is not None and session.get(Person, person_id) is None:
            raise InvalidInput(f"{row}.{name}: person {person_id} not found",
                               fields={f"{row}.{name}": ["unknown person"]})


def _require_text(name: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name}: must not be empty", fields={name: ["required"]})
    if len(value) > 500:
        raise InvalidInput(f"{name}: at most 500 characters", fields={name: ["too long"]})


def _share_locked(session: Session, org_id: int) -> Organisation | None:
    """The unit, held FOR SHARE on PostgreSQL until commit: a concurrent move or rename of it
    waits, so the path copied onto new items cannot go stale before they are written."""
    lock = {"read": True} if _lock(session) else None
    return session.get(Organisation, org_id, with_for_update=lock)


def _lock(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
