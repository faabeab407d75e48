"""The ledger over HTTP (per item, filtered, verified) and the organisation administration."""

from __future__ import annotations

from collections.abc import Callable

from tests.api.conftest import ApiClient, assert_error, fire, issue
from tests.conftest import World


def test_an_items_ledger_is_its_history_oldest_first(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    item_id = issue(as_("issuer"), world).get_json()["item_ids"][0]
    handler = as_("handler_a")
    fire(handler, item_id, "sign_for", comment="收到")
    entries = handler.get(f"/items/{item_id}/ledger").get_json()["entries"]
    assert [(e["action"], e["trigger"], e["to_state"]) for e in entries] == [
        ("issue", None, "issued"), ("transition", "sign_for", "received")]
    assert entries[1]["prev_hash"] == entries[0]["hash"]
    assert entries[1]["actor_id"] == world.ids["handler_a"]
    assert entries[1]["inputs"] == {"comment": "收到"}
    assert_error(as_("handler_b").get(f"/items/{item_id}/ledger"), 404, "not_found")


def test_the_global_ledger_is_scoped_filtered_and_paged(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    ids = issue(as_("issuer"), world, world.branch_a, world.branch_b).get_json()["item_ids"]
    handler_b = as_("handler_b")
    seen = {e["item_id"] for e in handler_b.get("/ledger").get_json()["entries"]}
    assert seen == {ids[1]}
    admin = as_("admin")
    people = [e for e in admin.get("/ledger?action=person.create").get_json()["entries"]]
    assert len(people) == 8
    assert admin.get("/ledger?action=person.create&actor=999").get_json()["entries"] == []
    first = admin.get("/ledger?limit=3").get_json()
    second = admin.get(f"/ledger?limit=3&cursor={first['next_cursor']}").get_json()
    assert second["entries"][0]["id"] > first["entries"][-1]["id"]
    assert {e["item_id"] for e in admin.get(f"/ledger?unit={world.branch_b}&action=issue")
            .get_json()["entries"]} == {ids[1]}
    assert_error(handler_b.get(f"/ledger?unit={world.branch_a}"), 404, "not_found")


def test_only_administrators_verify_the_ledger(world: World,
                                               as_: Callable[[str], ApiClient]) -> None:
    issue(as_("issuer"), world)
    result = as_("admin").post("/ledger/verify").get_json()
    assert result["ok"] is True and result["count"] > 10 and result["problems"] == []
    assert_error(as_("issuer").post("/ledger/verify"), 403, "not_allowed")


def test_orgs_visible_to_each_person(world: World, as_: Callable[[str], ApiClient]) -> None:
    names = [o["name"] for o in as_("handler_a").get("/orgs").get_json()["orgs"]]
    assert names == ["甲公司党支部", "第一党小组"]
    assert len(as_("inspector").get("/orgs").get_json()["orgs"]) == 3
    page = as_("admin").get("/orgs?limit=2").get_json()
    assert len(page["orgs"]) == 2 and page["next_cursor"]


def test_an_administrator_creates_a_unit_a_person_and_grants(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    admin = as_("admin")
    org = admin.post("/orgs", json={"name": "丙公司党支部", "kind": "branch",
                                    "parent_id": world.committee})
    assert org.status_code == 201, org.get_json()
    org_id = org.get_json()["id"]
    assert org.get_json()["depth"] == 1
    person = admin.post("/people", json={"username": "zhibu3", "display_name": "王支书",
                                         "password": "Branch2026pw", "org_id": org_id})
    assert person.status_code == 201, person.get_json()
    person_id = person.get_json()["id"]
    granted = admin.post(f"/people/{person_id}/grants", json={"org_id": org_id,
                                                             "role": "handler"})
    assert granted.get_json()["roles"] == [{"role": "handler", "org_id": org_id}]
    inspected = admin.post(f"/people/{person_id}/inspections", json={"org_id": world.branch_a})
    assert inspected.get_json()["inspects"] == [world.branch_a]
    usernames = [p["username"] for p in admin.get("/people?limit=100").get_json()["people"]]
    assert "zhibu3" in usernames and "password" not in person.get_json()


def test_organisation_changes_are_refused_to_others_and_validated(
        world: World, as_: Callable[[str], ApiClient]) -> None:
    handler, admin = as_("handler_a"), as_("admin")
    assert_error(handler.post("/orgs", json={"name": "x", "kind": "branch",
                                             "parent_id": world.branch_a}), 403, "not_allowed")
    assert_error(handler.get("/people"), 403, "not_allowed")
    assert_error(admin.post("/orgs", json={"name": "x", "kind": "club",
                                           "parent_id": world.committee}), 422, "invalid_input")
    assert_error(admin.post("/orgs", json={"name": "x", "kind": "branch",
                                           "parent_id": 999999}), 404, "not_found")
    assert_error(admin.post("/people", json={"username": "handler_a", "display_name": "重名",
                                          "org_id": world.branch_a}),
                 422, "invalid_input")
    assert_error(admin.post("/people/999999/grants", json={"org_id": world.branch_a,
                                                           "role": "handler"}), 404, "not_found")
    assert_error(admin.post(f"/people/{world.ids['leader']}/grants",
                            json={"org_id": world.branch_a, "role": "king"}),
                 422, "invalid_input")
