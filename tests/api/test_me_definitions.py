"""GET /me and the definitions: summaries, normalised JSON, mermaid diagram."""

from __future__ import annotations

from collections.abc import Callable

from tests.api.conftest import ApiClient, assert_error
from tests.conftest import World


def test_me_names_the_person_their_roles_and_inspected_units(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    me = as_("inspector").get("/me").get_json()
    assert me["username"] == "inspector" and me["id"] == world.ids["inspector"]
    assert me["roles"] == [] and sorted(me["inspects"]) == sorted([world.branch_a, world.branch_b])
    assert me["csrf_token"]
    handler = as_("handler_a").get("/me").get_json()
    assert handler["roles"] == [{"role": "handler", "org_id": world.branch_a}]


def test_no_or_a_wrong_token_is_401(as_: Callable[[str], ApiClient]) -> None:
    client = as_("handler_a")
    client.token = None
    answer = client.get("/me")
    assert_error(answer, 401, "not_authenticated")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    client.token = "sdn_000000000000_not-a-real-token"
    assert_error(client.get("/me"), 401, "not_authenticated")
    assert_error(client.post("/lists", json={}), 401, "not_authenticated")


def test_definitions_list_every_kind_at_its_latest_version(
        as_: Callable[[str], ApiClient]) -> None:
    listed = as_("handler_a").get("/definitions").get_json()
    kinds = {d["kind"]: d for d in listed}
    assert {"task", "rectification", "responsibility"} <= set(kinds)
    assert kinds["task"]["label"] == {"zh": "任务清单", "en": "Task list"}
    assert kinds["task"]["versions"] == [1]


def test_one_definition_is_the_normalised_form(as_: Callable[[str], ApiClient]) -> None:
    task = as_("handler_a").get("/definitions/task").get_json()
    assert task["initial"] == "issued"
    submit = next(t for t in task["transitions"] if t["trigger"] == "submit")
    assert submit["requires"] == ["evidence"] and submit["from"] == ["in_progress"]
    assert task["deadlines"]["due"] == "P30D"
    assert [f["name"] for f in task["fields"]][:2] == ["category", "description"]


def test_the_diagram_is_mermaid_with_chinese_state_labels(
        as_: Callable[[str], ApiClient]) -> None:
    answer = as_("handler_a").get("/definitions/rectification/diagram").get_json()
    assert answer["kind"] == "rectification" and answer["version"] == 1
    assert answer["mermaid"].startswith("---") or "stateDiagram-v2" in answer["mermaid"]
    assert 'state "已销号" as closed' in answer["mermaid"]


def test_unknown_kind_or_version_is_404_and_a_bad_version_422(
        as_: Callable[[str], ApiClient]) -> None:
    api = as_("handler_a")
    assert_error(api.get("/definitions/nonesuch"), 404, "not_found")
    assert_error(api.get("/definitions/task?version=9"), 404, "not_found")
    assert_error(api.get("/definitions/task?version=abc"), 422, "invalid_input")
    assert_error(api.get("/definitions/task?versoin=1"), 422, "invalid_input")
