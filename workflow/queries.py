"""Read models for the faces: the inbox, one item with its history. Scoped to the actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from workflow.access import Scope
from workflow.definitions.model import Definition, TransitionDef
from workflow.errors import NotFound
from workflow.models import Item, ItemEvidence, LedgerEntry, Organisation, Person
from workflow.runtime import Runtime
from workflow.services.items import available_actions


@dataclass(frozen=True)
class ItemDetail:
    item: Item
    definition: Definition
    assignee: Organisation
    ledger: list[LedgerEntry]
    evidence: list[ItemEvidence]
    actions: list[TransitionDef]
    actors: dict[int, str]


def inbox_items(
    rt: Runtime, scope: Scope, *, limit: int = 50, after: tuple[datetime, int] | None = None,
    open_only: bool = True,
) -> list[Item]:
    """Items the actor can see, soonest due first (keyset pagination on (due_at, id))."""
    query = select(Item).where(scope.item_filter(Item.org_path, Item.issuer_path))
    if open_only:
        query = query.where(Item.is_open == true())
    if after is not None:
        due, item_id = after
        query = query.where((Item.due_at > due) | ((Item.due_at == due) & (Item.id > item_id)))
    query = query.order_by(Item.due_at.asc(), Item.id.asc()).limit(limit)
    with rt.read() as session:
        return list(session.scalars(query))


def item_detail(rt: Runtime, scope: Scope, item_id: int) -> ItemDetail:
    """One item with its ledger, evidence and the actions the actor may take; NotFound if hidden."""
    with rt.read() as session:
        item = session.get(Item, item_id)
        if item is None or not scope.can_see(item.org_path, item.issuer_path):
            raise NotFound(f"item {item_id} not found")
        entries = list(session.scalars(
            select(LedgerEntry).where(LedgerEntry.item_id == item_id).order_by(LedgerEntry.id)))
        evidence = list(session.scalars(
            select(ItemEvidence).where(ItemEvidence.item_id == item_id).order_by(ItemEvidence.id)))
        return ItemDetail(
            item=item,
            definition=rt.definitions.get(item.kind, item.definition_version),
            assignee=session.get_one(Organisation, item.assignee_org_id),
            ledger=entries,
            evidence=evidence,
            actions=available_actions(rt, session, scope, item),
            actors=_names(session, {e.actor_id for e in entries if e.actor_id}),
        )


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Person.id, Person.display_name).where(Person.id.in_(ids)))
    return {row.id: row.display_name for row in rows}


def light(definition: Definition, item: Item, now: datetime) -> dict[str, Any] | None:
    """The traffic light an item shows now, from the definition's colours and thresholds."""
    if not item.is_open or item.due_at is None or not definition.lights:
        return None
    overdue = item.due_at <= now
    default = None
    for candidate in definition.lights:
        if candidate.overdue and overdue:
            return {"name": candidate.name, "color": candidate.color, "label": candidate.label}
        if candidate.within and not overdue and candidate.within.before(item.due_at) <= now:
            return {"name": candidate.name, "color": candidate.color, "label": candidate.label}
        if not candidate.within and not candidate.overdue:
            default = candidate
    if default is None:
        return None
    return {"name": default.name, "color": default.color, "label": default.label}
