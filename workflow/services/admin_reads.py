"""What the administration pages show: the units and people an administrator manages.

Administrators manage the subtrees where they hold the `admin` role; a unit or person outside
them answers NotFound, and one merely visible answers NotAllowed (as the writing services do),
so the pages can never show more than the engine would let the administrator change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from workflow.access import Scope, in_subtree
from workflow.errors import NotAllowed
from workflow.models import InspectorAssignment, Organisation, Person, RoleGrant
from workflow.runtime import Runtime
from workflow.services.accounts import managed_person
from workflow.services.org_tree import managed_org
from workflow.services.supervision import scope_of


@dataclass(frozen=True)
class UnitView:
    unit: Organisation
    parent: Organisation | None
    merged_into: Organisation | None
    children: list[Organisation]
    people: list[Person]


@dataclass(frozen=True)
class PersonView:
    person: Person
    unit: Organisation | None
    grants: list[tuple[str, Organisation]]
    inspects: list[Organisation]


def managed_units(rt: Runtime, actor: Person | Scope, *, limit: int = 2000) -> list[Organisation]:
    """Every unit the actor administers, in tree order (NotAllowed for a non-administrator)."""
    scope = _admin(actor)
    inside = [in_subtree(Organisation.path, p) for p in scope.paths("admin")]
    with rt.read() as session:
        return list(session.scalars(select(Organisation).where(or_(*inside))
                                    .order_by(Organisation.path).limit(limit)))


def unit_view(rt: Runtime, actor: Person | Scope, org_id: int) -> UnitView:
    """One managed unit with its parent, open children and people."""
    scope = _admin(actor)
    with rt.read() as session:
        unit = managed_org(session, scope, org_id)
        children = session.scalars(select(Organisation).where(
            Organisation.parent_id == unit.id).order_by(Organisation.path))
        people = session.scalars(select(Person).where(Person.org_id == unit.id)
                                 .order_by(Person.username))
        return UnitView(unit, session.get(Organisation, unit.parent_id) if unit.parent_id else None,
                        session.get(Organisation, unit.merged_into_id)
                        if unit.merged_into_id else None, list(children), list(people))


def person_view(rt: Runtime, actor: Person | Scope, person_id: int) -> PersonView:
    """One managed person with their unit, role grants and inspection assignments."""
    scope = _admin(actor)
    with rt.read() as session:
        person = managed_person(session, scope, person_id)
        grants = session.execute(select(RoleGrant.role, Organisation)
                                 .join(Organisation, Organisation.id == RoleGrant.org_id)
                                 .where(RoleGrant.person_id == person.id)
                                 .order_by(Organisation.path, RoleGrant.role))
        inspects = session.scalars(select(Organisation).join(
            InspectorAssignment, InspectorAssignment.org_id == Organisation.id)
            .where(InspectorAssignment.person_id == person.id).order_by(Organisation.path))
        unit = session.get(Organisation, person.org_id) if person.org_id else None
        return PersonView(person, unit, [(role, org) for role, org in grants], list(inspects))


def _admin(actor: Person | Scope) -> Scope:
    scope = scope_of(actor)
    if not scope.is_admin:
        raise NotAllowed("only an administrator may manage units and people")
    return scope
