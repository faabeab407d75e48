"""Quarterly assessment: who scores what, the score machine, locking and corrections."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from tests.conftest import PASSWORD, World
from tests.workflow.helpers import issue_task
from tests.workflow.supervision.helpers import entries, fill, lock, start_mini
from workflow.access import Scope
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from workflow.models import AssessmentScore, CriterionScore, ScoreCorrection
from workflow.services import orgs
from workflow.services.assessments import record_score, start_assessment
from workflow.services.rankings import rank_units
from workflow.services.score_reads import score_detail
from workflow.services.scores import ScoreLocked, correct_score, fire_score


def test_an_assessment_opens_a_draft_score_per_unit_with_ledger_entries(world: World) -> None:
    scores = start_mini(world)
    assert sorted(scores) == [world.branch_a, world.branch_b]
    for score_id in scores.values():
        assert [e.action for e in entries(world, f"score:{score_id}")] == ["score.open"]
    with pytest.raises(InvalidInput, match="already started"):
        start_mini(world)
    with pytest.raises(NotAllowed):
        start_assessment(world.rt, world.person("inspector"), checklist="mini", period="2026Q2",
                         org_id=world.committee)
    with pytest.raises(InvalidInput, match="is quarterly"):
        start_assessment(world.rt, world.person("issuer"), checklist="mini", period="2026-04",
                         org_id=world.committee)


def test_inspectors_score_only_the_units_they_are_assigned(world: World, branch_c: int) -> None:
    system = Scope.system()
    other = orgs.create_person(world.rt, system, username="inspector_c",
                               display_name="丙督查", password="Sandan2026demo",
                               org_id=world.committee)
    orgs.assign_inspector(world.rt, system, person_id=other, org_id=branch_c)
    scores = start_mini(world)
    inspector_c = orgs.load_person(world.rt, other)
    assert inspector_c is not None
    record_score(world.rt, inspector_c, scores[branch_c], criterion="sales", points=90)
    with pytest.raises(NotFound):  # branch A is not hers: it does not even exist for her
        record_score(world.rt, inspector_c, scores[world.branch_a], criterion="sales", points=90)
    with pytest.raises(NotAllowed):  # the unit sees its score but does not score itself
        record_score(world.rt, world.person("handler_a"), scores[world.branch_a],
                     criterion="sales", points=100)
    with pytest.raises(InvalidInput, match="takes 0 to 100 points"):
        record_score(world.rt, inspector_c, scores[branch_c], criterion="sales", points=101)
    with pytest.raises(InvalidInput, match="not a veto criterion"):
        record_score(world.rt, inspector_c, scores[branch_c], criterion="sales", points=1,
                     veto_failed=True)


def test_submitting_needs_every_criterion_and_the_required_evidence(world: World) -> None:
    score_id = start_mini(world)[world.branch_a]
    record_score(world.rt, world.person("inspector"), score_id, criterion="sales", points=80)
    record_score(world.rt, world.person("inspector"), score_id, criterion="meetings", points=40)
    with pytest.raises(InvalidInput) as caught:
        fire_score(world.rt, world.person("inspector"), score_id, "submit")
    assert caught.value.message == (f"score {score_id} cannot be submitted; not scored: "
                                    "integrity; evidence required for: meetings")


def test_the_score_machine_with_separation_of_duties(world: World) -> None:
    score_id = start_mini(world)[world.branch_a]
    fill(world, score_id)
    submitted = fire_score(world.rt, world.person("inspector"), score_id, "submit")
    assert (submitted.state, submitted.result and submitted.result["total"]) == ("submitted",
                                                                                 "83.00")
    with pytest.raises(InvalidTransition, match="allowed: send_back, review"):
        fire_score(world.rt, world.person("issuer"), score_id, "lock")
    with pytest.raises(NotAllowed):
        fire_score(world.rt, world.person("inspector"), score_id, "review")
    with pytest.raises(InvalidInput, match="needs a reason"):
        fire_score(world.rt, world.person("issuer"), score_id, "send_back")
    fire_score(world.rt, world.person("issuer"), score_id, "send_back", reason="重新核实销售数据")
    record_score(world.rt, world.person("inspector"), score_id, criterion="sales", points=70)
    locked = lock(world, score_id)
    assert locked["total"] == "79.00"
    assert [e.action for e in entries(world, f"score:{score_id}")] == [
        "score.open", "score.evidence", "score.record", "score.record", "score.record",
        "score.submit", "score.send_back", "score.record", "score.submit", "score.review",
        "score.lock"]


def test_automatic_deductions_come_from_the_units_record(world: World) -> None:
    issue_task(world, days=5)  # due 7 March, never done
    score_id = start_mini(world)[world.branch_a]
    fill(world, score_id)
    world.rt.clock.advance(days=20)  # type: ignore[attr-defined]
    locked = lock(world, score_id)
    by_name = {d["name"]: d for d in locked["deductions"]}
    assert (by_name["overdue"]["count"], by_name["overdue"]["points"]) == (1, "2.00")
    # party: 85 − 2 = 83 → 0.6 × 83 = 49.8; business 32
    assert locked["total"] == "81.80"


def test_a_locked_score_is_refused_everywhere_and_changes_only_by_correction(
        world: World, backend: str) -> None:
    scores = start_mini(world)
    fill(world, scores[world.branch_a], meetings=40)  # 83.00
    fill(world, scores[world.branch_b], meetings=45)  # 0.6 × 90 + 32 = 86.00
    for score_id in scores.values():
        lock(world, score_id)
    first = rank_units(world.rt, world.person("leader"), checklist="mini", period="2026Q1",
                       org_id=world.committee)
    assert [(s.subject.org_id, s.rank, str(s.total)) for s in first.standings] == [
        (world.branch_b, 1, "86.00"), (world.branch_a, 2, "83.00")]
    locked_a = scores[world.branch_a]

    # the engine refuses every change to a locked score, with a clear error
    with pytest.raises(ScoreLocked, match="is locked and is never changed; record a correction"):
        record_score(world.rt, world.person("inspector"), locked_a, criterion="meetings",
                     points=50)
    with pytest.raises(ScoreLocked):
        fire_score(world.rt, world.person("issuer"), locked_a, "send_back", reason="改分")
    # and so does the database, for anything that goes around the engine
    for statement in (update(AssessmentScore).where(AssessmentScore.id == locked_a)
                      .values(state="draft"),
                      update(CriterionScore).where(CriterionScore.score_id == locked_a)
                      .values(points="50")):
        with pytest.raises(DBAPIError, match="locked"), world.rt.transaction() as session:
            session.execute(statement)

    with pytest.raises(NotAllowed):  # the inspector scores; the committee corrects
        correct_score(world.rt, world.person("inspector"), locked_a, criterion="meetings",
                      points=50, reason="复核")
    done = correct_score(world.rt, world.person("issuer"), locked_a, criterion="meetings",
                         points=50, reason="复核发现会议记录齐全，原评分有误")
    assert (done.seq, done.before_total, done.after_total) == (1, "83.00", "89.00")
    last = entries(world, f"score:{locked_a}")[-1]
    assert (last.action, last.reason) == ("score.correct", "复核发现会议记录齐全，原评分有误")
    assert last.inputs["before"] == {"points": "40", "veto_failed": False}
    assert (last.inputs["total_before"], last.inputs["total_after"]) == ("83.00", "89.00")
    with world.rt.read() as session:
        kept = session.scalars(select(CriterionScore.points).where(
            CriterionScore.score_id == locked_a, CriterionScore.criterion == "meetings")).one()
    assert kept == "40"  # the locked row is untouched: the correction is a new row
    with pytest.raises(DBAPIError, match="append-only"), world.rt.transaction() as session:
        session.execute(text("DELETE FROM score_corrections"))

    after = rank_units(world.rt, world.person("leader"), checklist="mini", period="2026Q1",
                       org_id=world.committee)
    assert [(s.subject.org_id, s.rank, str(s.total)) for s in after.standings] == [
        (world.branch_a, 1, "89.00"), (world.branch_b, 2, "86.00")]
    detail = score_detail(world.rt, world.person("handler_a"), locked_a)
    assert detail.result["total"] == "89.00"
    assert [c.seq for c in detail.corrections] == [1]
    with world.rt.read() as session:
        assert session.scalar(select(ScoreCorrection.reason)) == "复核发现会议记录齐全，原评分有误"
    assert backend in ("sqlite", "postgresql")


def test_a_unit_sees_its_own_score_but_not_another(world: World) -> None:
    scores = start_mini(world)
    score_detail(world.rt, world.person("handler_a"), scores[world.branch_a])
    with pytest.raises(NotFound):
        score_detail(world.rt, world.person("handler_a"), scores[world.branch_b])


def test_locking_a_score_is_an_electronic_signature(world: World) -> None:
    score_id = start_mini(world)[world.branch_a]
    fill(world, score_id)
    fire_score(world.rt, world.person("inspector"), score_id, "submit")
    fire_score(world.rt, world.person("issuer"), score_id, "review")
    before = len(entries(world, f"score:{score_id}"))
    with pytest.raises(InvalidInput, match="enter your password"):
        fire_score(world.rt, world.person("issuer"), score_id, "lock")
    with pytest.raises(NotAllowed):
        fire_score(world.rt, world.person("issuer"), score_id, "lock", password="wrong-pass-1")
    assert len(entries(world, f"score:{score_id}")) == before
    fire_score(world.rt, world.person("issuer"), score_id, "lock", password=PASSWORD)
    last = entries(world, f"score:{score_id}")[-1]
    assert (last.action, last.signature, last.actor_id) == (
        "score.lock", "locked", world.ids["issuer"])
