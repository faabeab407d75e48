"""Recycled evidence: the same file used by different units, or again in a later quarter."""

from __future__ import annotations

from tests.conftest import World
from tests.workflow.helpers import attach, issue_task
from tests.workflow.supervision.helpers import start_mini
from workflow.evidence_checks import item_evidence_flags, recycled_evidence
from workflow.services.assessments import record_score

SAME = b"the same minutes, photocopied"


def test_the_same_file_from_two_units_is_flagged_without_leaking_the_other(world: World) -> None:
    mine = issue_task(world, title="主题党日")
    theirs = issue_task(world, to=world.branch_b, title="主题党日")
    sha = attach(world, mine, content=SAME)
    assert attach(world, theirs, who="handler_b", content=SAME) == sha
    [flag] = item_evidence_flags(world.rt, world.person("inspector"), mine)
    assert (flag.sha256, flag.reasons) == (sha, ("several_units",))
    assert {(u.item_id, u.org_name) for u in flag.uses} == {
        (mine, "甲公司党支部"), (theirs, "乙公司党支部")}
    [seen_by_a] = item_evidence_flags(world.rt, world.person("handler_a"), mine)
    assert {(u.item_id, u.visible, u.org_name) for u in seen_by_a.uses} == {
        (mine, True, "甲公司党支部"), (theirs, False, None)}
    assert [f.sha256 for f in recycled_evidence(world.rt, world.person("issuer"))] == [sha]


def test_a_file_reused_in_a_later_quarter_is_flagged(world: World) -> None:
    first = issue_task(world, title="一季度党费收缴")
    sha = attach(world, first, content=SAME)
    world.rt.clock.advance(days=40)  # type: ignore[attr-defined]  # into the second quarter
    again = issue_task(world, title="二季度党费收缴", days=70)
    attach(world, again, content=SAME)
    [flag] = recycled_evidence(world.rt, world.person("issuer"), sha256s=[sha])
    assert flag.reasons == ("several_periods",)
    assert [u.quarter for u in flag.uses] == ["2026Q1", "2026Q2"]


def test_one_unit_using_a_file_twice_in_a_quarter_or_with_its_own_group_is_not_flagged(
        world: World) -> None:
    sha = attach(world, issue_task(world, title="一"), content=SAME)
    attach(world, issue_task(world, title="二"), content=SAME)
    attach(world, issue_task(world, to=world.group_a, title="三"), who="group_handler",
           content=SAME)
    assert recycled_evidence(world.rt, world.person("issuer"), sha256s=[sha]) == []


def test_evidence_cited_for_scores_counts_too(world: World) -> None:
    sha = attach(world, issue_task(world, title="三会一课"), content=SAME)
    score_b = start_mini(world)[world.branch_b]
    record_score(world.rt, world.person("inspector"), score_b, criterion="meetings", points=40,
                 evidence=[sha])
    [flag] = recycled_evidence(world.rt, world.person("issuer"), org_id=world.branch_b)
    assert flag.reasons == ("several_units",)
    assert {(u.org_id, u.score_id is not None) for u in flag.uses} == {
        (world.branch_a, False), (world.branch_b, True)}
