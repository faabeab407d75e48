"""The accountability register, escalation waivers and the notification inbox over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.api.conftest import ApiClient, assert_error, new_item
from tests.conftest import PASSWORD, World
from workflow.clock import FixedClock
from workflow.services.sweeps import run_sweep


def _escalated(world: World, clock: FixedClock, api: ApiClient) -> int:
    """An item a day from due, left alone for three weeks of daily sweeps."""
    row = {**new_item(world, world.branch_a, title="逾期未办", days=1),
           "primary_person_id": world.ids["handler_a"]}
    answer = api.post("/lists", json={"kind": "task", "title": "清单", "items": [row],
                                      "issuer_org_id": world.committee})
    assert answer.status_code == 201, answer.get_json()
    for _ in range(21):
        clock.advance(days=1)
        run_sweep(world.rt)
    return int(answer.get_json()["item_ids"][0])


def test_escalations_reach_the_register_and_the_committee_records_outcomes(
        world: World, clock: FixedClock, as_: Callable[[str], ApiClient]) -> None:
    issuer, handler_b = as_("issuer"), as_("handler_b")
    item_id = _escalated(world, clock, issuer)
    assert issuer.get(f"/items/{item_id}").get_json()["escalation_level"] >= 3
    entries = issuer.get("/accountability?open=true").get_json()
    assert entries and {e["item_id"] for e in entries} == {item_id}
    assert entries[0]["primary_person_id"] == world.ids["handler_a"]
    assert handler_b.get("/accountability").get_json() == []
    entry = entries[-1]["id"]
    assert_error(as_("handler_a").post(f"/accountability/{entry}/outcome",
                                       json={"outcome": "talk_held"}), 403, "not_allowed")
    assert_error(issuer.post(f"/accountability/{entry}/outcome", json={"outcome": "waived"}),
                 422, "invalid_input")
    assert_error(issuer.post(f"/accountability/{entry}/outcome",
                             json={"outcome": "talk_held"}), 422, "invalid_input")  # unsigned
    assert_error(issuer.post(f"/accountability/{entry}/outcome",
                             json={"outcome": "talk_held", "password": "wrong-password-1"}),
                 403, "not_allowed")
    done = issuer.post(f"/accountability/{entry}/outcome",
                       json={"outcome": "talk_held", "note": "已约谈支部书记",
                             "password": PASSWORD})
    assert done.status_code == 200 and done.get_json()["outcome"] == "talk_held"
    assert_error(issuer.post(f"/accountability/{entry}/outcome",
                             json={"outcome": "talk_held"}), 422, "invalid_input")
    assert_error(handler_b.post(f"/accountability/{entry}/outcome",
                                json={"outcome": "talk_held"}), 404, "not_found")
    assert_error(issuer.post("/accountability/999999/outcome", json={"outcome": "talk_held"}),
                 404, "not_found")


def test_an_issuer_waives_an_items_escalation(world: World, clock: FixedClock,
                                              as_: Callable[[str], ApiClient]) -> None:
    issuer = as_("issuer")
    answer = issuer.post("/lists", json={"kind": "task", "title": "清单", "issuer_org_id":
                                         world.committee, "items": [new_item(world,
                                                                             world.branch_a)]})
    item_id = answer.get_json()["item_ids"][0]
    until = (clock.now() + timedelta(days=60)).isoformat()
    waived = issuer.post(f"/items/{item_id}/waivers", json={"reason": "汛期抢险", "until": until})
    assert waived.status_code == 201, waived.get_json()
    assert waived.get_json()["item_id"] == item_id
    history = issuer.get(f"/items/{item_id}/ledger").get_json()["entries"]
    assert history[-1]["action"] == "waive" and history[-1]["reason"] == "汛期抢险"
    assert_error(as_("handler_a").post(f"/items/{item_id}/waivers",
                                       json={"reason": "x", "until": until}), 403, "not_allowed")
    past = (clock.now() - timedelta(days=1)).isoformat()
    assert_error(issuer.post(f"/items/{item_id}/waivers", json={"reason": "x", "until": past}),
                 422, "invalid_input")


def test_the_inbox_shows_ones_own_notifications_and_marks_them_read(
        world: World, clock: FixedClock, as_: Callable[[str], ApiClient]) -> None:
    handler, other = as_("handler_a"), as_("handler_b")
    _escalated(world, clock, as_("issuer"))
    notes = handler.get("/inbox").get_json()
    assert notes and all(n["read_at"] is None for n in notes)
    assert other.get("/inbox").get_json() == []
    ids = [n["id"] for n in notes]
    assert other.post("/inbox/read", json={"ids": ids}).get_json() == {"marked": 0}
    assert handler.post("/inbox/read", json={"ids": ids[:1]}).get_json() == {"marked": 1}
    assert len(handler.get("/inbox?unread=true").get_json()) == len(ids) - 1
    assert_error(handler.post("/inbox/read", json={"ids": []}), 422, "invalid_input")
    assert_error(handler.post("/inbox/read", json={"ids": ["1"]}), 422, "invalid_input")
