"""Reading the ledger (台账) within the actor's scope, and verifying it (administrators).

An entry about an item is visible to whoever can see the item; an entry about the organisation
tree or its people (no item) only to administrators of that part of the tree. Pages are keyset
ranges on the entry id, ascending, so a client can follow the ledger as a feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_, select

from workflow.access import Scope, in_subtree
from workflow.checkpoints import Verification, verify
from workflow.errors import NotAllowed, NotFound
from workflow.models import Item, LedgerEntry, Organisation, Person
from workflow.runtime import Runtime


@dataclass(frozen=True)
class LedgerFilter:
    """What a caller may narrow the ledger by; None means any."""

    item_id: int | None = None
    unit_id: int | None = None
    actor_id: int | None = None
    action: str | None = None
    trigger: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def ledger_rows(
    rt: Runtime, scope: Scope, where: LedgerFilter, *, after: int | None = None, limit: int = 100
) -> list[LedgerEntry]:
    """Visible entries matching `where`, oldest first, after entry id `after`.

    Raises NotFound when `where.item_id` or `where.unit_id` names something the actor cannot see.
    """
    query = (
        select(LedgerEntry)
        .outerjoin(Item, Item.id == LedgerEntry.item_id)
        .outerjoin(Organisation, Organisation.id == LedgerEntry.org_id)
        .where(_visible(scope))
    )
    with rt.read() as session:
        if where.item_id is not None:
            item = session.get(Item, where.item_id)
            if item is None or not scope.can_see(item.org_path, item.issuer_path):
                raise NotFound(f"item {where.item_id} not found")
            query = query.where(LedgerEntry.item_id == where.item_id)
        if where.unit_id is not None:
            path = session.scalar(select(Organisation.path).where(Organisation.id == where.unit_id))
            if path is None or not any(path.startswith(p) for p in scope.org_paths()):
                raise NotFound(f"organisation {where.unit_id} not found")
            query = query.where(in_subtree(Organisation.path, path))
        query = query.where(*_conditions(where))
        if after is not None:
            query = query.where(LedgerEntry.id > after)
        return list(session.scalars(query.order_by(LedgerEntry.id).limit(limit)))


def _visible(scope: Scope) -> ColumnElement[bool]:
    admin = [in_subtree(Organisation.path, p) for p in scope.paths("admin")]
    return or_(
        and_(LedgerEntry.item_id.isnot(None), scope.item_filter(Item.org_path, Item.issuer_path)),
        and_(LedgerEntry.item_id.is_(None), or_(*admin) if admin else false()),
    )


def _conditions(where: LedgerFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.actor_id is not None:
        conditions.append(LedgerEntry.actor_id == where.actor_id)
    if where.action is not None:
        conditions.append(LedgerEntry.action == where.action)
    if where.trigger is not None:
        conditions.append(LedgerEntry.trigger == where.trigger)
    if where.since is not None:
        conditions.append(LedgerEntry.at >= where.since)
    if where.until is not None:
        conditions.append(LedgerEntry.at < where.until)
    return conditions


def verify_ledger(rt: Runtime, actor: Person | Scope) -> Verification:
    """Recompute every hash and chain against the signed checkpoints (administrators only).

    The check covers the whole ledger, so it reveals counts outside any subtree: NotAllowed for
    anyone who is not an administrator.
    """
    scope = actor if isinstance(actor, Scope) else Scope.of(actor)
    if not scope.is_admin:
        raise NotAllowed("only an administrator may verify the ledger")
    with rt.read() as session:
        return verify(session, rt.checkpoint_path, rt.ledger_key())
