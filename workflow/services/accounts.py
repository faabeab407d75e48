"""Signing in: password checks with lockout after repeated failures.

The answer never says whether the account exists: a wrong password, an unknown name, a disabled
or locked account all look the same to the caller.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from workflow.models import Person
from workflow.passwords import verify_password
from workflow.runtime import Runtime

MAX_FAILURES = 10
LOCK_FOR = timedelta(minutes=15)


def authenticate(rt: Runtime, username: str, password: str) -> Person | None:
    """The person when the password is right and the account usable; otherwise None."""
    now = rt.clock.now()
    with rt.transaction() as session:
        person = session.scalars(select(Person).where(Person.username == username.strip())).first()
        if person is None:
            return None
        if person.locked_until is not None and person.locked_until > now:
            return None
        if not person.active or not verify_password(person.password_hash, password):
            person.failed_logins += 1
            if person.failed_logins >= MAX_FAILURES:
                person.locked_until = now + LOCK_FOR
                person.failed_logins = 0
            return None
        person.failed_logins = 0
        person.locked_until = None
        return person
