"""The demo's supervision cycle: a spot check and a completed quarter of assessment.

Four branches are scored on the 16 aspects (branch_work): one is strong, one middling, one has
the highest points but fails the integrity veto (一票否决), one trails. Scores are submitted by
the inspection team, reviewed and locked by the organisation department, one is corrected after
locking, and the ranking yields a commendation and accountability proposals (the vetoed unit's
confirmed, the lowest-ranked one left for the committee to decide). Everything goes through the
engine's services, so the ledger holds every step.
"""

from __future__ import annotations

import io
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from workflow.assessments.periods import quarter_label
from workflow.clock import FixedClock
from workflow.models import AssessmentScore, Person
from workflow.runtime import Runtime
from workflow.services.assessments import attach_score_evidence, record_score, start_assessment
from workflow.services.checklists import current_checklist
from workflow.services.proposals import decide_proposal, propose_outcomes
from workflow.services.scores import correct_score, fire_score
from workflow.services.spot_checks import start_spot_check
from workflow.services.spot_reviews import record_review

#: share of each criterion's maximum a branch earns (branch 3 also fails the integrity veto)
PROFILES = {"branch1": Decimal("0.92"), "branch2": Decimal("0.84"), "branch3": Decimal("0.97"),
            "branch4": Decimal("0.71")}
DEMO_SEED = 20260301


def seed_supervision(rt: Runtime, units: dict[str, int], people: dict[str, Person],
                     password: str) -> None:
    """Run one spot check and one locked quarter on the demo county (`password` is the demo
    accounts' own: locking a score is signed)."""
    clock = rt.clock
    assert isinstance(clock, FixedClock)
    issuer, inspector = people["zuzhibu"], people["ducha"]
    month = clock.now().astimezone(rt.settings.tz).strftime("%Y-%m")
    check = start_spot_check(rt, issuer, org_id=units["county"], period=month, size=2,
                             seed=DEMO_SEED, note="月抽查：随机抽取两个党支部")
    clock.advance(days=1)
    record_review(rt, inspector, check.review_ids[0], verdict="compliant")
    record_review(rt, inspector, check.review_ids[1], verdict="partly_compliant",
                  note="主题党日活动记录缺少照片和签到，需补充完善")
    clock.advance(days=1)
    quarter = quarter_label(clock.now(), rt.settings.tz)
    started = start_assessment(rt, issuer, checklist="branch_work", period=quarter,
                               org_id=units["county"], unit_ids=[units[u] for u in PROFILES])
    with rt.read() as session:
        rows = session.execute(select(AssessmentScore.org_id, AssessmentScore.id).where(
            AssessmentScore.assessment_id == started.assessment_id))
        by_org = {org_id: score_id for org_id, score_id in rows}
    scores = {unit: by_org[units[unit]] for unit in PROFILES}
    for unit, score_id in scores.items():
        _score_branch(rt, inspector, unit, score_id)
        fire_score(rt, inspector, score_id, "submit")
    clock.advance(days=1)
    for score_id in scores.values():
        fire_score(rt, issuer, score_id, "review")
        fire_score(rt, issuer, score_id, "lock", password=password)
    correct_score(rt, issuer, scores["branch2"], criterion="heart_talks", points=5,
                  reason="补充提交谈心谈话记录，经复核予以更正")
    _propose(rt, issuer, units["county"], quarter, password)


def _score_branch(rt: Runtime, inspector: Person, unit: str, score_id: int) -> None:
    with rt.read() as session:
        checklist = current_checklist(rt, session, "branch_work")
    sha = attach_score_evidence(rt, inspector, score_id, "three_meetings", f"{unit}台账.pdf",
                                io.BytesIO(f"{unit} 党建工作台账 {score_id}".encode()))
    for criterion in checklist.criteria:
        points = (criterion.max_points * PROFILES[unit] * 2).quantize(
            Decimal(1), rounding=ROUND_HALF_UP) / 2
        vetoed = unit == "branch3" and criterion.name == "integrity"
        record_score(rt, inspector, score_id, criterion=criterion.name, points=points,
                     veto_failed=vetoed, evidence=[sha] if criterion.evidence else (),
                     note="班子成员发生严重违纪问题，经查属实" if vetoed else None)


def _propose(rt: Runtime, issuer: Person, county: int, quarter: str, password: str) -> None:
    proposals = propose_outcomes(rt, issuer, checklist="branch_work", period=quarter,
                                 org_id=county)
    for proposal in proposals:
        if proposal.kind == "commendation":
            decide_proposal(rt, issuer, proposal.id, decision="confirm", reason="予以通报表彰",
                            password=password)
        elif proposal.vetoed:
            decide_proposal(rt, issuer, proposal.id, decision="confirm",
                            reason="一票否决，对支部书记进行约谈并通报批评", password=password)
