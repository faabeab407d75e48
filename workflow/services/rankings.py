"""Rankings and the public board (公示栏): per period, per level of the tree, with breakdowns.

Only locked scores count (with their corrections); a year of a quarterly checklist is the
weighted quarters plus the yearly items (workflow/assessments/scoring.yearly_total). Everyone
with a role in or above the assessed units sees the board; breakdowns are shown only for the
units the viewer may see. Ties and vetoes follow workflow/assessments/ranking.TIE_RULE.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.access import Scope, in_subtree
from workflow.assessments.model import Checklist
from workflow.assessments.periods import parse_period, quarters_of
from workflow.assessments.ranking import TIE_RULE, Standing, Subject, rank, roll_up
from workflow.assessments.scoring import grade_fields, yearly_total
from workflow.errors import InvalidInput, NotFound
from workflow.models import Assessment, AssessmentScore, Organisation, Person
from workflow.runtime import Runtime
from workflow.services.checklists import checklist_of, stored_checklist
from workflow.services.orgs import ORG_KINDS
from workflow.services.scores import effective_result
from workflow.services.supervision import related_org, scope_of


@dataclass(frozen=True)
class Ranking:
    checklist: str
    period: str
    org_id: int
    org_name: str
    level: str
    standings: tuple[Standing, ...]
    rule: str = TIE_RULE


def rank_units(
    rt: Runtime, actor: Any, *, checklist: str, period: str, org_id: int,
    level: str | None = None,
) -> Ranking:
    """The ranking (and board) of an assessment round. Raises NotFound or InvalidInput."""
    scope = scope_of(actor)
    with rt.read() as session:
        return compute_ranking(session, scope, checklist=checklist, period=period,
                               org_id=org_id, level=level)


def compute_ranking(
    session: Session, scope: Scope, *, checklist: str, period: str, org_id: int,
    level: str | None,
) -> Ranking:
    """`rank_units` inside the caller's session (proposals rank and write in one transaction)."""
    org = related_org(session, scope, org_id)
    when = parse_period(period)
    spec = stored_checklist(session, checklist)
    if when.kind == "year" and spec.cycle == "quarterly":
        spec, subjects = _yearly_subjects(session, checklist, when.year, org)
    else:
        assessment = _assessment(session, checklist, when.label, org)
        spec = checklist_of(session, assessment)
        subjects = _subjects(session, assessment)
    name, subjects = _at_level(session, spec, org, subjects, level)
    standings = tuple(_shown(scope, org, s) for s in rank(subjects))
    return Ranking(spec.name, when.label, org.id, org.name, name, standings)


def _assessment(session: Session, checklist: str, period: str, org: Organisation) -> Assessment:
    found = session.scalars(select(Assessment).where(
        Assessment.checklist == checklist, Assessment.period == period,
        Assessment.org_id == org.id)).first()
    if found is None:
        raise NotFound(f"no assessment '{checklist}' for {period} under {org.name}")
    return found


def _subjects(session: Session, assessment: Assessment) -> list[Subject]:
    rows = session.execute(
        select(AssessmentScore, Organisation.name, Person.display_name)
        .join(Organisation, Organisation.id == AssessmentScore.org_id)
        .outerjoin(Person, Person.id == AssessmentScore.person_id)
        .where(AssessmentScore.assessment_id == assessment.id))
    return [Subject(score.org_id, person_name or org_name, score.org_path,
                    effective_result(session, score) if score.state == "locked" else None,
                    score.person_id)
            for score, org_name, person_name in rows]


def _yearly_subjects(session: Session, checklist: str, year: int,
                     org: Organisation) -> tuple[Checklist, list[Subject]]:
    labels = [q.label for q in quarters_of(year)] + [str(year)]
    rounds = {a.period: a for a in session.scalars(select(Assessment).where(
        Assessment.checklist == checklist, Assessment.period.in_(labels),
        Assessment.org_id == org.id))}
    if not rounds:
        raise NotFound(f"no assessment '{checklist}' in {year} under {org.name}")
    spec = checklist_of(session, max(rounds.values(), key=lambda a: a.checklist_version))
    if spec.yearly is None or spec.subject != "unit":
        raise InvalidInput(f"checklist '{checklist}' has no yearly evaluation of units")
    by_period = {period: {s.org_id: s for s in _subjects(session, a)}
                 for period, a in rounds.items()}
    units = {s.org_id: s for found in by_period.values() for s in found.values()}
    subjects = []
    for unit in sorted(units.values(), key=lambda s: s.path):
        quarters = [_result_of(by_period, label, unit.org_id) for label in labels[:4]]
        items = _result_of(by_period, labels[4], unit.org_id)
        subjects.append(replace(unit, result=yearly_total(spec, quarters, items)))
    return spec, subjects


def _result_of(by_period: dict[str, dict[int, Subject]], period: str,
               org_id: int) -> dict[str, Any] | None:
    subject = by_period.get(period, {}).get(org_id)
    return subject.result if subject else None


def _at_level(session: Session, spec: Checklist, org: Organisation, subjects: list[Subject],
              level: str | None) -> tuple[str, list[Subject]]:
    scored = "member" if spec.subject == "member" else "/".join(spec.applies_to)
    if level is None or level == scored:
        return scored, subjects
    if level not in ORG_KINDS:
        raise InvalidInput(f"level: '{level}' is not one of member, {', '.join(ORG_KINDS)}")
    units = session.scalars(select(Organisation).where(
        in_subtree(Organisation.path, org.path), Organisation.kind == level,
        Organisation.closed_at.is_(None)).order_by(Organisation.path))
    if spec.subject == "unit" and level in spec.applies_to:
        kept = {u.id for u in units}
        return level, [s for s in subjects if s.org_id in kept]
    shells = [Subject(u.id, u.name, u.path, None) for u in units]
    return level, roll_up(subjects, shells, spec.rollup.veto,
                          lambda total, vetoed: grade_fields(spec, Decimal(total), vetoed))


def _shown(scope: Scope, org: Organisation, standing: Standing) -> Standing:
    """Points and stars for everyone on the board; the breakdown for those who may see it."""
    if scope.is_admin or scope.can_see(standing.subject.path, org.path):
        return standing
    return replace(standing, breakdown={})
