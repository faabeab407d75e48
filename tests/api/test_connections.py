"""A bearer-token item read takes one pooled connection for its sign-in and its view, and
answers 200 on the first request after the database dropped every connection."""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy import make_url, text

from tests.api.conftest import ApiClient, issue
from tests.conftest import World
from tests.workflow.test_connections import count_checkouts, terminate_backends
from web.app import create_app
from workflow.config import Settings
from workflow.errors import ConfigError
from workflow.runtime import Runtime


def _item(world: World, api: ApiClient) -> int:
    answer = issue(api, world)
    assert answer.status_code == 201, answer.get_json()
    item_id = int(answer.get_json()["item_ids"][0])
    assert api.get(f"/items/{item_id}").status_code == 200  # the token's first use is noted
    return item_id


def test_sign_in_and_view_share_one_connection(world: World,
                                               as_: Callable[[str], ApiClient]) -> None:
    api, outsider = as_("issuer"), as_("handler_b")
    item_id = _item(world, api)
    assert outsider.get(f"/items/{item_id}").status_code == 404  # the token's first use
    checkouts = count_checkouts(world.rt.engine)
    answer = api.get(f"/items/{item_id}")
    assert answer.status_code == 200
    assert answer.get_json()["id"] == item_id
    assert len(checkouts) == 1
    assert outsider.get(f"/items/{item_id}").status_code == 404  # scope still applies
    assert len(checkouts) == 2


def test_the_first_request_after_the_connections_died_answers(
        world: World, as_: Callable[[str], ApiClient], database_url: str, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("server connections that can be killed are PostgreSQL's")
    api = as_("issuer")
    item_id = _item(world, api)
    assert terminate_backends(database_url) >= 1
    answer = api.get(f"/items/{item_id}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["id"] == item_id


def test_a_statement_held_past_the_timeout_answers_503_and_changes_nothing(
        world: World, as_: Callable[[str], ApiClient], backend: str) -> None:
    """A transition waits for a row another session holds locked: with a statement timeout the
    server cancels the wait, the API says so (503, `timeout`), and nothing is written."""
    if backend != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    item_id = _item(world, as_("issuer"))
    handler = as_("handler_a")
    before = handler.get(f"/items/{item_id}").get_json()
    limited = Runtime(world.rt.settings, world.rt.clock, statement_timeout=1)
    client = create_app(runtime=limited).test_client()
    plain = make_url(world.rt.settings.database_url).set(drivername="postgresql")
    try:
        with psycopg.connect(plain.render_as_string(hide_password=False)) as blocker:
            blocker.execute("SELECT id FROM items WHERE id = %s FOR UPDATE", (item_id,))
            started = time.monotonic()
            answer = client.post(f"/api/v1/items/{item_id}/transitions",
                                 json={"trigger": "sign_for", "version": before["version"]},
                                 headers={"Authorization": f"Bearer {handler.token}"})
            waited = time.monotonic() - started
            blocker.rollback()
        assert answer.status_code == 503, answer.get_json()
        assert answer.get_json()["code"] == "timeout"
        assert "SANDAN_STATEMENT_TIMEOUT" in answer.get_json()["message"]
        assert answer.headers["Retry-After"] == "5"
        assert 1 <= waited < 10
    finally:
        limited.dispose()
    after = handler.get(f"/items/{item_id}").get_json()
    assert (after["version"], after["state"]) == (before["version"], before["state"])
    assert handler.post(f"/items/{item_id}/transitions", json={
        "trigger": "sign_for", "version": before["version"]}).status_code == 200  # unlocked


def test_the_web_face_limits_its_statements_as_configured(world: World, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    settings = world.rt.settings.with_(statement_timeout=7)
    app = create_app(settings)
    rt = app.extensions["sandan"]
    try:
        with rt.read() as session:
            assert session.execute(text("SHOW statement_timeout")).scalar() == "7s"
    finally:
        rt.dispose()
    with world.rt.read() as session:  # workers and the CLI: no limit
        assert session.execute(text("SHOW statement_timeout")).scalar() == "0"


@pytest.mark.parametrize(("value", "seconds"), [(None, 30), ("0", 0), ("5", 5)])
def test_the_statement_timeout_setting(value: str | None, seconds: int) -> None:
    environ = {} if value is None else {"SANDAN_STATEMENT_TIMEOUT": value}
    assert Settings.from_env(environ).statement_timeout == seconds


@pytest.mark.parametrize("value", ["-1", "2.5", "soon"])
def test_a_bad_statement_timeout_is_refused_by_name(value: str) -> None:
    with pytest.raises(ConfigError, match="SANDAN_STATEMENT_TIMEOUT must be a whole number >= 0"):
        Settings.from_env({"SANDAN_STATEMENT_TIMEOUT": value})
