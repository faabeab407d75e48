"""GET /items (filters, keyset pages, scope), GET /items/{id}, POST /items/{id}/transitions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.api.conftest import ApiClient, assert_error, fire, issue, new_item
from tests.conftest import START, World
from tests.workflow.helpers import attach
from workflow.clock import FixedClock


def _issue_many(world: World, api: ApiClient) -> list[int]:
    """Five items with different due dates: three for branch A (one in its group), two for B."""
    rows = [new_item(world, world.branch_a, title="甲：学习", days=40),
            new_item(world, world.branch_b, title="乙：学习", days=10),
            new_item(world, world.branch_a, title="甲：整理台账", days=20),
            new_item(world, world.group_a, title="小组：Study", days=30),
            new_item(world, world.branch_b, title="乙：整理台账", days=50)]
    answer = api.post("/lists", json={"kind": "task", "title": "清单", "items": rows,
                                      "issuer_org_id": world.committee})
    assert answer.status_code == 201, answer.get_json()
    return list(answer.get_json()["item_ids"])


def _titles(api: ApiClient, query: str = "") -> list[str]:
    answer = api.get("/items" + query)
    assert answer.status_code == 200, answer.get_json()
    return [item["title"] for item in answer.get_json()["items"]]


def test_items_are_scoped_filtered_and_sorted_by_due_date(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    _issue_many(world, as_("issuer"))
    issuer = as_("issuer")
    assert _titles(issuer) == [
        "乙：学习", "甲：整理台账", "小组：Study", "甲：学习", "乙：整理台账"]
    assert _titles(issuer, "?sort=-due_at")[0] == "乙：整理台账"
    assert _titles(as_("handler_a")) == ["甲：整理台账", "小组：Study", "甲：学习"]
    assert _titles(as_("group_handler")) == ["小组：Study"]
    assert _titles(issuer, f"?unit={world.branch_a}") == ["甲：整理台账", "小组：Study", "甲：学习"]
    assert _titles(issuer, "?q=台账") == ["甲：整理台账", "乙：整理台账"]
    assert _titles(issuer, "?q=study") == ["小组：Study"]
    due_before = (START + timedelta(days=25)).isoformat()
    assert _titles(issuer, f"?due_before={due_before.replace('+', '%2B')}") == [
        "乙：学习", "甲：整理台账"]
    assert _titles(issuer, "?kind=rectification") == []
    assert len(_titles(issuer, "?kind=task&state=issued&open=true")) == 5
    assert _titles(issuer, "?escalation_level_min=1") == []
    assert_error(as_("handler_b").get(f"/items?unit={world.branch_a}"), 404, "not_found")


def test_overdue_and_responsible_person_filters(world: World, clock: FixedClock,
                                                as_: Callable[[str], ApiClient]) -> None:
    api = as_("issuer")
    late = {**new_item(world, world.branch_a, title="逾期事项", days=1),
            "primary_person_id": world.ids["handler_a2"]}
    answer = api.post("/lists", json={"kind": "task", "title": "清单", "issuer_org_id":
                                      world.committee,
                                      "items": [late, new_item(world, world.branch_a)]})
    assert answer.status_code == 201
    clock.advance(days=2)
    assert _titles(api, "?overdue=true") == ["逾期事项"]
    assert _titles(api, "?overdue=false") == ["召开专题组织生活会"]
    assert _titles(api, f"?person={world.ids['handler_a2']}") == ["逾期事项"]
    item = api.get("/items?overdue=true").get_json()["items"][0]
    assert item["overdue"] is True and item["state_label"]["zh"] == "已交办"


def test_keyset_pages_cover_everything_once(world: World,
                                            as_: Callable[[str], ApiClient]) -> None:
    ids = _issue_many(world, as_("issuer"))
    api, seen, cursor = as_("issuer"), [], None
    for _ in range(5):
        answer = api.get("/items?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [item["id"] for item in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    backwards = api.get("/items?limit=3&sort=-due_at").get_json()
    rest = api.get(f"/items?limit=3&sort=-due_at&cursor={backwards['next_cursor']}").get_json()
    assert len(backwards["items"] + rest["items"]) == 5 and rest["next_cursor"] is None
    assert_error(api.get("/items?cursor=garbage!"), 422, "invalid_input")
    assert_error(api.get("/items?cursor=WzEsMiwzXQ"), 422, "invalid_input")
    assert_error(api.get("/items?limit=0"), 422, "invalid_input")
    assert_error(api.get("/items?colour=red"), 422, "invalid_input")


def test_item_detail_lists_actions_evidence_and_hides_other_branches(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    item_id = issue(as_("issuer"), world).get_json()["item_ids"][0]
    handler = as_("handler_a")
    detail = handler.get(f"/items/{item_id}").get_json()
    assert [a["trigger"] for a in detail["actions"]] == ["sign_for", "return_to_issuer"]
    assert detail["assignee_name"] == "甲公司党支部" and detail["evidence"] == []
    assert [a["trigger"] for a in as_("issuer").get(f"/items/{item_id}").get_json()[
        "actions"]] == ["withdraw"]
    assert as_("leader").get(f"/items/{item_id}").get_json()["actions"] == []
    assert_error(as_("handler_b").get(f"/items/{item_id}"), 404, "not_found")
    assert_error(handler.get("/items/999999"), 404, "not_found")
    assert_error(handler.get("/items/0"), 404, "not_found")
    fire(handler, item_id, "sign_for")
    fire(handler, item_id, "start")
    attach(world, item_id)
    detail = handler.get(f"/items/{item_id}").get_json()
    assert detail["evidence"][0]["filename"] == "会议记录.pdf"
    submit = next(a for a in detail["actions"] if a["trigger"] == "submit")
    assert submit["requires"] == ["evidence"] and submit["optional"] == ["comment"]


def test_a_transition_answers_the_new_state_and_version(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    item_id = issue(as_("issuer"), world).get_json()["item_ids"][0]
    answer = as_("handler_a").post(f"/items/{item_id}/transitions", json={
        "trigger": "sign_for", "version": 1, "inputs": {"comment": "收到"}})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["from_state"], body["state"], body["version"]) == ("issued", "received", 2)
    assert len(body["ledger_hash"]) == 64 and body["spawned"] == []


def test_transition_errors_have_their_statuses(world: World,
                                               as_: Callable[[str], ApiClient]) -> None:
    item_id = issue(as_("issuer"), world).get_json()["item_ids"][0]
    handler, path = as_("handler_a"), f"/items/{item_id}/transitions"
    stale = assert_error(handler.post(path, json={"trigger": "sign_for", "version": 5}),
                         409, "version_conflict")
    assert stale["details"]["current_version"] == 1
    wrong = assert_error(handler.post(path, json={"trigger": "approve", "version": 1}),
                         422, "invalid_transition")
    assert wrong["details"]["allowed"] == ["sign_for", "return_to_issuer", "withdraw"]
    assert "sign_for" in wrong["message"]
    assert_error(as_("issuer").post(path, json={"trigger": "sign_for", "version": 1}),
                 403, "not_allowed")
    assert_error(as_("handler_b").post(path, json={"trigger": "sign_for", "version": 1}),
                 404, "not_found")
    missing = assert_error(handler.post(path, json={"trigger": "return_to_issuer",
                                                    "version": 1}), 422, "invalid_input")
    assert "reason" in missing["message"]
    assert_error(handler.post(path, json={"trigger": "sign_for", "version": "1"}),
                 422, "invalid_input")
    assert_error(handler.post(path, json={"trigger": "sign_for", "version": 1,
                                          "state": "closed"}), 422, "invalid_input")
    assert handler.get(f"/items/{item_id}").get_json()["version"] == 1
