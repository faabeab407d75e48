"""/healthz and /readyz: liveness without the database, readiness with it and its migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from tests.conftest import World
from web.app import create_app
from workflow.config import Settings
from workflow.runtime import Runtime
from workflow.schema import revisions


@pytest.fixture
def app(world: World) -> Flask:
    return create_app(runtime=world.rt)


def test_liveness_answers_without_touching_anything(app: Flask) -> None:
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 200 and answer.json == {"status": "ok"}
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in answer.headers


def test_ready_when_the_database_is_at_the_newest_migration(app: Flask, world: World) -> None:
    answer = app.test_client().get("/readyz")
    current, expected = revisions(world.rt.engine, world.rt.settings.database_url)
    assert answer.status_code == 200
    assert answer.json == {"status": "ok", "database": "ok",
                           "migrations": {"current": expected, "expected": expected}}
    assert current == expected


def test_not_ready_while_the_database_is_behind_the_migrations(app: Flask, world: World) -> None:
    with world.rt.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0004_assessments'"))
    answer = app.test_client().get("/readyz")
    _, expected = revisions(world.rt.engine, world.rt.settings.database_url)
    assert answer.status_code == 503
    assert answer.json["status"] == "unavailable" and answer.json["database"] == "ok"
    assert answer.json["migrations"] == {"current": ["0004_assessments"], "expected": expected}
    assert answer.json["message"] == (
        f"the database is at migration 0004_assessments, this version of Sandan needs "
        f"{expected[0]}: run `sandan init`")


def test_not_ready_on_a_fresh_database(tmp_path: Path) -> None:
    rt = Runtime(Settings.from_env({}).with_(
        instance_path=tmp_path, database_url=f"sqlite:///{tmp_path / 'fresh.db'}",
        secret_key="x" * 32))
    answer = create_app(runtime=rt).test_client().get("/readyz")
    rt.dispose()
    assert answer.status_code == 503
    assert answer.json["migrations"]["current"] == []
    assert "none (empty)" in answer.json["message"] and "sandan init" in answer.json["message"]


def test_not_ready_when_the_database_does_not_answer(tmp_path: Path) -> None:
    rt = Runtime(Settings.from_env({}).with_(
        instance_path=tmp_path, secret_key="x" * 32,
        database_url="postgresql://nobody:secret@127.0.0.1:9/sandan?connect_timeout=2"))
    answer = create_app(runtime=rt).test_client().get("/readyz")
    rt.dispose()
    assert answer.status_code == 503
    assert answer.json == {"status": "unavailable", "database": "unreachable",
                           "message": "the database does not answer; see the log"}
    assert "secret" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_need_no_sign_in_csrf_or_valid_credentials(app: Flask, path: str) -> None:
    """Probes may carry anything an orchestrator sends; the session policy does not apply."""
    client = app.test_client()
    assert client.get(path, headers={"Authorization": "Bearer not-a-token"}).status_code == 200
    assert client.get(path, headers={"Cookie": "session=garbage"}).status_code == 200
