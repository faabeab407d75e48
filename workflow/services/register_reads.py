"""The accountability register as people read it: names instead of ids, filters, waivers.

`register_entries` gives the rows; this read model adds what a page or an export shows next to
each: the item and its unit, the responsible people, the ladder step's label from the item's
definition, the escalation waiver in force, and whether the reader may record the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Row, select
from sqlalchemy.orm import Session, aliased

from workflow.access import Scope, in_subtree
from workflow.definitions.model import Label
from workflow.errors import InvalidInput
from workflow.models import AccountabilityEntry, EscalationWaiver, Item, Organisation, Person
from workflow.models.accountability import OUTCOMES
from workflow.runtime import Runtime
from workflow.services.supervision import scope_of

#: the outcome filter: one of OUTCOMES, or "open" for entries without one
OUTCOME_FILTERS = ("open", *OUTCOMES)


@dataclass(frozen=True)
class RegisterFilter:
    outcome: str | None = None
    level: int | None = None
    org_id: int | None = None


@dataclass(frozen=True)
class Waiver:
    reason: str
    until: datetime


@dataclass(frozen=True)
class RegisterRow:
    entry: AccountabilityEntry
    item_title: str
    unit: str
    primary: str | None
    direct: str | None
    decided_by: str | None
    step: Label | None
    waiver: Waiver | None
    may_record: bool


def register_view(rt: Runtime, actor: Person | Scope, flt: RegisterFilter = RegisterFilter(),
                  *, limit: int = 200) -> list[RegisterRow]:
    """Register entries in the actor's scope matching `flt`, newest first (InvalidInput for a
    filter that names an unknown outcome)."""
    scope = scope_of(actor)
    if flt.outcome is not None and flt.outcome not in OUTCOME_FILTERS:
        raise InvalidInput(f"outcome: '{flt.outcome}' is not one of {', '.join(OUTCOME_FILTERS)}",
                           fields={"outcome": ["unknown"]})
    with rt.read() as session:
        unit_path = None
        if flt.org_id is not None:  # the unit and everything below it
            unit_path = session.scalar(
                select(Organisation.path).where(Organisation.id == flt.org_id))
            if unit_path is None:
                return []
        rows: list[Row[Any]] = list(session.execute(_query(scope, flt, limit, unit_path)))
        waivers = _waivers(session, [row[0].item_id for row in rows], rt.clock.now())
        return [RegisterRow(
            entry=row[0], item_title=row.title, unit=row.unit, primary=row.primary,
            direct=row.direct, decided_by=row.decided_by,
            step=_step(rt, row.kind, row.version, row[0].level),
            waiver=waivers.get(row[0].item_id),
            may_record=row[0].outcome is None
            and scope.holds("issuer", row[0].org_path, row[0].issuer_path),
        ) for row in rows]


def _query(scope: Scope, flt: RegisterFilter, limit: int, unit_path: str | None) -> Executable:
    entry = AccountabilityEntry
    primary, direct, decider = aliased(Person), aliased(Person), aliased(Person)
    query = (select(entry, Item.title, Item.kind,
                    Item.definition_version.label("version"), Organisation.name.label("unit"),
                    primary.display_name.label("primary"), direct.display_name.label("direct"),
                    decider.display_name.label("decided_by"))
             .join(Item, Item.id == entry.item_id)
             .join(Organisation, Organisation.id == entry.org_id)
             .outerjoin(primary, primary.id == entry.primary_person_id)
             .outerjoin(direct, direct.id == entry.direct_person_id)
             .outerjoin(decider, decider.id == entry.outcome_by_id)
             .where(scope.item_filter(entry.org_path, entry.issuer_path))
             .order_by(entry.id.desc()).limit(limit))
    if flt.outcome == "open":
        query = query.where(entry.outcome.is_(None))
    elif flt.outcome:
        query = query.where(entry.outcome == flt.outcome)
    if flt.level is not None:
        query = query.where(entry.level == flt.level)
    if unit_path is not None:
        query = query.where(in_subtree(entry.org_path, unit_path))
    return query


def _waivers(session: Session, item_ids: list[int], now: datetime) -> dict[int, Waiver]:
    """The waiver in force for each item (the one lasting longest), if any."""
    if not item_ids:
        return {}
    found: dict[int, Waiver] = {}
    rows = session.scalars(select(EscalationWaiver).where(
        EscalationWaiver.item_id.in_(set(item_ids)), EscalationWaiver.expires_at > now)
        .order_by(EscalationWaiver.expires_at))
    for waiver in rows:
        found[waiver.item_id] = Waiver(waiver.reason, waiver.expires_at)
    return found


def _step(rt: Runtime, kind: str, version: int, level: int) -> Label | None:
    ladder = rt.definitions.get(kind, version).escalation
    return next((s.label for s in ladder if s.level == level), None)
