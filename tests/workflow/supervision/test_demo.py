"""The demo county carries a completed quarter: locked scores, a veto, a ranking, proposals."""

from __future__ import annotations

from sqlalchemy import select

from workflow.models import Assessment, AssessmentScore, Organisation
from workflow.runtime import Runtime
from workflow.services.orgs import find_person
from workflow.services.proposals import list_proposals
from workflow.services.rankings import rank_units
from workflow.services.spot_checks import redraw_spot_check


def test_the_demo_has_a_completed_quarter(rt: Runtime) -> None:
    from workflow.demo import seed_demo

    seed_demo(rt)
    leader = find_person(rt, "lingdao")
    assert leader is not None
    with rt.read() as session:
        assessment = session.scalars(select(Assessment)).one()
        states = set(session.scalars(select(AssessmentScore.state)))
        county = session.scalars(select(Organisation.id).where(Organisation.code == "county")).one()
    assert (assessment.checklist, states) == ("branch_work", {"locked"})
    ranking = rank_units(rt, leader, checklist="branch_work", period=assessment.period,
                         org_id=county)
    assert [s.status for s in ranking.standings] == ["ranked"] * 3 + ["vetoed"]
    vetoed = ranking.standings[-1]
    assert vetoed.total > ranking.standings[0].total  # the most points, and still failed
    shown = list_proposals(rt, leader, checklist="branch_work", period=assessment.period,
                           org_id=county)
    assert [(p.kind, p.state) for p in shown] == [
        ("commendation", "confirmed"), ("accountability", "proposed"),
        ("accountability", "confirmed")]
    assert redraw_spot_check(rt, leader, 1).reproduced
