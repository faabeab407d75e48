"""Definition pages: every list kind with its diagram, states, transitions and ladder."""

from __future__ import annotations

import html

import pytest
from flask import Flask

from tests.conftest import World
from tests.web.test_pages import login
from web.app import create_app


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)
    app.config["TESTING"] = True
    return app


def test_every_kind_is_listed_and_shown_with_its_diagram_and_ladder(world: World,
                                                                      app: Flask) -> None:
    client = app.test_client()
    login(client, "handler_a")
    index = client.get("/definitions/").get_data(as_text=True)
    for kind in world.rt.definitions.kinds():
        assert f'href="/definitions/{kind}"' in index
        page = client.get(f"/definitions/{kind}")
        assert page.status_code == 200
    task = client.get("/definitions/task").get_data(as_text=True)
    assert 'class="mermaid"' in task and "stateDiagram-v2" in task
    assert "已交办" in task and "签收" in task  # state and transition labels in Chinese
    assert "sign_for" in task and "约谈" in task  # a trigger and a ladder step


def test_labels_follow_the_chosen_language(app: Flask) -> None:
    client = app.test_client()
    login(client, "leader")
    page = html.unescape(client.get("/definitions/task?lang=en").get_data(as_text=True))
    assert "Sign for" in page and "Escalation ladder" in page
    assert 'state "Issued" as issued' in page


def test_unknown_kinds_are_not_found_and_visitors_sign_in_first(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/definitions/").status_code == 302
    login(client, "handler_b")
    assert client.get("/definitions/no_such_kind").status_code == 404
    assert client.get("/definitions/task?version=99").status_code == 404
