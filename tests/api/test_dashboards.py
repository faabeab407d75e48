"""GET /dashboards/overdue, /trend and /forecast: scoped counts whose bars drill down exactly."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.api.conftest import PREFIX, ApiClient, assert_error
from tests.conftest import World
from tests.workflow.dashboard_helpers import build_county

As = Callable[[str], ApiClient]


@pytest.fixture
def county(world: World) -> dict[str, int]:
    return build_county(world)


def _ids(api: ApiClient, url: str) -> list[int]:
    """Every item id of an item-list URL, following its keyset pages."""
    assert url.startswith(PREFIX)
    found, cursor = [], None
    while True:
        page = api.get(url[len(PREFIX):] + (f"&cursor={cursor}" if cursor else "") + "&limit=2")
        assert page.status_code == 200, page.get_json()
        body = page.get_json()
        found += [item["id"] for item in body["items"]]
        if not (cursor := body["next_cursor"]):
            return found


def test_every_bar_drills_down_to_the_items_the_item_list_returns(
        world: World, county: dict[str, int], as_: As) -> None:
    leader = as_("leader")
    answer = leader.get(f"/dashboards/overdue?org_id={world.committee}")
    assert answer.status_code == 200
    board = answer.get_json()
    bars = {child["org_id"]: child for child in board["children"]}
    assert {k: v["overdue"] for k, v in bars.items()} == {world.branch_a: 3, world.branch_b: 1}
    assert (board["total"], board["own"]) == (5, 1)
    for child in board["children"]:
        assert child["items_url"] == f"{PREFIX}/items?unit={child['org_id']}&overdue=true"
        ids = _ids(leader, child["items_url"])
        assert len(ids) == child["overdue"]
        assert sum(level["count"] for level in child["levels"]) == child["overdue"]
    assert len(_ids(leader, board["items_url"])) == board["total"]
    assert sum(level["count"] for level in board["levels"]) == board["total"]


def test_a_branch_sees_its_own_board_and_nothing_above_or_beside(
        world: World, county: dict[str, int], as_: As) -> None:
    handler = as_("handler_a")
    own = handler.get(f"/dashboards/overdue?org_id={world.branch_a}").get_json()
    assert own["total"] == 3 and [c["org_id"] for c in own["children"]] == [world.group_a]
    for unit in (world.committee, world.branch_b, 999_999):
        for path in ("overdue", "trend", "forecast"):
            body = assert_error(handler.get(f"/dashboards/{path}?org_id={unit}"), 404,
                                "not_found")
            assert "not found" in body["message"]


def test_without_org_id_the_board_is_of_your_highest_unit(world: World, as_: As) -> None:
    assert as_("leader").get("/dashboards/overdue").get_json()["org_id"] == world.committee
    assert as_("group_handler").get("/dashboards/trend").get_json()["org_id"] == world.group_a


@pytest.mark.parametrize("query", [
    "org_id=abc", "org_id=0", "org_id=1&period=year", "org_id=1&periods=53",
    "org_id=1&days=0", "org_id=1&colour=red",
])
def test_bad_queries_answer_422(world: World, as_: As, query: str) -> None:
    path = "trend" if "period" in query else "forecast" if "days" in query else "overdue"
    assert_error(as_("leader").get(f"/dashboards/{path}?{query}"), 422, "invalid_input")


def test_anonymous_requests_answer_401(app: Flask, world: World) -> None:
    answer = app.test_client().get(f"{PREFIX}/dashboards/overdue?org_id={world.committee}")
    assert answer.status_code == 401 and answer.get_json()["code"] == "not_authenticated"


def test_trend_counts_on_time_and_late_closures(
        world: World, county: dict[str, int], as_: As) -> None:
    answer = as_("leader").get(f"/dashboards/trend?org_id={world.committee}&periods=3")
    assert answer.status_code == 200
    buckets = answer.get_json()["buckets"]
    assert [(b["on_time"], b["late"], b["rate"]) for b in buckets] == [
        (1, 0, 1.0), (0, 1, 0.0), (0, 0, None)]
    assert buckets[0]["start"] == "2026-03-01T16:00:00+00:00"
    monthly = as_("leader").get(f"/dashboards/trend?org_id={world.committee}&period=month")
    assert len(monthly.get_json()["buckets"]) == 12


def test_forecast_lists_the_escalations_to_come(
        world: World, county: dict[str, int], as_: As) -> None:
    answer = as_("leader").get(f"/dashboards/forecast?org_id={world.committee}&days=7")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["items"] and all(i["level"] is not None for i in body["items"])
    assert sum(level["count"] for level in body["levels"]) == len(body["items"])
    assert sum(a["count"] for a in body["actions"]) == len(body["items"])
    one = as_("leader").get(f"/dashboards/forecast?org_id={world.committee}&limit=1").get_json()
    assert len(one["items"]) == 1 and one["levels"] == body["levels"]
    branch_b = as_("handler_b").get(f"/dashboards/forecast?org_id={world.branch_b}").get_json()
    assert {i["item_id"] for i in branch_b["items"]} <= {county["b"], county["b_later"]}


def test_the_openapi_document_describes_the_dashboards(app: Flask) -> None:
    spec = app.test_client().get(f"{PREFIX}/openapi.json").get_json()
    for path in ("overdue", "trend", "forecast"):
        operation = spec["paths"][f"/api/v1/dashboards/{path}"]["get"]
        assert operation["description"] or operation["summary"]
        assert {p["name"] for p in operation["parameters"]} >= {"org_id"}
        assert "example" in operation["responses"]["200"]["content"]["application/json"]
        assert {"401", "404", "422"} <= set(operation["responses"])
