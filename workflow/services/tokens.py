"""Personal API tokens: created for a person, shown once, stored hashed, expiring, revocable.

A token reads `sdn_<prefix>_<secret>`. The prefix (12 hex digits) is a public handle that finds
the row through a unique index; the whole token's SHA-256 is compared in constant time. A token
carries no roles of its own: it signs its owner in, so it can do exactly what the owner can, and
nothing once the owner is disabled. Creating and revoking tokens is recorded in the owner's
ledger chain ("person:ID").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, null, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflow import ledger
from workflow.access import Scope
from workflow.db import DriverStatement, as_loaded, columns_of
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.models import InspectorAssignment, Organisation, Person, PersonToken, RoleGrant
from workflow.runtime import Runtime
from workflow.services.accounts import managed_person

MAX_DAYS = 366
#: last_used_at is written at most this often per token, so API reads do not all become writes
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class NewToken:
    """What creating a token returns: the only time the secret is ever available."""

    id: int
    token: str
    prefix: str
    expires_at: datetime


def create_token(rt: Runtime, actor: Person | Scope, person_id: int, *, name: str,
                 days: int = 90) -> NewToken:
    """A new token for `person_id` (the actor themselves, or someone they administer)."""
    scope = _scope(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("name: 1 to 100 characters", fields={"name": ["1 to 100 characters"]})
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days: a token lives 1 to {MAX_DAYS} days",
                           fields={"days": [f"1 to {MAX_DAYS}"]})
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    token = f"sdn_{prefix}_{secret}"
    now = rt.clock.now()
    with rt.transaction() as session:
        owner = _owner(session, scope, person_id)
        row = PersonToken(person_id=owner.id, name=name, prefix=prefix, secret_hash=_digest(token),
                          created_at=now, created_by_id=scope.person_id,
                          expires_at=now + timedelta(days=days))
        session.add(row)
        session.flush()
        ledger.append(session, subject=f"person:{owner.id}", at=now, action="token.create",
                      actor_id=scope.person_id, org_id=owner.org_id,
                      inputs={"token": row.id, "name": name, "prefix": prefix,
                              "expires_at": row.expires_at})
        return NewToken(row.id, token, prefix, row.expires_at)


def revoke_token(rt: Runtime, actor: Person | Scope, token_id: int) -> None:
    """Revoke a token of the actor's own or of someone they administer (NotFound otherwise)."""
    scope = _scope(actor)
    now = rt.clock.now()
    with rt.transaction() as session:
        row = session.get(PersonToken, token_id)
        if row is None:
            raise NotFound(f"token {token_id} not found")
        owner = _owner(session, scope, row.person_id, hide=f"token {token_id} not found")
        if row.revoked_at is not None:
            return
        row.revoked_at = now
        ledger.append(session, subject=f"person:{owner.id}", at=now, action="token.revoke",
                      actor_id=scope.person_id, org_id=owner.org_id,
                      inputs={"token": row.id, "prefix": row.prefix})


def list_tokens(rt: Runtime, actor: Person | Scope, person_id: int) -> list[PersonToken]:
    """The person's tokens, newest first (never their secrets: those are not kept)."""
    with rt.read() as session:
        _owner(session, _scope(actor), person_id)
        query = select(PersonToken).where(PersonToken.person_id == person_id)
        return list(session.scalars(query.order_by(PersonToken.id.desc())))


def authenticate_token(rt: Runtime, presented: str) -> Person | None:
    """The owner of a valid token; None for anything else (malformed, unknown, expired,
    revoked, or an owner who is disabled or still has to change an initial password)."""
    parts = (presented or "").strip().split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != "sdn" or len(parts[1]) != 12:
        return None
    now = rt.clock.now()
    rows = rt.read_first(lambda session: _SIGN_IN.all(session.connection(), {"prefix": parts[1]}),
                         snapshot=False)
    if not rows:
        return None
    first = rows[0]
    if not hmac.compare_digest(first.secret_hash, _digest(presented.strip())):
        return None
    if first.revoked_at is not None or first.expires_at <= now:
        return None
    if not first.active or first.must_change_password:
        return None
    if first.last_used_at is None or first.last_used_at <= now - TOUCH_EVERY:
        _touch(rt, first.token_id, now)
    return _owner_from_rows(rows)


_TOKENS, _PEOPLE, _UNITS = PersonToken.__table__, Person.__table__, Organisation.__table__
#: a person's grants and inspected units as one relation (`role` is NULL for an inspected unit)
_ROLES = union_all(
    select(RoleGrant.person_id, RoleGrant.id, RoleGrant.role, RoleGrant.org_id,
           RoleGrant.granted_at.label("since")),
    select(InspectorAssignment.person_id, InspectorAssignment.id, null(),
           InspectorAssignment.org_id, InspectorAssignment.assigned_at),
).subquery("roles")
#: the token with a prefix, its owner, and one row per grant or inspected unit with the unit's
#: path: everything signing in needs, in one statement. Every API request runs it first, so it
#: is compiled once and fetches plain rows (`DriverStatement`); the ORM's loading of the same
#: token, person, grants, assignments and units cost a third of an item read.
_SIGN_IN = DriverStatement(
    select(_TOKENS.c.id.label("token_id"), _TOKENS.c.secret_hash, _TOKENS.c.expires_at,
           _TOKENS.c.revoked_at, _TOKENS.c.last_used_at, *_PEOPLE.c,
           _ROLES.c.id.label("role_row_id"), _ROLES.c.role, _ROLES.c.org_id.label("role_org_id"),
           _ROLES.c.since, _UNITS.c.path.label("role_org_path"))
    .select_from(_TOKENS.join(_PEOPLE, _PEOPLE.c.id == _TOKENS.c.person_id)
                 .outerjoin(_ROLES, _ROLES.c.person_id == _PEOPLE.c.id)
                 .outerjoin(_UNITS, _UNITS.c.id == _ROLES.c.org_id))
    .where(_TOKENS.c.prefix == bindparam("prefix"))
    .order_by(_ROLES.c.id)
)


def _owner_from_rows(rows: list[Row[Any]]) -> Person:
    """The token's owner with its grants and inspected units, as a session would have loaded
    them (detached): what `Scope.of` and the faces read of the signed-in person. Of each unit
    only its id and path are loaded, which is all a scope needs."""
    owner = as_loaded(Person, columns_of(rows[0], "", _PEOPLE))
    grants: list[RoleGrant] = []
    assignments: list[InspectorAssignment] = []
    for row in rows:
        if row.role_row_id is None:
            continue  # a person with neither grants nor inspected units
        unit = as_loaded(Organisation, {"id": row.role_org_id, "path": row.role_org_path})
        if row.role is None:
            assignment = as_loaded(InspectorAssignment, {
                "id": row.role_row_id, "person_id": owner.id, "org_id": row.role_org_id,
                "assigned_at": row.since})
            set_committed_value(assignment, "org", unit)
            assignments.append(assignment)
        else:
            grant = as_loaded(RoleGrant, {"id": row.role_row_id, "person_id": owner.id,
                                          "role": row.role, "org_id": row.role_org_id,
                                          "granted_at": row.since})
            set_committed_value(grant, "org", unit)
            grants.append(grant)
    set_committed_value(owner, "grants", grants)
    set_committed_value(owner, "assignments", assignments)
    return owner


def _touch(rt: Runtime, token_id: int, now: datetime) -> None:
    with rt.transaction() as session:
        row = session.get(PersonToken, token_id)
        if row is not None:
            row.last_used_at = now


def _owner(session: Session, scope: Scope, person_id: int, *, hide: str | None = None) -> Person:
    """The person whose tokens the actor may manage: themselves, or someone they administer.

    With `hide`, someone else's token the actor may not manage is "not found", never
    "not allowed", so its existence does not leak.
    """
    if scope.person_id is not None and scope.person_id == person_id:
        owner = session.get(Person, person_id)
        if owner is not None:
            return owner
    try:
        return managed_person(session, scope, person_id)
    except NotAllowed:
        if hide:
            raise NotFound(hide) from None
        raise
    except NotFound:
        raise NotFound(hide or f"person {person_id} not found") from None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _scope(actor: Person | Scope) -> Scope:
    return actor if isinstance(actor, Scope) else Scope.of(actor)
