"""Password hashing with argon2 (argon2-cffi), and the minimum password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workflow.errors import InvalidInput

_HASHER = PasswordHasher()
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    check_policy(password)
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches; False for a wrong password or an unusable hash."""
    if not stored:
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_nothing(password: str) -> None:
    """Spend the time of one verification on a throwaway hash.

    Signing in as an unknown (or locked) user then takes as long as a wrong password for a real
    one, so response times do not reveal which usernames exist.
    """
    global _DUMMY
    if _DUMMY is None or _DUMMY[0] is not _HASHER:
        _DUMMY = (_HASHER, _HASHER.hash("sandan-dummy-password-0"))
    verify_password(_DUMMY[1], password)


_DUMMY: tuple[PasswordHasher, str] | None = None


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def check_policy(password: str) -> None:
    """At least ten characters with letters and digits: a floor, not a guarantee."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_LENGTH} characters")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        raise InvalidInput("the password must contain letters and digits")
