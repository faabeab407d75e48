"""The web face through Flask's test client: sign in, inbox, item page, actions, CSRF."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, World
from tests.workflow.helpers import issue_task
from web.app import create_app


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)
    app.config["TESTING"] = True
    return app


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    token = _token(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"username": username, "password": password,
                                         "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(app: Flask) -> None:
    answer = app.test_client().get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_wrong_password_does_not_sign_in(app: Flask) -> None:
    client = app.test_client()
    token = _token(client.get("/login").get_data(as_text=True))
    page = client.post("/login", data={"username": "handler_a", "password": "nope-nope-1",
                                       "csrf_token": token}).get_data(as_text=True)
    assert "用户名或密码错误" in page
    assert client.get("/").status_code == 302


def test_post_without_csrf_token_is_refused(app: Flask) -> None:
    answer = app.test_client().post("/login", data={"username": "handler_a", "password": PASSWORD})
    assert answer.status_code == 400


def test_handler_sees_own_item_and_fires_an_action(world: World, app: Flask) -> None:
    item_id = issue_task(world, title="开展主题党日活动")
    client = app.test_client()
    login(client, "handler_a")
    assert "开展主题党日活动" in client.get("/").get_data(as_text=True)
    page = client.get(f"/items/{item_id}").get_data(as_text=True)
    assert "签收" in page and "stateDiagram-v2" in page
    answer = client.post(f"/items/{item_id}/fire", data={
        "csrf_token": _token(page), "trigger": "sign_for", "version": "1"})
    assert answer.status_code == 302
    page = client.get(f"/items/{item_id}").get_data(as_text=True)
    assert "已交办 → 已签收" in page  # the ledger timeline, in state labels


def test_other_branch_gets_not_found(world: World, app: Flask) -> None:
    item_id = issue_task(world, title="按时足额收缴党费")
    client = app.test_client()
    login(client, "handler_b")
    assert "按时足额收缴党费" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/items/{item_id}").status_code == 404
    token = _token(client.get("/").get_data(as_text=True))  # the logout form carries one
    answer = client.post(f"/items/{item_id}/fire", data={
        "csrf_token": token, "trigger": "sign_for", "version": "1"})
    assert answer.status_code == 404

