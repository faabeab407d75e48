"""Organisations and people: the tree you can see; creating units, people and grants (admins)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api.common import (
    actor,
    decode_cursor,
    encode_cursor,
    make_blueprint,
    runtime,
    scope,
    statuses,
)
from api.schemas import (
    GrantIn,
    InspectIn,
    OrgIn,
    OrgOut,
    OrgPageOut,
    PageQuery,
    PersonIn,
    PersonOut,
    PersonPageOut,
)
from workflow.errors import InvalidInput, NotFound
from workflow.models import Organisation, Person
from workflow.queries import people_in_scope, visible_orgs
from workflow.services import orgs

bp = make_blueprint("Organisations", "The organisation tree and its people (admins change them).")
PERSON = "/people/<int(min=1, max=2147483647):person_id>"
_ORG = ("id", "parent_id", "name", "kind", "code", "depth", "closed_at")
_PERSON = ("id", "username", "display_name", "org_id", "post", "email", "mobile", "active")


def _after(query: dict[str, Any]) -> int | None:
    if query.get("cursor") is None:
        return None
    (last,) = decode_cursor(query["cursor"], 1)
    if not isinstance(last, int) or isinstance(last, bool):
        raise InvalidInput("cursor: not a cursor this API gave out", fields={"cursor": ["invalid"]})
    return last


def _org(org: Organisation) -> dict[str, Any]:
    return {c: getattr(org, c) for c in _ORG}


def person_out(person: Person) -> dict[str, Any]:
    return {**{c: getattr(person, c) for c in _PERSON},
            "roles": [{"role": g.role, "org_id": g.org_id} for g in person.grants],
            "inspects": [a.org_id for a in person.assignments]}


def _reloaded(person_id: int) -> Person:
    person = orgs.load_person(runtime(), person_id)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    return person


@bp.route("/orgs")
class Orgs(MethodView):
    @bp.arguments(PageQuery, location="query", unknown="raise")
    @bp.response(200, OrgPageOut)
    @statuses(bp, 401)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Units in the subtrees where you hold a role or inspect, by id.

        Statuses: 200; 401; 422 bad limit or cursor.
        """
        limit = query["limit"]
        rows = visible_orgs(runtime(), scope(), after=_after(query), limit=limit + 1)
        return {"orgs": [_org(o) for o in rows[:limit]],
                "next_cursor": encode_cursor(rows[limit - 1].id) if len(rows) > limit else None}

    @bp.arguments(OrgIn)
    @bp.response(201, OrgOut)
    @statuses(bp, 400, 401, 403, 404)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a unit under `parent_id` (administrators of the parent's subtree).

        Statuses: 201; 400; 401; 403 not an administrator there; 404 unknown parent;
        422 invalid name, kind or a code already used.
        """
        org_id = orgs.create_org(runtime(), actor(), name=body["name"], kind=body["kind"],
                                 parent_id=body.get("parent_id"), code=body.get("code"))
        created = visible_orgs(runtime(), scope(), after=org_id - 1, limit=1)
        return _org(created[0])


@bp.route("/people")
class People(MethodView):
    @bp.arguments(PageQuery, location="query", unknown="raise")
    @bp.response(200, PersonPageOut)
    @statuses(bp, 401, 403)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """People of the units you administer, by id.

        Statuses: 200; 401; 403 not an administrator; 422 bad limit or cursor.
        """
        limit = query["limit"]
        rows = people_in_scope(runtime(), scope(), after=_after(query), limit=limit + 1)
        return {"people": [person_out(p) for p in rows[:limit]],
                "next_cursor": encode_cursor(rows[limit - 1].id) if len(rows) > limit else None}

    @bp.arguments(PersonIn)
    @bp.response(201, PersonOut)
    @statuses(bp, 400, 401, 403, 404)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a person (with a password meeting the policy, they can sign in).

        Statuses: 201; 400; 401; 403 not an administrator of the unit; 404 unknown unit;
        422 invalid or taken username, or a weak password.
        """
        person_id = orgs.create_person(runtime(), actor(), **{"password": None, **body})
        return person_out(_reloaded(person_id))


@bp.route(PERSON + "/grants")
class Grants(MethodView):
    @bp.arguments(GrantIn)
    @bp.response(200, PersonOut)
    @statuses(bp, 400, 401, 403, 404)
    def post(self, body: dict[str, Any], person_id: int) -> dict[str, Any]:
        """Grant a role at a unit (and so over its subtree); granting it again changes nothing.

        Statuses: 200; 400; 401; 403 not an administrator of that unit; 404 unknown person
        or unit; 422 unknown role.
        """
        orgs.grant_role(runtime(), actor(), person_id=person_id, **body)
        return person_out(_reloaded(person_id))


@bp.route(PERSON + "/inspections")
class Inspections(MethodView):
    @bp.arguments(InspectIn)
    @bp.response(200, PersonOut)
    @statuses(bp, 400, 401, 403, 404)
    def post(self, body: dict[str, Any], person_id: int) -> dict[str, Any]:
        """Assign an inspector a unit to inspect (with its subtree).

        Statuses: 200; 400; 401; 403 not an administrator of that unit; 404 unknown person
        or unit.
        """
        orgs.assign_inspector(runtime(), actor(), person_id=person_id, org_id=body["org_id"])
        return person_out(_reloaded(person_id))
