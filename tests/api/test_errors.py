"""One error shape for every status, cookie sessions with CSRF, and no 500 for client input."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask

from tests.api.conftest import PREFIX, ApiClient, assert_error, issue
from tests.conftest import PASSWORD, World


def _signed_in(app: Flask, username: str) -> ApiClient:
    """A cookie session from the web sign-in form, as a browser-side script would have."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    answer = client.post("/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": token.group(1)})
    assert answer.status_code == 302
    return ApiClient(client, None)


def test_malformed_json_is_400(world: World, as_: Callable[[str], ApiClient]) -> None:
    answer = as_("issuer").post("/lists", data="{not json",
                                headers={"Content-Type": "application/json"})
    assert_error(answer, 400, "malformed_request")


def test_unknown_route_and_wrong_method_answer_in_the_shape(
        as_: Callable[[str], ApiClient]) -> None:
    api = as_("handler_a")
    assert_error(api.get("/nowhere"), 404, "not_found")
    body = assert_error(api.client.delete(PREFIX + "/items"), 405, "method_not_allowed")
    assert "GET" in body["message"]


def test_the_web_face_keeps_its_own_error_pages(app: Flask) -> None:
    answer = app.test_client().get("/no-such-page")
    assert answer.status_code == 404 and answer.mimetype == "text/html"


def test_a_cookie_session_reads_and_writes_with_the_csrf_header(
        app: Flask, world: World) -> None:
    api = _signed_in(app, "issuer")
    me = api.get("/me")
    assert me.status_code == 200 and me.get_json()["username"] == "issuer"
    refused = issue(api, world)
    assert "X-CSRFToken" in assert_error(refused, 400, "csrf_failed")["message"]
    token = me.get_json()["csrf_token"]
    assert issue(api, world, headers={"X-CSRFToken": token}).status_code == 201


def test_bearer_requests_need_no_csrf_token(world: World,
                                            as_: Callable[[str], ApiClient]) -> None:
    assert issue(as_("issuer"), world).status_code == 201


def test_an_unexpected_failure_is_a_500_in_the_shape(
        app: Flask, world: World, as_: Callable[[str], ApiClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("api.items.find_items", broken)
    body = assert_error(as_("handler_a").get("/items"), 500, "internal_error")
    assert "boom" not in body["message"]


def test_hostile_query_values_are_422(as_: Callable[[str], ApiClient]) -> None:
    api = as_("handler_a")
    for query in ("?q=%00", "?kind=task%00", "?unit=99999999999999999999",
                  "?due_before=0001-01-01T00:00:00%2B23:00",
                  "?due_after=9999-12-31T23:59:59-23:00", "?open=maybe", "?sort=title"):
        assert_error(api.get("/items" + query), 422, "invalid_input")


def test_hostile_bodies_are_422(world: World, as_: Callable[[str], ApiClient]) -> None:
    item_id = issue(as_("issuer"), world).get_json()["item_ids"][0]
    api, path = as_("handler_a"), f"/items/{item_id}/transitions"
    for inputs in ({"comment": "a\x00b"}, {"comment": "\ud800"}, {"fields": {"k\x00": 1}}):
        assert_error(api.post(path, json={"trigger": "sign_for", "version": 1,
                                          "inputs": inputs}), 422, "invalid_input")
    for body in ([], "text", 5, {"trigger": "sign_for", "version": 2**40},
                 {"trigger": "", "version": 1}):
        assert_error(api.post(path, json=body), 422, "invalid_input")
    assert_error(api.post(path, json={"trigger": "request_extension", "version": 1, "inputs": {
        "reason": "x", "due": "0001-01-01"}}), 422, "invalid_transition")


def test_a_cookie_upload_over_the_cap_is_413_before_the_csrf_check_reads_it(
        app: Flask, world: World) -> None:
    assert issue(ApiClient(app.test_client(), None), world).status_code == 401
    api = _signed_in(app, "handler_a")
    token = api.get("/me").get_json()["csrf_token"]
    answer = api.post("/items/1/evidence", data=b"x" * 10, headers={"X-CSRFToken": token},
                      content_type="multipart/form-data; boundary=b",
                      environ_overrides={"CONTENT_LENGTH": str(22 * 1024 * 1024)})
    assert_error(answer, 413, "too_large")


def test_a_raced_duplicate_is_409_and_other_integrity_errors_stay_bugs(
        app: Flask, world: World, as_: Callable[[str], ApiClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import IntegrityError

    def raced(*_args: object, **_kwargs: object) -> None:
        raise IntegrityError("INSERT", {}, Exception(
            'duplicate key value violates unique constraint "uq_item_lists_issued_by_id"'))

    monkeypatch.setattr("api.lists.issue_list", raced)
    assert_error(issue(as_("issuer"), world), 409, "conflict")

    def dangling(*_args: object, **_kwargs: object) -> None:
        raise IntegrityError("INSERT", {}, Exception("FOREIGN KEY constraint failed"))

    monkeypatch.setattr("api.lists.issue_list", dangling)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert_error(issue(as_("issuer"), world), 500, "internal_error")
