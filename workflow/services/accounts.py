"""Accounts: signing in with lockout, password changes, disabling, and ending sessions.

The answer to a sign-in never says whether the account exists: a wrong password, an unknown name,
a disabled or locked account all look the same to the caller, and take about as long.

Every change to an account appends an entry to the person's ledger chain ("person:ID"). A
person's `session_generation` is part of every session id and remember-me cookie the web face
hands out; advancing it (sign-out, password change or reset, disabling) makes every older
session stop working at once, on every device.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import ledger
from workflow.access import Scope
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.models import Organisation, Person, RoleGrant
from workflow.passwords import hash_password, needs_rehash, verify_nothing, verify_password
from workflow.runtime import Runtime

MAX_FAILURES = 10
LOCK_FOR = timedelta(minutes=15)


def authenticate(rt: Runtime, username: str, password: str) -> Person | None:
    """The person when the password is right and the account usable; otherwise None.

    Ten failures in a row lock the account for fifteen minutes; during the lock even the right
    password is refused. The lock is recorded in the person's ledger chain.
    """
    now = rt.clock.now()
    with rt.transaction() as session:
        person = session.scalars(select(Person).where(Person.username == username.strip())).first()
        if person is None or _locked(person, now):
            verify_nothing(password)
            return None
        if not person.active or not verify_password(person.password_hash, password):
            _count_failure(session, person, now)
            return None
        person.failed_logins = 0
        person.locked_until = None
        if person.password_hash and needs_rehash(person.password_hash):
            person.password_hash = hash_password(password)
        return person


def change_password(rt: Runtime, actor: Person, old_password: str, new_password: str) -> Person:
    """The actor changes their own password; every other session of theirs ends.

    Raises NotAllowed (the current password is wrong: counts towards the lockout) or InvalidInput
    (the new password misses the policy, equals the old one or contains the username).
    """
    now = rt.clock.now()
    with rt.transaction() as session:
        person = session.get(Person, actor.id)
        if person is None or not person.active:
            raise NotFound("account not found")
        right = not _locked(person, now) and verify_password(person.password_hash, old_password)
        if not right and not _locked(person, now):
            _count_failure(session, person, now)  # committed: guessing here counts too
        elif right:
            if new_password == old_password:
                raise InvalidInput("the new password must differ from the current one",
                                   fields={"new_password": ["same as the current password"]})
            _set_password(person, new_password, must_change=False)
            _record(session, person.id, person, "account.password_change", now, {})
    if not right:
        raise NotAllowed("the current password is wrong (or the account is locked for now)")
    return person


def reset_password(rt: Runtime, actor: Person | Scope, person_id: int, new_password: str,
                   *, must_change: bool = True) -> None:
    """An administrator sets a new (by default initial, to be changed) password; lifts a lock."""
    now = rt.clock.now()
    with rt.transaction() as session:
        person = managed_person(session, _scope(actor), person_id)
        _set_password(person, new_password, must_change=must_change)
        _record(session, _scope(actor).person_id, person, "account.password_reset", now,
                {"must_change_password": must_change})


def disable_account(rt: Runtime, actor: Person | Scope, person_id: int,
                    reason: str | None = None) -> None:
    """Stop an account: it can no longer sign in, and its sessions and tokens stop at once."""
    scope = _scope(actor)
    if scope.person_id == person_id:
        raise NotAllowed("you cannot disable your own account")
    now = rt.clock.now()
    with rt.transaction() as session:
        person = managed_person(session, scope, person_id)
        if not person.active:
            return
        person.active = False
        person.session_generation += 1
        _record(session, scope.person_id, person, "account.disable", now, {"reason": reason})


def enable_account(rt: Runtime, actor: Person | Scope, person_id: int) -> None:
    """Let a disabled (or locked) account sign in again."""
    now = rt.clock.now()
    with rt.transaction() as session:
        person = managed_person(session, _scope(actor), person_id)
        if person.active and person.locked_until is None and not person.failed_logins:
            return
        person.active = True
        person.failed_logins = 0
        person.locked_until = None
        _record(session, _scope(actor).person_id, person, "account.enable", now, {})


def sign_out(rt: Runtime, person_id: int, generation: int) -> None:
    """End every session of the person (the one signing out was `generation`)."""
    now = rt.clock.now()
    with rt.transaction() as session:
        person = session.get(Person, person_id)
        if person is None or person.session_generation != generation:
            return  # that session was already over: nothing to end
        person.session_generation += 1
        _record(session, person.id, person, "account.sign_out", now, {})


def revoke_role(rt: Runtime, actor: Person | Scope, *, person_id: int, org_id: int,
                role: str) -> None:
    """Take `role` at `org` away from the person (NotFound when they do not hold it)."""
    scope = _scope(actor)
    with rt.transaction() as session:
        person = managed_person(session, scope, person_id)
        org = session.get(Organisation, org_id)
        grant = session.scalars(select(RoleGrant).where(
            RoleGrant.person_id == person.id, RoleGrant.org_id == org_id,
            RoleGrant.role == role)).first()
        if org is None or grant is None or not _admin_of(scope, org.path):
            raise NotFound(f"{person.username} holds no role '{role}' at unit {org_id}")
        session.delete(grant)
        _record(session, scope.person_id, person, "role.revoke", rt.clock.now(),
                {"role": role, "org": org_id})


def managed_person(session: Session, scope: Scope, person_id: int) -> Person:
    """A person the actor administers; NotAllowed if merely visible, NotFound otherwise."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    path = _home_path(session, person)
    if _admin_of(scope, path):
        return person
    visible = person.id == scope.person_id or any(path.startswith(p) for p in scope.org_paths())
    if visible and path != "/":
        raise NotAllowed("only an administrator of the person's unit may change their account")
    raise NotFound(f"person {person_id} not found")


def _home_path(session: Session, person: Person) -> str:
    if person.org_id is None:
        return "/"
    return session.get_one(Organisation, person.org_id).path


def _admin_of(scope: Scope, path: str) -> bool:
    return any(path.startswith(p) for p in scope.paths("admin"))


def _scope(actor: Person | Scope) -> Scope:
    return actor if isinstance(actor, Scope) else Scope.of(actor)


def _locked(person: Person, now: datetime) -> bool:
    return person.locked_until is not None and person.locked_until > now


def _count_failure(session: Session, person: Person, now: datetime) -> None:
    person.failed_logins += 1
    if person.failed_logins >= MAX_FAILURES:
        person.locked_until = now + LOCK_FOR
        person.failed_logins = 0
        _record(session, None, person, "account.lock", now,
                {"failures": MAX_FAILURES, "until": person.locked_until})


def _set_password(person: Person, password: str, *, must_change: bool) -> None:
    if person.username.lower() in password.lower():
        raise InvalidInput("the password must not contain the username",
                           fields={"new_password": ["contains the username"]})
    person.password_hash = hash_password(password)
    person.must_change_password = must_change
    person.session_generation += 1
    person.failed_logins = 0
    person.locked_until = None


def _record(session: Session, actor_id: int | None, person: Person, action: str,
            now: datetime, inputs: dict[str, Any]) -> None:
    """Append to the person's chain; `actor_id` None is the system (the CLI, a lockout)."""
    ledger.append(session, subject=f"person:{person.id}", at=now, action=action,
                  actor_id=actor_id, org_id=person.org_id,
                  inputs={k: v for k, v in inputs.items() if v is not None})
