"""Request ids and structured (ECS JSON) log lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from tests.conftest import World
from web.app import create_app
from web.logs import EcsJsonFormatter, GunicornAccessFormatter


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("the disk is on fire")

    return app


@pytest.fixture
def logged() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Parsed lines the root logger wrote through the JSON formatter during the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(EcsJsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_the_proxys_request_id_is_answered(app: Flask) -> None:
    answer = app.test_client().get("/healthz", headers={"X-Request-ID": "5f0c3a9e-nginx-01"})
    assert answer.headers["X-Request-ID"] == "5f0c3a9e-nginx-01"


@pytest.mark.parametrize("offered", [None, "", "short", "bad id with spaces", "x" * 129,
                                     "<script>alert(1)</script>"])
def test_a_missing_or_unsafe_request_id_is_replaced(app: Flask, offered: str | None) -> None:
    headers = {} if offered is None else {"X-Request-ID": offered}
    answer = app.test_client().get("/healthz", headers=headers)
    made = answer.headers["X-Request-ID"]
    assert made != offered and len(made) == 32 and int(made, 16) >= 0


def test_every_answer_has_one_request_id_even_refusals(app: Flask) -> None:
    client = app.test_client()
    for answer in (client.get("/no-such-page"), client.get("/api/v1/items"),
                   client.post("/api/v1/lists", json={})):
        assert answer.status_code in (401, 404)
        assert len(answer.headers.getlist("X-Request-ID")) == 1


def test_an_error_is_logged_as_json_with_the_request_id(
        app: Flask, logged: Callable[[], list[dict[str, Any]]]) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    answer = app.test_client().get("/boom", headers={"X-Request-ID": "req-boom-0001"})
    assert answer.status_code == 500 and answer.headers["X-Request-ID"] == "req-boom-0001"
    written = logged()
    errors = [line for line in written if line["log.level"] == "ERROR"]
    assert len(errors) == 1
    error = errors[0]
    assert error["http.request.id"] == "req-boom-0001"
    assert error["http.request.method"] == "GET" and error["url.path"] == "/boom"
    assert error["log.logger"] == app.logger.name
    assert error["message"].startswith("Exception on /boom [GET]")
    assert error["error.type"] == "RuntimeError"
    assert "the disk is on fire" in error["error.stack_trace"]
    assert str(error["@timestamp"]).endswith("+00:00")


def test_outside_a_request_a_line_has_no_request_fields() -> None:
    record = logging.LogRecord("workflow.worker", logging.WARNING, __file__, 1,
                               "swept %d item(s) 督办", (3,), None)
    line = json.loads(EcsJsonFormatter().format(record))
    assert line == {"log.level": "WARNING", "log.logger": "workflow.worker",
                    "message": "swept 3 item(s) 督办", "@timestamp": line["@timestamp"]}


def test_gunicorns_access_line_becomes_ecs_json() -> None:
    atoms = {"h": "203.0.113.9", "m": "POST", "U": "/api/v1/items/7/transitions", "q": "",
             "s": "201", "B": "312", "D": "45210", "a": "curl/8.5",
             "{x-request-id}o": "abcd1234abcd1234"}
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(h)s %(m)s",
                               (atoms,), None)
    line = json.loads(GunicornAccessFormatter().format(record))
    del line["@timestamp"]
    assert line == {
        "log.level": "INFO", "log.logger": "gunicorn.access",
        "message": "POST /api/v1/items/7/transitions 201",
        "http.request.id": "abcd1234abcd1234", "http.request.method": "POST",
        "url.path": "/api/v1/items/7/transitions", "url.query": None,
        "http.response.status_code": 201, "http.response.body.bytes": 312,
        "event.duration": 45_210_000, "client.ip": "203.0.113.9",
        "user_agent.original": "curl/8.5",
    }
