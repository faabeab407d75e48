"""API test fixtures: the app around the `world`, and clients acting as its people.

Clients authenticate with personal bearer tokens (web/auth.py's request loader); one test in
test_errors.py signs in through the web form instead, to check cookie sessions and CSRF.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import START, World
from tests.workflow.helpers import default_fields
from web.app import create_app
from workflow.access import Scope
from workflow.services import tokens

PREFIX = "/api/v1"


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)
    app.config["TESTING"] = True
    return app


class ApiClient:
    """A test client that sends one person's bearer token and speaks JSON."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, headers: dict[str, str] | None = None,
            **kwargs: Any) -> TestResponse:
        return self.client.get(PREFIX + path, headers=self._headers(headers), **kwargs)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None,
             **kwargs: Any) -> TestResponse:
        if json is not None:
            kwargs["json"] = json
        return self.client.post(PREFIX + path, headers=self._headers(headers), **kwargs)


@pytest.fixture
def as_(app: Flask, world: World) -> Callable[[str], ApiClient]:
    """`as_("handler_a")`: a client acting as that person of the world."""
    made: dict[str, str] = {}

    def client(name: str) -> ApiClient:
        if name not in made:
            made[name] = tokens.create_token(world.rt, Scope.system(), world.ids[name],
                                             name="api tests").token
        return ApiClient(app.test_client(), made[name])

    return client


def new_item(world: World, to: int, title: str = "召开专题组织生活会", kind: str = "task",
             days: int = 30) -> dict[str, Any]:
    return {"title": title, "assignee_org_id": to,
            "due_at": (START + timedelta(days=days)).isoformat(),
            "fields": default_fields(kind)}


def issue(api: ApiClient, world: World, *units: int, kind: str = "task",
          headers: dict[str, str] | None = None, **extra: Any) -> TestResponse:
    """POST /lists from the committee with one item per unit (branch A when none given)."""
    body = {"kind": kind, "title": "2026年第一季度党建任务清单", "issuer_org_id": world.committee,
            "items": [new_item(world, unit, kind=kind) for unit in (units or (world.branch_a,))],
            **extra}
    return api.post("/lists", json=body, headers=headers)


def fire(api: ApiClient, item_id: int, trigger: str, **inputs: Any) -> TestResponse:
    """POST a transition with the item's current version (read first)."""
    password = inputs.pop("password", None)
    version = api.get(f"/items/{item_id}").get_json()["version"]
    body: dict[str, Any] = {"trigger": trigger, "version": version, "inputs": inputs}
    if password:
        body["password"] = password
    return api.post(f"/items/{item_id}/transitions", json=body)


def assert_error(answer: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The common error shape, with this status and code; returns the body."""
    body = answer.get_json()
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    return body
