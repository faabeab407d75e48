"""The organisation tree, people and their roles, as engine data. Every change is in the ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import ledger
from workflow.access import Scope
from workflow.definitions.vocabulary import ROLES
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.models import InspectorAssignment, Organisation, Person, RoleGrant
from workflow.passwords import hash_password
from workflow.runtime import Runtime

ORG_KINDS = ("committee", "working_committee", "enterprise", "branch", "group",
             "inspection_team", "department")


def _scope(actor: Person | Scope) -> Scope:
    return actor if isinstance(actor, Scope) else Scope.of(actor)


def _require_admin(scope: Scope, path: str) -> None:
    """Administrators of `path` pass; NotAllowed for others who can see it, NotFound otherwise
    (so a unit outside the actor's scope does not reveal that it exists)."""
    if any(path.startswith(p) for p in scope.paths("admin")):
        return
    if path == "/" or any(path.startswith(p) for p in scope.org_paths()):
        raise NotAllowed("only an administrator of this part of the tree may do that")
    raise NotFound("organisation not found")


def _record(session: Session, scope: Scope, subject: str, action: str, now: datetime,
            org_id: int | None, inputs: dict[str, Any]) -> None:
    ledger.append(session, subject=subject, at=now, action=action, actor_id=scope.person_id,
                  org_id=org_id, inputs=inputs)


def create_org(rt: Runtime, actor: Person | Scope, *, name: str, kind: str,
               parent_id: int | None = None, code: str | None = None) -> int:
    """Create a unit under `parent_id` (a root when None: admins of everything only)."""
    scope = _scope(actor)
    if not name or not name.strip():
        raise InvalidInput("name: must not be empty")
    if kind not in ORG_KINDS:
        raise InvalidInput(f"kind: '{kind}' is not one of {', '.join(ORG_KINDS)}")
    with rt.transaction() as session:
        locking = session.get_bind().dialect.name == "postgresql"
        # locked so that a concurrent move of the parent cannot leave the child a stale path
        parent = (session.get(Organisation, parent_id, with_for_update=locking)
                  if parent_id is not None else None)
        if parent_id is not None and parent is None:
            raise NotFound(f"organisation {parent_id} not found")
        _require_admin(scope, parent.path if parent else "/")
        if parent is not None and parent.closed_at is not None:
            raise InvalidInput(f"parent: unit {parent.id} is closed")
        if code and session.scalar(select(Organisation.id).where(Organisation.code == code)):
            raise InvalidInput(f"code: '{code}' is already used by another unit")
        return add_org(session, scope, rt.clock.now(), name=name, kind=kind, parent=parent,
                       code=code).id


def add_org(session: Session, scope: Scope, now: datetime, *, name: str, kind: str,
            parent: Organisation | None, code: str | None,
            note: dict[str, Any] | None = None) -> Organisation:
    """Insert a checked unit inside the caller's transaction, with its ledger entry."""
    org = Organisation(name=name.strip(), kind=kind, code=code,
                       parent_id=parent.id if parent else None, path=f"/new-{uuid4().hex}/",
                       depth=(parent.depth + 1) if parent else 0, created_at=now)
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    session.flush()
    _record(session, scope, f"org:{org.id}", "org.create", now, org.id,
            {"name": org.name, "kind": kind, "parent": org.parent_id, "code": code,
             **(note or {})})
    return org


def create_person(rt: Runtime, actor: Person | Scope, *, username: str, display_name: str,
                  password: str | None, org_id: int | None = None,
                  must_change_password: bool = True, email: str | None = None,
                  mobile: str | None = None, post: str | None = None) -> int:
    """Create a person; with a password (meeting the policy, stored as argon2) they can sign in."""
    scope = _scope(actor)
    username = (username or "").strip()
    if not username or len(username) > 80:
        raise InvalidInput("username: 1 to 80 characters")
    if not display_name or not display_name.strip():
        raise InvalidInput("display_name: must not be empty")
    hashed = hash_password(password) if password is not None else None
    with rt.transaction() as session:
        org = session.get(Organisation, org_id) if org_id is not None else None
        if org_id is not None and org is None:
            raise NotFound(f"organisation {org_id} not found")
        _require_admin(scope, org.path if org else "/")
        if session.scalar(select(Person.id).where(Person.username == username)):
            raise InvalidInput(f"username: '{username}' is already taken")
        person = add_person(session, scope, rt.clock.now(), username=username,
                            display_name=display_name, password_hash=hashed, org_id=org_id,
                            must_change_password=must_change_password, email=email,
                            mobile=mobile, post=post)
        return person.id


def add_person(session: Session, scope: Scope, now: datetime, *, username: str,
               display_name: str, password_hash: str | None, org_id: int | None,
               must_change_password: bool = True, email: str | None = None,
               mobile: str | None = None, post: str | None = None,
               note: dict[str, Any] | None = None) -> Person:
    """Insert a checked person inside the caller's transaction, with its ledger entry."""
    person = Person(username=username, display_name=display_name.strip(),
                    password_hash=password_hash, org_id=org_id,
                    must_change_password=must_change_password, active=True,
                    session_generation=1, failed_logins=0, email=email, mobile=mobile,
                    post=post, created_at=now)
    session.add(person)
    session.flush()
    _record(session, scope, f"person:{person.id}", "person.create", now, org_id,
            {"username": username, "display_name": person.display_name, "post": post,
             **(note or {})})
    return person


def grant_role(rt: Runtime, actor: Person | Scope, *, person_id: int, org_id: int,
               role: str) -> None:
    """Give `person` the `role` at `org` (and so over its subtree)."""
    scope = _scope(actor)
    if role not in ROLES:
        raise InvalidInput(f"role: '{role}' is not one of {', '.join(ROLES)}")
    with rt.transaction() as session:
        person, org = _person_and_org(session, person_id, org_id)
        _require_admin(scope, org.path)
        add_grant(session, scope, rt.clock.now(), person, org, role)


def add_grant(session: Session, scope: Scope, now: datetime, person: Person,
              org: Organisation, role: str) -> bool:
    """Grant inside the caller's transaction (False when it was held already)."""
    exists = session.scalar(select(RoleGrant.id).where(
        RoleGrant.person_id == person.id, RoleGrant.org_id == org.id, RoleGrant.role == role))
    if exists:
        return False
    session.add(RoleGrant(person_id=person.id, org_id=org.id, role=role, granted_at=now))
    _record(session, scope, f"person:{person.id}", "role.grant", now, org.id,
            {"role": role, "org": org.id})
    return True


def assign_inspector(rt: Runtime, actor: Person | Scope, *, person_id: int, org_id: int) -> None:
    """Assign an inspector a unit to inspect (with its subtree)."""
    scope = _scope(actor)
    with rt.transaction() as session:
        person, org = _person_and_org(session, person_id, org_id)
        _require_admin(scope, org.path)
        add_assignment(session, scope, rt.clock.now(), person, org)


def unassign_inspector(rt: Runtime, actor: Person | Scope, *, person_id: int,
                       org_id: int) -> None:
    """End an inspector's assignment to a unit (NotFound when there is none)."""
    scope = _scope(actor)
    with rt.transaction() as session:
        person, org = _person_and_org(session, person_id, org_id)
        _require_admin(scope, org.path)
        duty = session.scalars(select(InspectorAssignment).where(
            InspectorAssignment.person_id == person.id,
            InspectorAssignment.org_id == org.id)).first()
        if duty is None:
            raise NotFound(f"{person.username} is not assigned to inspect unit {org.id}")
        session.delete(duty)
        _record(session, scope, f"person:{person.id}", "inspector.unassign", rt.clock.now(),
                org.id, {"org": org.id})


def add_assignment(session: Session, scope: Scope, now: datetime, person: Person,
                   org: Organisation) -> bool:
    """Assign inside the caller's transaction (False when it was assigned already)."""
    exists = session.scalar(select(InspectorAssignment.id).where(
        InspectorAssignment.person_id == person.id, InspectorAssignment.org_id == org.id))
    if exists:
        return False
    session.add(InspectorAssignment(person_id=person.id, org_id=org.id, assigned_at=now))
    _record(session, scope, f"person:{person.id}", "inspector.assign", now, org.id,
            {"org": org.id})
    return True


def load_person(rt: Runtime, person_id: int) -> Person | None:
    """A person with grants and assignments loaded, ready to act (None when unknown).

    The web face signs a session's person in with it, the first read of a request, so it is
    repeated once should the pooled connection turn out dead."""
    return rt.read_first(lambda session: session.get(Person, person_id))


def find_person(rt: Runtime, username: str) -> Person | None:
    with rt.read() as session:
        return session.scalars(select(Person).where(Person.username == username)).first()


def _person_and_org(session: Session, person_id: int, org_id: int) -> tuple[Person, Organisation]:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"organisation {org_id} not found")
    return person, org
