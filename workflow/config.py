"""Settings: read once from the environment (prefix `SANDAN_`), validated, then frozen.

The CLI, the worker and the web app all build the same `Settings`; nothing reads the environment
anywhere else. Unknown `SANDAN_*` variables are refused so a misspelt setting is never ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflow.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything the engine and its faces are configured with."""

    instance_path: Path
    database_url: str
    definitions_path: Path
    secret_key: str
    timezone: str = "Asia/Shanghai"
    environment: str = "development"
    ledger_key_file: Path | None = None
    checkpoint_path: Path | None = None
    evidence_path: Path | None = None
    checkpoint_every: int = 1000
    sql_echo: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some values changed (tests, the demo)."""
        return _resolve(replace(self, **changes))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read and validate `SANDAN_*` variables; raises ConfigError naming what is wrong."""
        source = dict(os.environ if environ is None else environ)
        _refuse_unknown(source)
        return _resolve(cls(**_read(source)))


_KNOWN = {
    "SANDAN_INSTANCE_PATH",
    "SANDAN_DATABASE_URL",
    "SANDAN_DEFINITIONS_PATH",
    "SANDAN_SECRET_KEY",
    "SANDAN_TIMEZONE",
    "SANDAN_ENV",
    "SANDAN_LEDGER_KEY_FILE",
    "SANDAN_CHECKPOINT_PATH",
    "SANDAN_EVIDENCE_PATH",
    "SANDAN_CHECKPOINT_EVERY",
    "SANDAN_SQL_ECHO",
    # read by the test suite only
    "SANDAN_TEST_POSTGRES_URL",
    "SANDAN_TEST_DATABASES",
}


def _refuse_unknown(source: dict[str, str]) -> None:
    unknown = sorted(k for k in source if k.startswith("SANDAN_") and k not in _KNOWN)
    if unknown:
        raise ConfigError(
            f"unknown setting(s): {', '.join(unknown)}; known settings are "
            + ", ".join(sorted(_KNOWN))
        )


def _read(source: dict[str, str]) -> dict[str, Any]:
    def get(name: str) -> str | None:
        return source.get(f"SANDAN_{name}") or None

    instance = Path(get("INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    every = get("CHECKPOINT_EVERY") or "1000"
    if not every.isdigit() or int(every) < 1:
        raise ConfigError(f"SANDAN_CHECKPOINT_EVERY must be a whole number >= 1, got {every!r}")
    return {
        "instance_path": instance,
        "database_url": get("DATABASE_URL") or f"sqlite:///{instance / 'sandan.db'}",
        "definitions_path": Path(get("DEFINITIONS_PATH") or PROJECT_ROOT / "definitions"),
        "secret_key": get("SECRET_KEY") or "",
        "timezone": get("TIMEZONE") or "Asia/Shanghai",
        "environment": get("ENV") or "development",
        "ledger_key_file": _path(get("LEDGER_KEY_FILE")),
        "checkpoint_path": _path(get("CHECKPOINT_PATH")),
        "evidence_path": _path(get("EVIDENCE_PATH")),
        "checkpoint_every": int(every),
        "sql_echo": (get("SQL_ECHO") or "").lower() in ("1", "true", "yes"),
    }


def _path(value: str | None) -> Path | None:
    return Path(value).resolve() if value else None


def _resolve(settings: Settings) -> Settings:
    """Fill derived defaults and check the values that need more than a type."""
    if settings.environment not in ("development", "production", "test"):
        raise ConfigError(
            f"SANDAN_ENV must be development, production or test, got {settings.environment!r}"
        )
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"SANDAN_TIMEZONE {settings.timezone!r} is not a known time zone") from None
    if not settings.database_url.startswith(("sqlite", "postgresql")):
        raise ConfigError("SANDAN_DATABASE_URL must be a sqlite:/// or postgresql:// URL")
    instance = settings.instance_path
    defaults = {
        "ledger_key_file": settings.ledger_key_file or instance / "ledger.key",
        "checkpoint_path": settings.checkpoint_path or instance / "ledger-checkpoints.jsonl",
        "evidence_path": settings.evidence_path or instance / "evidence",
    }
    url = settings.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    values = {f.name: getattr(settings, f.name) for f in fields(settings)}
    values.update(defaults, database_url=url)
    return Settings(**values)
