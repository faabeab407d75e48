"""One exception tree for the whole engine.

Every error a user can cause is a `SandanError` with a stable machine-readable `code`; the faces
map the class to an HTTP status, a flashed message or a CLI exit code in one place each.
"""

from __future__ import annotations

from typing import Any


class SandanError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class ConfigError(SandanError):
    """Settings are missing or malformed; the process must not start."""

    code = "config_error"


class DefinitionError(SandanError):
    """A list definition is invalid. `problems` holds every `file:line: message` found."""

    code = "invalid_definition"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems), problems=problems)
        self.problems = problems


class NotFound(SandanError):
    """The object does not exist or the actor may not see it (existence must not leak)."""

    code = "not_found"


class NotAuthenticated(SandanError):
    """No valid credentials were presented."""

    code = "not_authenticated"


class NotAllowed(SandanError):
    """The actor may see the object but may not do this to it."""

    code = "not_allowed"


class InvalidInput(SandanError):
    """Inputs are missing or malformed; `details["fields"]` maps field to messages."""

    code = "invalid_input"


class TooLarge(InvalidInput):
    """An upload is over its size limit; `details["limit"]` is the limit in bytes."""

    code = "too_large"


class InvalidTransition(SandanError):
    """The trigger is not available in the item's current state (or a condition fails)."""

    code = "invalid_transition"


class VersionConflict(SandanError):
    """The caller's expected version is stale; `details["current_version"]` has the live one."""

    code = "version_conflict"


class TimedOut(SandanError):
    """The database cancelled a statement that ran past the statement timeout; nothing was
    written. Retrying later, or narrowing the request, may succeed."""

    code = "timeout"


class LedgerError(SandanError):
    """The ledger could not be written or read as it must be."""

    code = "ledger_error"
