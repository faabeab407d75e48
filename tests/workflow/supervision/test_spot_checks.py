"""Monthly spot checks: a reproducible, recorded draw; review tasks; findings and their effects."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import START, World
from tests.workflow.helpers import attach, issue_task
from tests.workflow.supervision.helpers import entries
from workflow.access import Scope
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from workflow.models import Item, ItemLink, SpotCheck, SpotCheckReview
from workflow.services import orgs
from workflow.services.items import fire_transition
from workflow.services.spot_checks import redraw_spot_check, start_spot_check
from workflow.services.spot_reviews import item_verdict, record_review, review_tasks


def test_a_recorded_draw_reruns_from_its_seed_to_the_same_sample(world: World,
                                                                  branch_c: int) -> None:
    started = start_spot_check(world.rt, world.person("issuer"), org_id=world.committee,
                               period="2026-03", size=2)
    population = sorted([world.branch_a, world.branch_b, branch_c])
    assert started.population_count == 3
    # anyone can re-run it: the seed and the sample are in the ledger
    [entry] = entries(world, f"spotcheck:{started.spot_check_id}")
    assert entry.action == "spot_check.start"
    assert entry.inputs["seed"] == started.seed
    assert entry.inputs["sample"] == list(started.sample)
    assert random.Random(started.seed).sample(population, 2) == list(started.sample)
    redraw = redraw_spot_check(world.rt, world.person("leader"), started.spot_check_id)
    assert redraw.reproduced
    assert redraw.drawn == redraw.recorded == started.sample


def test_a_given_seed_gives_the_same_draw_and_a_changed_population_is_caught(
        world: World, branch_c: int) -> None:
    first = start_spot_check(world.rt, world.person("issuer"), org_id=world.committee,
                             period="2026-03", size=2, seed=42)
    second = start_spot_check(world.rt, world.person("issuer"), org_id=world.committee,
                              period="2026-04", size=2, seed=42)
    assert first.sample == second.sample
    with world.rt.transaction() as session:  # someone edits the stored population behind it
        session.execute(update(SpotCheck).where(SpotCheck.id == first.spot_check_id)
                        .values(population=[world.branch_a, world.branch_b]))
    redraw = redraw_spot_check(world.rt, world.person("issuer"), first.spot_check_id)
    assert not redraw.population_intact
    assert not redraw.reproduced


def test_each_sampled_unit_is_a_review_task_for_its_inspector_with_a_deadline(
        world: World) -> None:
    started = start_spot_check(world.rt, world.person("issuer"), org_id=world.committee,
                               period="2026-03", size=2, review_within="P5D")
    tasks = review_tasks(world.rt, world.person("inspector"))
    assert [t.id for t in tasks] == list(started.review_ids)
    assert {t.org_id for t in tasks} == {world.branch_a, world.branch_b}
    assert all(t.due_at == START + timedelta(days=5) and t.state == "open" for t in tasks)
    assert review_tasks(world.rt, world.person("issuer")) == []


def test_items_can_be_drawn_and_need_a_covering_inspector(world: World) -> None:
    due_in_march = [issue_task(world, title=f"任务{n}", days=10) for n in range(3)]
    started = start_spot_check(world.rt, world.person("inspector"), org_id=world.committee,
                               period="2026-03", size=2, target="items",
                               unit_ids=[world.branch_a])
    assert set(started.sample) <= set(due_in_march)
    with world.rt.read() as session:
        reviews = session.scalars(select(SpotCheckReview).where(
            SpotCheckReview.spot_check_id == started.spot_check_id)).all()
    assert sorted(r.item_id for r in reviews) == sorted(started.sample)
    # a unit nobody inspects cannot be drawn
    lonely = orgs.create_org(world.rt, Scope.system(), name="无人督查支部", kind="branch",
                             parent_id=world.committee)
    with pytest.raises(InvalidInput, match="no inspector is assigned to 无人督查支部"):
        start_spot_check(world.rt, world.person("issuer"), org_id=world.committee,
                         period="2026-03", size=1, unit_ids=[lonely])


def test_who_may_start_a_spot_check(world: World) -> None:
    with pytest.raises(NotAllowed):
        start_spot_check(world.rt, world.person("handler_a"), org_id=world.branch_a,
                         period="2026-03", size=1, unit_ids=[world.branch_a])
    with pytest.raises(NotAllowed):
        start_spot_check(world.rt, world.person("handler_a"), org_id=world.committee,
                         period="2026-03", size=1)
    with pytest.raises(NotFound):
        start_spot_check(world.rt, world.person("handler_a"), org_id=world.branch_b,
                         period="2026-03", size=1)
    with pytest.raises(InvalidInput, match="cannot draw 5 from 2 units"):
        start_spot_check(world.rt, world.person("issuer"), org_id=world.committee,
                         period="2026-03", size=5)


def _close(world: World, item_id: int) -> None:
    """Take a task through to closed (issuer closes after the inspector approved)."""
    def fire(who: str, trigger: str, inputs: dict[str, object] | None = None,
             password: str | None = None) -> None:
        with world.rt.read() as session:
            version = session.get_one(Item, item_id).version
        fire_transition(world.rt, world.person(who), item_id, trigger, inputs,
                        expected_version=version, password=password)

    fire("handler_a", "sign_for")
    fire("handler_a", "start")
    fire("handler_a", "submit", {"evidence": [attach(world, item_id)]})
    fire("inspector", "approve", password="Sandan2026demo")
    fire("issuer", "close", password="Sandan2026demo")


def test_a_closed_item_found_not_done_stays_closed_gets_a_linked_rectification(
        world: World) -> None:
    item_id = issue_task(world, days=10)
    _close(world, item_id)
    started = start_spot_check(world.rt, world.person("issuer"), org_id=world.committee,
                               period="2026-03", size=1, target="items", seed=7)
    [review_id] = started.review_ids
    with pytest.raises(NotAllowed):
        record_review(world.rt, world.person("leader"), review_id, verdict="compliant")
    with pytest.raises(InvalidInput, match="needs a note"):
        record_review(world.rt, world.person("inspector"), review_id, verdict="non_compliant")
    outcome = record_review(world.rt, world.person("inspector"), review_id,
                            verdict="non_compliant", note="会议记录系事后补写，活动未实际开展")
    assert outcome.not_done and outcome.finding_item_id
    with world.rt.read() as session:
        item = session.get_one(Item, item_id)
        rectification = session.get_one(Item, outcome.finding_item_id)
        link = session.scalars(select(ItemLink).where(
            ItemLink.from_item_id == rectification.id)).one()
    # the workflow state and the assessment verdict are kept apart, and both are visible
    assert item.state == "closed"
    verdict = item_verdict(world.rt, world.person("handler_a"), item_id)
    assert verdict is not None
    assert (verdict.verdict, verdict.source, verdict.not_done) == ("non_compliant",
                                                                   "spot_check", True)
    assert (rectification.kind, rectification.assignee_org_id, rectification.state) == (
        "rectification", world.branch_a, "assigned")
    assert rectification.fields["source"] == "月抽查"
    assert (link.to_item_id, link.kind) == (item_id, "rectifies")
    actions = [e.action for e in entries(world, f"item:{item_id}")]
    assert actions[-1] == "spot_check.verdict"
    assert [e.action for e in entries(world, f"spotcheck:{started.spot_check_id}")] == [
        "spot_check.start", "spot_check.review"]
    with pytest.raises(InvalidTransition, match="already reviewed"):
        record_review(world.rt, world.person("inspector"), review_id, verdict="compliant")


def test_a_compliant_unit_opens_nothing(world: World) -> None:
    started = start_spot_check(world.rt, world.person("issuer"), org_id=world.committee,
                               period="2026-03", size=1, seed=3)
    outcome = record_review(world.rt, world.person("inspector"), started.review_ids[0],
                            verdict="compliant")
    assert (outcome.not_done, outcome.finding_item_id) == (False, None)
