"""POST /lists (several units in one call, Idempotency-Key) and POST /items/{id}/children."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from tests.api.conftest import ApiClient, assert_error, issue, new_item
from tests.conftest import World
from workflow.models import Item, ItemList


def _counts(world: World) -> tuple[int, int]:
    with world.rt.read() as session:
        return (session.scalar(select(func.count()).select_from(ItemList)) or 0,
                session.scalar(select(func.count()).select_from(Item)) or 0)


def test_a_list_is_issued_to_two_branches_in_one_call(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    answer = issue(as_("issuer"), world, world.branch_a, world.branch_b)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["created"] is True and len(body["item_ids"]) == 2
    first = as_("handler_a").get(f"/items/{body['item_ids'][0]}").get_json()
    assert first["assignee_org_id"] == world.branch_a and first["state"] == "issued"
    assert first["list_id"] == body["list_id"]


def test_a_retry_with_the_same_idempotency_key_creates_once(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    api = as_("issuer")
    before = _counts(world)
    key = {"Idempotency-Key": "3b1f7d0e-issue-q1"}
    first = issue(api, world, world.branch_a, world.branch_b, headers=key)
    again = issue(api, world, world.branch_a, world.branch_b, headers=key)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == {**first.get_json(), "created": False}
    assert _counts(world) == (before[0] + 1, before[1] + 2)
    other = issue(api, world, world.branch_a, headers={"Idempotency-Key": "another-key"})
    assert other.status_code == 201 and _counts(world)[0] == before[0] + 2


def test_an_invalid_idempotency_key_is_422(world: World,
                                           as_: Callable[[str], ApiClient]) -> None:
    answer = issue(as_("issuer"), world, headers={"Idempotency-Key": "x" * 201})
    assert_error(answer, 422, "invalid_input")


def test_clients_cannot_set_server_owned_fields(world: World,
                                               as_: Callable[[str], ApiClient]) -> None:
    api = as_("issuer")
    body = assert_error(issue(api, world, state="closed"), 422, "invalid_input")
    assert "state" in body["message"]
    row = {**new_item(world, world.branch_a), "version": 7}
    answer = api.post("/lists", json={"kind": "task", "title": "清单", "items": [row],
                                      "issuer_org_id": world.committee})
    assert "version" in assert_error(answer, 422, "invalid_input")["message"]


def test_input_errors_name_the_row_and_write_nothing(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    api, before = as_("issuer"), _counts(world)
    bad = {**new_item(world, world.branch_b), "fields": {"category": "娱乐"}}
    answer = api.post("/lists", json={"kind": "task", "title": "清单", "items": [
        new_item(world, world.branch_a), bad], "issuer_org_id": world.committee})
    assert "items[2]" in assert_error(answer, 422, "invalid_input")["message"]
    assert_error(issue(api, world, kind="nonesuch"), 422, "invalid_input")
    ghost = {**new_item(world, world.branch_a), "primary_person_id": 999_999}
    answer = api.post("/lists", json={"kind": "task", "title": "清单", "items": [ghost],
                                      "issuer_org_id": world.committee})
    assert "person 999999" in assert_error(answer, 422, "invalid_input")["message"]
    assert _counts(world) == before


def test_only_issuers_issue(world: World, as_: Callable[[str], ApiClient]) -> None:
    assert_error(issue(as_("leader"), world), 403, "not_allowed")
    body = {"kind": "task", "title": "清单", "issuer_org_id": world.committee,
            "items": [new_item(world, world.branch_b)]}
    assert_error(as_("handler_a").post("/lists", json=body), 404, "not_found")


def test_a_handler_decomposes_an_item_for_the_units_below(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    item_id = issue(as_("issuer"), world).get_json()["item_ids"][0]
    handler = as_("handler_a")
    child = new_item(world, world.group_a, title="第一党小组开展学习", days=20)
    answer = handler.post(f"/items/{item_id}/children", json={"children": [child]})
    assert answer.status_code == 201, answer.get_json()
    (child_id,) = answer.get_json()["item_ids"]
    seen = as_("group_handler").get(f"/items/{child_id}").get_json()
    assert seen["parent_id"] == item_id and seen["assignee_org_id"] == world.group_a
    assert handler.get(f"/items/{item_id}").get_json()["version"] == 2
    sideways = new_item(world, world.branch_b)
    assert_error(handler.post(f"/items/{item_id}/children", json={"children": [sideways]}),
                 422, "invalid_input")
    assert_error(as_("handler_b").post(f"/items/{item_id}/children",
                                       json={"children": [child]}), 404, "not_found")
    assert_error(as_("issuer").post(f"/items/{item_id}/children",
                                    json={"children": [child]}), 403, "not_allowed")
