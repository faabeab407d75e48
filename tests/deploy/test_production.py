"""`SANDAN_ENV=production` refuses to start with unsafe settings, saying what to set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from web.app import create_app
from workflow.config import Settings
from workflow.errors import ConfigError
from workflow.runtime import Runtime

GOOD_KEY = "k" * 32


def _production(tmp_path: Path, **environ: str) -> Settings:
    return Settings.from_env({"SANDAN_ENV": "production", "SANDAN_INSTANCE_PATH": str(tmp_path),
                              **environ})


@pytest.mark.parametrize(("environ", "message"), [
    ({}, "SANDAN_SECRET_KEY must be set in production"),
    ({"SANDAN_SECRET_KEY": "change-me"},
     "SANDAN_SECRET_KEY is too short for production: at least 32 characters"),
    ({"SANDAN_SECRET_KEY": GOOD_KEY, "SANDAN_SQL_ECHO": "1"},
     "SANDAN_SQL_ECHO must be off in production"),
    ({"SANDAN_SECRET_KEY": GOOD_KEY, "SANDAN_METRICS_TOKEN": "abc"},
     "SANDAN_METRICS_TOKEN is too short"),
    ({"SANDAN_SECRET_KEY": GOOD_KEY, "SANDAN_METRICS_ALLOW": "10.0.0.0/8,0.0.0.0/0"},
     "SANDAN_METRICS_ALLOW must not allow every address in production"),
])
def test_production_refuses_unsafe_settings(tmp_path: Path, environ: dict[str, str],
                                            message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        create_app(_production(tmp_path, **environ))
    assert str(refused.value.message).startswith("refusing to start in production: ")
    assert message in refused.value.message
    assert not (tmp_path / "secret_key").exists()  # no key was made up meanwhile


def test_production_starts_with_safe_settings(tmp_path: Path) -> None:
    settings = _production(tmp_path, SANDAN_SECRET_KEY=GOOD_KEY,
                           SANDAN_METRICS_TOKEN="t" * 40, SANDAN_METRICS_ALLOW="10.0.0.0/8")
    rt = Runtime(settings)
    app = create_app(runtime=rt)
    rt.dispose()
    assert app.config["SECRET_KEY"] == GOOD_KEY and app.config["SESSION_COOKIE_SECURE"]
    assert settings.log_format == "json"  # the default in production


def test_development_makes_a_key_of_its_own(tmp_path: Path) -> None:
    settings = Settings.from_env({"SANDAN_INSTANCE_PATH": str(tmp_path)})
    assert create_app(settings).config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()
    assert settings.log_format == "text"


@pytest.mark.parametrize(("environ", "message"), [
    ({"SANDAN_LOG_FORMAT": "xml"}, "SANDAN_LOG_FORMAT must be text or json, got 'xml'"),
    ({"SANDAN_LOG_LEVEL": "loud"}, "SANDAN_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or "
                                   "CRITICAL, got 'LOUD'"),
    ({"SANDAN_METRICS_ALLOW": "10.0.0.0/8,intranet"},
     "SANDAN_METRICS_ALLOW: 'intranet' is not an address or network such as 10.0.0.0/8"),
    ({"SANDAN_WORKER_METRICS": "9101"},
     "SANDAN_WORKER_METRICS must be ADDRESS:PORT such as 0.0.0.0:9101, got '9101'"),
])
def test_operation_settings_are_checked(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(environ)
    assert refused.value.message == message


def test_gunicorn_refuses_to_serve_production_without_a_key(tmp_path: Path) -> None:
    """The way production starts: the app factory under gunicorn, which exits non-zero."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    config = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"
    done = subprocess.run(
        [str(gunicorn), "-c", str(config), "--bind", "127.0.0.1:0", "--workers", "1"],
        env={"PATH": "/usr/bin:/bin", "SANDAN_ENV": "production",
             "SANDAN_INSTANCE_PATH": str(tmp_path), "SANDAN_LOG_FORMAT": "text"},
        capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode != 0
    assert "refusing to start in production: SANDAN_SECRET_KEY must be set" in done.stderr
