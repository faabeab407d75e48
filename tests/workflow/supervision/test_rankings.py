"""Rankings, the board, proposals and their decisions, yearly evaluation, member points."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, World
from tests.workflow.helpers import attach, issue_task
from tests.workflow.supervision.helpers import entries, fill, lock, start_mini
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from workflow.services.assessments import record_score, start_assessment
from workflow.services.proposals import decide_proposal, list_proposals, propose_outcomes
from workflow.services.rankings import rank_units
from workflow.services.scores import correct_score, fire_score


def three_locked(world: World, branch_c: int, *, c_meetings: int = 40) -> dict[int, int]:
    """A: 83.00; B: 100 points but vetoed; C: 0.6 × (c_meetings + 45) + 32."""
    scores = start_mini(world)
    fill(world, scores[world.branch_a])
    fill(world, scores[world.branch_b], meetings=50, integrity=50, sales=100, veto=True)
    fill(world, scores[branch_c], meetings=c_meetings)
    for score_id in scores.values():
        lock(world, score_id)
    return scores


def rank(world: World, who: str = "leader") -> list[tuple[int, int | None, str, str]]:
    ranking = rank_units(world.rt, world.person(who), checklist="mini", period="2026Q1",
                         org_id=world.committee)
    return [(s.subject.org_id, s.rank, str(s.total), s.status) for s in ranking.standings]


def test_the_highest_points_with_a_failed_veto_rank_as_failed_and_face_accountability(
        world: World, branch_c: int) -> None:
    three_locked(world, branch_c, c_meetings=30)
    assert rank(world) == [
        (world.branch_a, 1, "83.00", "ranked"),
        (branch_c, 2, "77.00", "ranked"),
        (world.branch_b, None, "100.00", "vetoed"),
    ]
    made = propose_outcomes(world.rt, world.person("issuer"), checklist="mini", period="2026Q1",
                            org_id=world.committee)
    assert [(p.org_id, p.kind, p.action) for p in made] == [
        (world.branch_a, "commendation", "commend"),
        (branch_c, "accountability", "admonish"),
        (world.branch_b, "accountability", "criticise"),
    ]
    vetoed = made[2]
    assert vetoed.vetoed and vetoed.rank is None
    assert vetoed.reason == "一票否决（党风廉政），100.00分"
    assert made[0].reason == "排名第1（共2个参与排名单位），83.00分"


def test_ties_share_a_rank_and_both_are_proposed(world: World, branch_c: int) -> None:
    scores = start_mini(world)
    for unit in (world.branch_a, branch_c):
        fill(world, scores[unit])
    fill(world, scores[world.branch_b], meetings=30)
    for score_id in scores.values():
        lock(world, score_id)
    ranking = rank_units(world.rt, world.person("issuer"), checklist="mini", period="2026Q1",
                         org_id=world.committee)
    assert [(s.subject.org_id, s.rank, s.tied) for s in ranking.standings] == [
        (world.branch_a, 1, True), (branch_c, 1, True), (world.branch_b, 3, False)]
    assert "share a rank" in ranking.rule
    made = propose_outcomes(world.rt, world.person("issuer"), checklist="mini", period="2026Q1",
                            org_id=world.committee)
    assert [(p.org_id, p.kind) for p in made] == [
        (world.branch_a, "commendation"), (branch_c, "commendation"),
        (world.branch_b, "accountability")]
    assert made[0].reason == "排名第1（并列）（共3个参与排名单位），83.00分"


def test_proposals_follow_the_ranking_after_a_correction(world: World, branch_c: int) -> None:
    scores = three_locked(world, branch_c, c_meetings=30)
    first = propose_outcomes(world.rt, world.person("issuer"), checklist="mini",
                             period="2026Q1", org_id=world.committee)
    commended = first[0]
    decide_proposal(world.rt, world.person("issuer"), first[2].id, decision="confirm",
                    reason="按规定通报批评", password=PASSWORD)
    correct_score(world.rt, world.person("issuer"), scores[branch_c], criterion="meetings",
                  points=50, reason="补充材料核实后更正")  # C: 0.6 × 95 + 32 = 89.00
    assert rank(world)[0] == (branch_c, 1, "89.00", "ranked")
    second = propose_outcomes(world.rt, world.person("issuer"), checklist="mini",
                              period="2026Q1", org_id=world.committee)
    assert [(p.org_id, p.kind) for p in second] == [
        (branch_c, "commendation"), (world.branch_a, "accountability")]
    shown = list_proposals(world.rt, world.person("leader"), checklist="mini", period="2026Q1",
                           org_id=world.committee)
    assert [(p.org_id, p.kind, p.state) for p in shown] == [
        (branch_c, "commendation", "proposed"),
        (world.branch_b, "accountability", "confirmed"),
        (world.branch_a, "accountability", "proposed")]
    assert [e.action for e in entries(world, f"proposal:{commended.id}")] == [
        "proposal.create", "proposal.supersede"]


def test_a_committee_confirms_or_waives_with_a_reason(world: World, branch_c: int) -> None:
    three_locked(world, branch_c)
    made = propose_outcomes(world.rt, world.person("issuer"), checklist="mini", period="2026Q1",
                            org_id=world.committee)
    with pytest.raises(NotAllowed):
        decide_proposal(world.rt, world.person("inspector"), made[0].id, decision="confirm")
    with pytest.raises(InvalidInput, match="needs a reason"):
        decide_proposal(world.rt, world.person("issuer"), made[1].id, decision="waive")
    with pytest.raises(InvalidInput, match="enter your password"):
        decide_proposal(world.rt, world.person("issuer"), made[1].id, decision="waive",
                        reason="分差在误差范围内，已当场整改")
    with pytest.raises(NotAllowed):
        decide_proposal(world.rt, world.person("issuer"), made[1].id, decision="waive",
                        reason="分差在误差范围内，已当场整改", password="wrong-pass-1")
    waived = decide_proposal(world.rt, world.person("issuer"), made[1].id, decision="waive",
                             reason="分差在误差范围内，已当场整改", password=PASSWORD)
    assert (waived.state, waived.decision_reason) == ("waived", "分差在误差范围内，已当场整改")
    with pytest.raises(InvalidTransition, match="already waived"):
        decide_proposal(world.rt, world.person("issuer"), made[1].id, decision="confirm")
    [created, decided] = entries(world, f"proposal:{made[1].id}")
    assert (decided.action, decided.to_state, decided.reason) == (
        "proposal.waive", "waived", "分差在误差范围内，已当场整改")
    assert created.action == "proposal.create"


def test_the_board_shows_everyone_points_and_only_their_own_breakdown(
        world: World, branch_c: int) -> None:
    three_locked(world, branch_c)
    board = rank_units(world.rt, world.person("handler_a"), checklist="mini", period="2026Q1",
                       org_id=world.committee)
    by_unit = {s.subject.org_id: s for s in board.standings}
    assert by_unit[world.branch_a].breakdown["criteria"]
    assert by_unit[branch_c].breakdown == {} and by_unit[branch_c].stars == 4
    with pytest.raises(NotFound):
        rank_units(world.rt, world.person("handler_a"), checklist="mini", period="2026Q1",
                   org_id=world.branch_b)


def test_unlocked_scores_are_pending_and_not_ranked(world: World) -> None:
    scores = start_mini(world)
    fill(world, scores[world.branch_a])
    lock(world, scores[world.branch_a])
    fill(world, scores[world.branch_b], meetings=50)
    fire_score(world.rt, world.person("inspector"), scores[world.branch_b], "submit")
    assert rank(world) == [(world.branch_a, 1, "83.00", "ranked"),
                           (world.branch_b, None, "0", "pending")]


def test_a_year_weights_the_locked_quarters_and_adds_the_yearly_items(world: World) -> None:
    quarters = {"2026Q1": 40, "2026Q2": 50}  # meetings points: A totals 83.00 and 89.00
    for period, meetings in quarters.items():
        scores = start_mini(world, period)
        fill(world, scores[world.branch_a], meetings=meetings)
        lock(world, scores[world.branch_a])
    yearly = start_assessment(world.rt, world.person("issuer"), checklist="mini", period="2026",
                              org_id=world.committee, unit_ids=[world.branch_a])
    [score_id] = yearly.score_ids
    record_score(world.rt, world.person("inspector"), score_id, criterion="report", points=8)
    lock(world, score_id)
    ranking = rank_units(world.rt, world.person("issuer"), checklist="mini", period="2026",
                         org_id=world.committee)
    [a, b] = ranking.standings
    # 0.5 × (0.1 × 83 + 0.2 × 89 + 0 + 0) + 0.5 × 80 = 0.5 × 26.1 + 40 = 53.05 (rounded half up)
    assert (a.subject.org_id, str(a.total)) == (world.branch_a, "53.05")
    assert a.breakdown["missing"] == ["Q3", "Q4"]
    assert (b.subject.org_id, b.status) == (world.branch_b, "ranked")


def test_member_points_roll_up_to_groups_and_branches_with_stars(world: World) -> None:
    started = start_assessment(world.rt, world.person("issuer"), checklist="group_points",
                               period="2026-03", org_id=world.committee)
    assert len(started.score_ids) == 1  # the one member of group A: group_handler
    [score_id] = started.score_ids
    points = {"hold_post": 20, "keep_duty": 20, "do_job": 18, "results": 22, "group_life": 10,
              "discipline": 0}
    with pytest.raises(NotAllowed, match="do not score themselves"):
        record_score(world.rt, world.person("group_handler"), score_id, criterion="hold_post",
                     points=20)
    for criterion, value in points.items():
        record_score(world.rt, world.person("handler_a"), score_id, criterion=criterion,
                     points=value, evidence=_evidence(world) if criterion == "results" else ())
    fire_score(world.rt, world.person("handler_a"), score_id, "submit")
    fire_score(world.rt, world.person("issuer"), score_id, "review")
    fire_score(world.rt, world.person("issuer"), score_id, "lock", password=PASSWORD)
    members = rank_units(world.rt, world.person("leader"), checklist="group_points",
                         period="2026-03", org_id=world.committee)
    assert [(s.subject.name, str(s.total), s.stars) for s in members.standings] == [
        ("group_handler同志", "90.00", 4)]
    groups = rank_units(world.rt, world.person("leader"), checklist="group_points",
                        period="2026-03", org_id=world.committee, level="group")
    assert [(s.subject.org_id, str(s.total), s.stars) for s in groups.standings] == [
        (world.group_a, "90.00", 4)]
    branches = rank_units(world.rt, world.person("leader"), checklist="group_points",
                          period="2026-03", org_id=world.committee, level="branch")
    assert [(s.subject.org_id, s.status) for s in branches.standings] == [
        (world.branch_a, "ranked"), (world.branch_b, "pending")]


def _evidence(world: World) -> list[str]:
    """A file the group submitted on one of its items, cited as evidence for its results."""
    item = issue_task(world, to=world.group_a, title="小组业绩台账")
    return [attach(world, item, who="group_handler", content=b"sales ledger")]
