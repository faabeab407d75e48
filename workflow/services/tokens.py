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

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from workflow import ledger
from workflow.access import Scope
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.models import Person, PersonToken
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
    found = rt.read_first(lambda session: _token_and_owner(session, parts[1]), snapshot=False)
    if found is None:
        return None
    row, owner = found
    if not hmac.compare_digest(row.secret_hash, _digest(presented.strip())):
        return None
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    if not owner.active or owner.must_change_password:
        return None
    if row.last_used_at is None or row.last_used_at <= now - TOUCH_EVERY:
        _touch(rt, row.id, now)
    return owner


#: the token with a prefix and its owner, roles loaded. Built once: building it and deriving its
#: cache key cost a request more than the database spends on it.
_TOKEN_AND_OWNER = (
    select(PersonToken, Person).join(Person, Person.id == PersonToken.person_id)
    .where(PersonToken.prefix == bindparam("prefix"))
    .options(joinedload(Person.grants), joinedload(Person.assignments))
)


def _token_and_owner(session: Session, prefix: str) -> tuple[PersonToken, Person] | None:
    """The token with this prefix and its owner, roles loaded, in one statement (every API
    request runs this before anything else, without a transaction: see `Runtime.read`)."""
    found = session.execute(_TOKEN_AND_OWNER, {"prefix": prefix}).unique().first()
    return None if found is None else (found[0], found[1])


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
