"""Settings: read once from the environment (prefix `SANDAN_`), validated, then frozen.

The CLI, the worker and the web app all build the same `Settings`; nothing reads the environment
anywhere else. Unknown `SANDAN_*` variables are refused so a misspelt setting is never ignored.
"""

from __future__ import annotations

import ipaddress
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
    # deadlines, the sweep and notifications (README "Deadlines, the sweep and notifications")
    calendar_files: tuple[Path, ...] = ()
    worker_interval: float = 60.0
    forecast_max_age: float = 300.0
    checkpoint_minutes: int = 60
    sweep_batch: int = 50
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "sandan@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    wecom_base_url: str = "https://qyapi.weixin.qq.com"
    dingtalk_base_url: str = "https://oapi.dingtalk.com"
    quiet_hours: str = "22:00-08:00"
    digest_at: str = "08:30"
    notify_max_attempts: int = 6
    notify_backoff: float = 30.0
    robot_per_minute: int = 20
    language: str = "zh"
    idle_minutes: int = 30
    session_hours: int = 12
    ratelimit_storage: str = "memory://"
    login_rate_limit: str = "10 per minute;100 per hour"
    proxies: int = 0
    # operations (docs/deploy.md): logs and metrics
    log_format: str = "text"
    log_level: str = "INFO"
    metrics_token: str | None = None
    metrics_allow: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    worker_metrics: str | None = None
    #: seconds a web request's statement may run on PostgreSQL (0: no limit); workers and the CLI
    #: are not limited (a refresh or `ledger verify` takes minutes at scale)
    statement_timeout: int = 30

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
    *(f"SANDAN_{name}" for name in (
        "CALENDAR_FILES", "WORKER_INTERVAL", "CHECKPOINT_MINUTES", "SWEEP_BATCH", "SMTP_HOST",
        "SMTP_PORT", "SMTP_FROM", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS",
        "WECOM_BASE_URL", "DINGTALK_BASE_URL", "QUIET_HOURS", "DIGEST_AT",
        "NOTIFY_MAX_ATTEMPTS", "NOTIFY_BACKOFF", "ROBOT_PER_MINUTE", "LANGUAGE",
    )),
    "SANDAN_FORECAST_MAX_AGE",
    "SANDAN_IDLE_MINUTES",
    "SANDAN_SESSION_HOURS",
    "SANDAN_RATELIMIT_STORAGE",
    "SANDAN_LOGIN_RATE_LIMIT",
    "SANDAN_PROXIES",
    "SANDAN_LOG_FORMAT",
    "SANDAN_LOG_LEVEL",
    "SANDAN_METRICS_TOKEN",
    "SANDAN_METRICS_ALLOW",
    "SANDAN_WORKER_METRICS",
    "SANDAN_STATEMENT_TIMEOUT",
    # read by the test suite only
    "SANDAN_TEST_POSTGRES_URL",
    "SANDAN_TEST_DATABASES",
}


#: storages of the `limits` package that a deployment of several web nodes can share (plus memory)
_RATELIMIT_SCHEMES = ("memory://", "redis://", "rediss://", "redis+sentinel://", "redis+cluster://",
                      "memcached://")


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
        **_read_notifications(get),
        "idle_minutes": _whole(get, "IDLE_MINUTES", 30, minimum=1),
        "session_hours": _whole(get, "SESSION_HOURS", 12, minimum=1),
        "ratelimit_storage": get("RATELIMIT_STORAGE") or "memory://",
        "login_rate_limit": get("LOGIN_RATE_LIMIT") or "10 per minute;100 per hour",
        "proxies": _whole(get, "PROXIES", 0, minimum=0),
        **_read_operations(get),
    }


def _read_operations(get: Any) -> dict[str, Any]:
    """Logs and metrics: JSON logs by default in production, where a log collector reads them."""
    production = (get("ENV") or "") == "production"
    allow = get("METRICS_ALLOW")
    return {
        "log_format": get("LOG_FORMAT") or ("json" if production else "text"),
        "log_level": (get("LOG_LEVEL") or "INFO").upper(),
        "metrics_token": get("METRICS_TOKEN"),
        "metrics_allow": tuple(a.strip() for a in allow.split(",") if a.strip())
        if allow else ("127.0.0.1/32", "::1/128"),
        "worker_metrics": get("WORKER_METRICS"),
        "statement_timeout": _whole(get, "STATEMENT_TIMEOUT", 30, minimum=0),
    }


def _whole(get: Any, name: str, default: int, *, minimum: int) -> int:
    """A whole-number setting, refused with its name when malformed or below `minimum`."""
    text = get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < minimum:
        raise ConfigError(f"SANDAN_{name} must be a whole number >= {minimum}, got {text!r}")
    return int(text)


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
        raise ConfigError(
            f"SANDAN_TIMEZONE {settings.timezone!r} is not a known time zone"
        ) from None
    _check_notifications(settings)
    _check_operations(settings)
    if not settings.database_url.startswith(("sqlite", "postgresql")):
        raise ConfigError("SANDAN_DATABASE_URL must be a sqlite:/// or postgresql:// URL")
    if not settings.ratelimit_storage.startswith(_RATELIMIT_SCHEMES):
        raise ConfigError(
            "SANDAN_RATELIMIT_STORAGE must be a memory://, redis://, rediss://, redis+sentinel:// "
            f"or memcached:// URL, got {settings.ratelimit_storage!r}"
        )
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


def _read_notifications(get: Any) -> dict[str, Any]:
    """The sweep's, the worker's and the notification channels' settings."""
    files = [Path(p).resolve() for p in (get("CALENDAR_FILES") or "").split(os.pathsep) if p]
    values: dict[str, Any] = {
        "calendar_files": tuple(files),
        "worker_interval": _positive(get, "WORKER_INTERVAL", 60.0, float),
        "forecast_max_age": _positive(get, "FORECAST_MAX_AGE", 300.0, float),
        "checkpoint_minutes": _positive(get, "CHECKPOINT_MINUTES", 60, int),
        "sweep_batch": _positive(get, "SWEEP_BATCH", 50, int),
        "smtp_port": _positive(get, "SMTP_PORT", 25, int),
        "smtp_starttls": (get("SMTP_STARTTLS") or "").lower() in ("1", "true", "yes"),
        "notify_max_attempts": _positive(get, "NOTIFY_MAX_ATTEMPTS", 6, int),
        "notify_backoff": _positive(get, "NOTIFY_BACKOFF", 30.0, float),
        "robot_per_minute": _positive(get, "ROBOT_PER_MINUTE", 20, int),
    }
    for name in ("SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD"):
        values[name.lower()] = get(name)
    defaults = {"SMTP_FROM": "sandan@localhost", "WECOM_BASE_URL": "https://qyapi.weixin.qq.com",
                "DINGTALK_BASE_URL": "https://oapi.dingtalk.com", "QUIET_HOURS": "22:00-08:00",
                "DIGEST_AT": "08:30", "LANGUAGE": "zh"}
    for name, default in defaults.items():
        values[name.lower()] = get(name) or default
    return values


def _positive(get: Any, name: str, default: float, kind: type) -> Any:
    raw = get(name)
    if raw is None:
        return kind(default)
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"SANDAN_{name} must be a number more than 0, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"SANDAN_{name} must be a number more than 0, got {raw!r}")
    return value


def _check_notifications(settings: Settings) -> None:
    """Quiet hours are `HH:MM-HH:MM` (or `off`), the digest time `HH:MM`, the language zh or en."""
    import re

    clock = r"([01]\d|2[0-3]):[0-5]\d"
    if settings.quiet_hours != "off" and not re.fullmatch(f"{clock}-{clock}", settings.quiet_hours):
        raise ConfigError(
            f"SANDAN_QUIET_HOURS must be like 22:00-08:00 or 'off', got {settings.quiet_hours!r}"
        )
    if not re.fullmatch(clock, settings.digest_at):
        raise ConfigError(f"SANDAN_DIGEST_AT must be like 08:30, got {settings.digest_at!r}")
    if settings.language not in ("zh", "en"):
        raise ConfigError(f"SANDAN_LANGUAGE must be zh or en, got {settings.language!r}")


def _check_operations(settings: Settings) -> None:
    """Log format and level, the metrics address list and the worker's metrics address."""
    if settings.log_format not in ("text", "json"):
        raise ConfigError(f"SANDAN_LOG_FORMAT must be text or json, got {settings.log_format!r}")
    if settings.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError("SANDAN_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
                          f"got {settings.log_level!r}")
    for network in settings.metrics_allow:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(f"SANDAN_METRICS_ALLOW: {network!r} is not an address or network "
                              "such as 10.0.0.0/8") from None
    host, _, port = (settings.worker_metrics or "").rpartition(":")
    if settings.worker_metrics and not (host and port.isdigit() and 0 < int(port) < 65536):
        raise ConfigError("SANDAN_WORKER_METRICS must be ADDRESS:PORT such as 0.0.0.0:9101, "
                          f"got {settings.worker_metrics!r}")


#: shortest secret key accepted in production: 32 characters (`secrets.token_hex(16)` or more)
MIN_SECRET_KEY = 32


def production_problems(settings: Settings) -> list[str]:
    """What makes these settings unsafe for production (empty outside production).

    The web face refuses to start with any of them; each message says what to set.
    """
    if settings.environment != "production":
        return []
    problems = []
    if not settings.secret_key:
        problems.append("SANDAN_SECRET_KEY must be set in production (e.g. the output of "
                        "`python -c 'import secrets; print(secrets.token_hex(32))'`)")
    elif len(settings.secret_key) < MIN_SECRET_KEY:
        problems.append(f"SANDAN_SECRET_KEY is too short for production: at least "
                        f"{MIN_SECRET_KEY} characters")
    if settings.sql_echo:
        problems.append("SANDAN_SQL_ECHO must be off in production: it writes every statement "
                        "and its parameters (password hashes, token digests) to the log")
    if settings.metrics_token is not None and len(settings.metrics_token) < MIN_SECRET_KEY:
        problems.append(f"SANDAN_METRICS_TOKEN is too short: at least {MIN_SECRET_KEY} "
                        "characters, or leave it unset")
    if any(_allows_everyone(n) for n in settings.metrics_allow):
        problems.append("SANDAN_METRICS_ALLOW must not allow every address in production; "
                        "name the scraper's network or use SANDAN_METRICS_TOKEN")
    return problems


def _allows_everyone(network: str) -> bool:
    """True for 0.0.0.0/0 and ::/0, which would publish /metrics to the world."""
    return ipaddress.ip_network(network, strict=False).prefixlen == 0
