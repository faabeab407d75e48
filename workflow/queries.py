"""Read models for the faces: the inbox, one item with its history. Scoped to the actor.

Every read here is one or a few plain SELECTs that need no common snapshot, so each runs as
`rt.read(snapshot=False)`: on PostgreSQL without BEGIN and ROLLBACK (workflow/runtime.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, func, or_, select, true, tuple_
from sqlalchemy.orm import Session

from workflow.access import Scope, in_subtree
from workflow.db import DriverStatement, as_loaded, columns_of
from workflow.definitions.model import Definition, TransitionDef
from workflow.errors import NotAllowed, NotFound
from workflow.models import EvidenceFile, Item, ItemEvidence, LedgerEntry, Organisation, Person
from workflow.runtime import Runtime
from workflow.services import conditions
from workflow.services.evidence import evidence_file
from workflow.services.items import available_actions


@dataclass(frozen=True)
class ItemDetail:
    item: Item
    definition: Definition
    assignee: Organisation
    ledger: list[LedgerEntry]
    evidence: list[ItemEvidence]
    actions: list[TransitionDef]
    #: names of the people the page mentions: ledger actors and the responsible people
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
    with rt.read(snapshot=False) as session:
        return list(session.scalars(query))


_ITEMS, _UNITS, _ATTACHED = Item.__table__, Organisation.__table__, ItemEvidence.__table__
#: an item, its unit, its attachments (one row per attachment) and what its conditions count, so
#: that listing its actions needs no further query. It is the most frequent read of all, so it is
#: compiled once and fetches plain rows (`DriverStatement`), made into objects by `as_loaded`:
#: the ORM's loading of the same rows cost more than the database spends on them.
_ITEM_UNIT_EVIDENCE = DriverStatement(
    select(*_ITEMS.c, *(c.label(f"unit_{c.key}") for c in _UNITS.c),
           *(c.label(f"evidence_{c.key}") for c in _ATTACHED.c),
           conditions.open_children(_ITEMS.c.id).scalar_subquery().label("open_children"),
           conditions.open_rectifications(_ITEMS.c.id).scalar_subquery()
           .label("open_rectifications"))
    .select_from(_ITEMS.join(_UNITS, _UNITS.c.id == _ITEMS.c.assignee_org_id)
                 .outerjoin(_ATTACHED, _ATTACHED.c.item_id == _ITEMS.c.id))
    .where(_ITEMS.c.id == bindparam("item_id")).order_by(_ATTACHED.c.id)
)


def item_detail(rt: Runtime, scope: Scope, item_id: int, *, history: bool = True) -> ItemDetail:
    """One item with its ledger, evidence and the actions the actor may take; NotFound if hidden.

    `history=False` leaves out the ledger and the names of its actors (two queries): the API's
    item read does not show them, and it is the most frequent request of all. The item, its unit
    and its attachments come in one query (one row per attachment), with the counts the
    transitions' conditions need, so the actions cost no query of their own. No transaction is
    needed around the queries (`Runtime.read`): each reads committed rows of this one item.
    """
    with rt.read(snapshot=False) as session:
        rows = _ITEM_UNIT_EVIDENCE.all(session.connection(), {"item_id": item_id})
        if not rows or not scope.can_see(rows[0].org_path, rows[0].issuer_path):
            raise NotFound(f"item {item_id} not found")
        item = as_loaded(Item, columns_of(rows[0], "", _ITEMS))
        evidence = [as_loaded(ItemEvidence, columns_of(row, "evidence_", _ATTACHED))
                    for row in rows if row.evidence_id is not None]
        session.info[conditions.KNOWN] = {
            ("all_children_closed", item_id): rows[0].open_children,
            ("linked_rectifications_closed", item_id): rows[0].open_rectifications,
            ("has_evidence", item_id): 0 if evidence else 1,
        }
        entries = list(session.scalars(
            select(LedgerEntry).where(LedgerEntry.item_id == item_id).order_by(LedgerEntry.id)
        )) if history else []
        return ItemDetail(
            item=item,
            definition=rt.definitions.get(item.kind, item.definition_version),
            assignee=as_loaded(Organisation, columns_of(rows[0], "unit_", _UNITS)),
            ledger=entries,
            evidence=evidence,
            actions=available_actions(rt, session, scope, item),
            actors=_names(session, {e.actor_id for e in entries if e.actor_id}
                          | {p for p in (item.primary_person_id, item.direct_person_id) if p})
            if history else {},
        )


@dataclass(frozen=True)
class RollUp:
    """How far an item's decomposition has come: its visible child items and their counts."""

    children: list[Item]
    closed: int
    overdue: int

    @property
    def total(self) -> int:
        return len(self.children)


def child_items(rt: Runtime, scope: Scope, item_id: int, *, limit: int = 200) -> RollUp:
    """The child items (decomposition) of an item that the actor can see, by due date."""
    query = (select(Item).where(Item.parent_id == item_id,
                                scope.item_filter(Item.org_path, Item.issuer_path))
             .order_by(Item.due_at.asc().nulls_last(), Item.id).limit(limit))
    now = rt.clock.now()
    with rt.read(snapshot=False) as session:
        children = list(session.scalars(query))
    closed = sum(1 for c in children if not c.is_open)
    overdue = sum(1 for c in children if c.is_open and c.due_at is not None and c.due_at <= now)
    return RollUp(children, closed, overdue)


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


@dataclass(frozen=True)
class ItemFilter:
    """What a caller may narrow an item search by; every field is optional (None = any)."""

    kinds: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    unit_id: int | None = None
    person_id: int | None = None
    is_open: bool | None = None
    overdue: bool | None = None
    escalation_level_min: int | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None
    text: str | None = None


#: a keyset position: the last row's (due_at, id); rows without a due date sort last
Position = tuple[datetime | None, int]


def find_items(
    rt: Runtime, scope: Scope, where: ItemFilter, *, limit: int = 50,
    after: Position | None = None, descending: bool = False,
) -> list[Item]:
    """Visible items matching `where`, by due date then id, one keyset page at a time.

    The order (due_at, id) is served by ix_items_due (or a scope's path index); the page after
    `after` is a range condition, so deep pages cost what the first one does. An unknown or
    hidden `unit_id` raises NotFound. A visible unit lies inside a subtree the scope covers by
    org_path, so with `unit_id` its range alone is the scope filter (and the one range the
    planner sees: SQLite would otherwise range over the whole scope).
    """
    query = select(*_ITEMS.c)  # rows made into items by `as_loaded`: a list page is 50 items
    if where.unit_id is None:
        query = query.where(scope.item_filter(Item.org_path, Item.issuer_path))
    with rt.read(snapshot=False) as session:
        query = query.where(*_item_conditions(session, scope, where, rt.clock.now()))
        due = Item.due_at.desc() if descending else Item.due_at.asc()
        ident = Item.id.desc() if descending else Item.id.asc()
        ordered = query.order_by(due.nulls_last(), ident).limit(limit)
        if after is not None:
            ordered = ordered.where(_after(after, descending))
        rows = list(session.execute(ordered))
        if after is not None and after[0] is not None and len(rows) < limit:
            undated = query.where(Item.due_at.is_(None)).order_by(ident)  # past the dated ones
            rows += session.execute(undated.limit(limit - len(rows)))
    return [as_loaded(Item, row._mapping) for row in rows]


def _item_conditions(
    session: Session, scope: Scope, where: ItemFilter, now: datetime
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.kinds:
        conditions.append(Item.kind.in_(where.kinds))
    if where.states:
        conditions.append(Item.state.in_(where.states))
    if where.unit_id is not None:
        conditions.append(in_subtree(Item.org_path, _unit_path(session, scope, where.unit_id)))
    if where.person_id is not None:
        conditions.append(or_(Item.primary_person_id == where.person_id,
                              Item.direct_person_id == where.person_id))
    if where.is_open is not None:
        conditions.append(Item.is_open == where.is_open)
    if where.overdue is not None:
        late = and_(Item.is_open == true(), Item.due_at <= now)
        conditions.append(late if where.overdue else ~late | Item.due_at.is_(None))
    if where.escalation_level_min is not None:
        conditions.append(Item.escalation_level >= where.escalation_level_min)
    if where.due_after is not None:
        conditions.append(Item.due_at >= where.due_after)
    if where.due_before is not None:
        conditions.append(Item.due_at < where.due_before)
    if where.text:
        conditions.append(func.lower(Item.title).contains(where.text.lower(), autoescape=True))
    return conditions


def _unit_path(session: Session, scope: Scope, org_id: int) -> str:
    path = session.scalar(select(Organisation.path).where(Organisation.id == org_id))
    if path is None or not any(path.startswith(p) for p in scope.org_paths()):
        raise NotFound(f"organisation {org_id} not found")
    return path


def _after(position: Position, descending: bool) -> ColumnElement[bool]:
    """The rows after `position`: one row-value range that the (due_at, id) index serves.

    It leaves out the rows without a due date (a comparison with NULL is not true), which sort
    last: find_items fetches those separately. An OR with `due_at IS NULL` here would make
    PostgreSQL filter the whole index instead (seconds for a leader's page at a million items).
    """
    due, item_id = position
    later_id = Item.id < item_id if descending else Item.id > item_id
    if due is None:
        return and_(Item.due_at.is_(None), later_id)
    pair, mark = tuple_(Item.due_at, Item.id), tuple_(due, item_id)
    return pair < mark if descending else pair > mark


@dataclass(frozen=True)
class EvidenceDownload:
    path: Path
    filename: str
    content_type: str
    size: int
    sha256: str


def evidence_download(rt: Runtime, scope: Scope, item_id: int, sha256: str) -> EvidenceDownload:
    """The stored file of one attachment of a visible item; NotFound otherwise."""
    query = (
        select(ItemEvidence, EvidenceFile, Item)
        .join(EvidenceFile, EvidenceFile.sha256 == ItemEvidence.sha256)
        .join(Item, Item.id == ItemEvidence.item_id)
        .where(ItemEvidence.item_id == item_id, ItemEvidence.sha256 == sha256)
    )
    with rt.read(snapshot=False) as session:
        row = session.execute(query).first()
    if row is None or not scope.can_see(row.Item.org_path, row.Item.issuer_path):
        raise NotFound(f"evidence {sha256[:12]} of item {item_id} not found")
    path = evidence_file(rt, sha256)
    if not path.is_file():
        raise NotFound(f"the file of evidence {sha256[:12]} is missing from the store")
    return EvidenceDownload(path, row.ItemEvidence.filename, row.EvidenceFile.content_type,
                            row.EvidenceFile.size, sha256)


def visible_orgs(rt: Runtime, scope: Scope, *, after: int | None = None,
                 limit: int = 100) -> list[Organisation]:
    """Units inside any subtree where the actor holds a role or inspects, by id."""
    inside = [in_subtree(Organisation.path, p) for p in scope.org_paths()]
    query = select(Organisation).where(or_(*inside) if inside else false())
    if after is not None:
        query = query.where(Organisation.id > after)
    with rt.read(snapshot=False) as session:
        return list(session.scalars(query.order_by(Organisation.id).limit(limit)))


def people_in_scope(rt: Runtime, scope: Scope, *, after: int | None = None,
                    limit: int = 100) -> list[Person]:
    """People of the units an administrator manages, by id; NotAllowed for anyone else."""
    managed = [in_subtree(Organisation.path, p) for p in scope.paths("admin")]
    if not managed:
        raise NotAllowed("only an administrator may list people")
    query = select(Person).join(Organisation, Organisation.id == Person.org_id).where(or_(*managed))
    if after is not None:
        query = query.where(Person.id > after)
    with rt.read(snapshot=False) as session:
        return list(session.scalars(query.order_by(Person.id).limit(limit)))
