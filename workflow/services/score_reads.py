"""Read models of assessments for the faces: a score with its breakdown and history, a round."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from workflow.access import Scope
from workflow.assessments.model import Checklist
from workflow.errors import NotFound
from workflow.models import (
    Assessment,
    AssessmentScore,
    CriterionScore,
    LedgerEntry,
    Organisation,
    Person,
    ScoreCorrection,
    ScoreEvidence,
)
from workflow.runtime import Runtime
from workflow.services.scores import effective_result, live_result, load_score
from workflow.services.supervision import scope_of


@dataclass(frozen=True)
class ScoreDetail:
    score: AssessmentScore
    assessment: Assessment
    checklist: Checklist
    unit: str
    member: str | None
    criteria: list[CriterionScore]
    evidence: list[ScoreEvidence]
    corrections: list[ScoreCorrection]
    #: official when locked (with corrections), frozen when submitted, a live preview in draft
    result: dict[str, Any]
    ledger: list[LedgerEntry]


@dataclass(frozen=True)
class ScoreLine:
    score_id: int
    unit: str
    member: str | None
    state: str
    total: str | None


def score_detail(rt: Runtime, actor: Person | Scope, score_id: int) -> ScoreDetail:
    """One score as its unit, its scorer or the committee sees it; NotFound when out of scope."""
    scope = scope_of(actor)
    with rt.read() as session:
        loaded = load_score(session, scope, score_id)
        score = loaded.score
        if score.state == "locked":
            result = effective_result(session, score) or {}
        elif score.result is not None:
            result = score.result
        else:
            result = live_result(rt, session, loaded)
        member = session.get(Person, score.person_id) if score.person_id else None
        return ScoreDetail(
            score=score, assessment=loaded.assessment, checklist=loaded.checklist,
            unit=session.get_one(Organisation, score.org_id).name,
            member=member.display_name if member else None,
            criteria=list(session.scalars(select(CriterionScore).where(
                CriterionScore.score_id == score_id).order_by(CriterionScore.id))),
            evidence=list(session.scalars(select(ScoreEvidence).where(
                ScoreEvidence.score_id == score_id).order_by(ScoreEvidence.id))),
            corrections=list(session.scalars(select(ScoreCorrection).where(
                ScoreCorrection.score_id == score_id).order_by(ScoreCorrection.seq))),
            result=result,
            ledger=list(session.scalars(select(LedgerEntry).where(
                LedgerEntry.subject == f"score:{score_id}").order_by(LedgerEntry.subject_seq))),
        )


def assessment_scores(rt: Runtime, actor: Person | Scope, assessment_id: int) -> list[ScoreLine]:
    """The scores of a round the actor may see, in tree order."""
    scope = scope_of(actor)
    with rt.read() as session:
        assessment = session.get(Assessment, assessment_id)
        if assessment is None:
            raise NotFound(f"assessment {assessment_id} not found")
        rows = session.execute(
            select(AssessmentScore, Organisation.name, Person.display_name)
            .join(Organisation, Organisation.id == AssessmentScore.org_id)
            .outerjoin(Person, Person.id == AssessmentScore.person_id)
            .where(AssessmentScore.assessment_id == assessment_id)
            .order_by(AssessmentScore.org_path, AssessmentScore.id))
        lines = []
        for score, unit, member in rows:
            if not scope.can_see(score.org_path, assessment.org_path):
                continue
            result = effective_result(session, score) if score.state == "locked" else score.result
            lines.append(ScoreLine(score.id, unit, member, score.state,
                                   result["total"] if result else None))
        if not lines and not scope.can_see(assessment.org_path, assessment.org_path):
            raise NotFound(f"assessment {assessment_id} not found")
        return lines
