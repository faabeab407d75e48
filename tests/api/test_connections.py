"""A bearer-token item read takes one pooled connection for its sign-in and its view, and
answers 200 on the first request after the database dropped every connection."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import ApiClient, issue
from tests.conftest import World
from tests.workflow.test_connections import count_checkouts, terminate_backends


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
