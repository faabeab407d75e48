"""Starting an assessment and scoring its units (季度督查考核, 月度积分, 年度项目).

A committee (issuer) starts an assessment of a checklist for a period over the units (or the
members of units) below it; each subject gets a draft score. Scorers — the checklist's
`scored_by` roles, inspectors only over the units they are assigned — fill in points, notes and
evidence per criterion. Every change is a ledger entry on the score's chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from workflow.access import Scope, in_subtree
from workflow.assessments.model import Checklist
from workflow.assessments.periods import Period, parse_period
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed
from workflow.models import (
    Assessment,
    AssessmentScore,
    CriterionScore,
    EvidenceFile,
    ItemEvidence,
    Organisation,
    Person,
    ScoreEvidence,
)
from workflow.runtime import Runtime
from workflow.services.checklists import current_checklist
from workflow.services.scores import (
    Loaded,
    criterion_of,
    load_score,
    parse_points,
    refuse_locked,
    require_role,
)
from workflow.services.supervision import record, related_org, scope_of


@dataclass(frozen=True)
class StartedAssessment:
    assessment_id: int
    score_ids: tuple[int, ...]


@dataclass(frozen=True)
class Recorded:
    score_id: int
    criterion: str
    points: str | None
    veto_failed: bool
    version: int


def start_assessment(
    rt: Runtime, actor: Person | Scope, *, checklist: str, period: str, org_id: int,
    unit_ids: Sequence[int] | None = None,
) -> StartedAssessment:
    """Open a draft score for every subject of `checklist` under the organisation.

    A year of a quarterly checklist scores its yearly items. Raises NotFound, NotAllowed (only
    issuers of the organisation start assessments) or InvalidInput (period and cycle disagree,
    no subjects, or the assessment already exists).
    """
    scope = scope_of(actor)
    when = parse_period(period)
    with rt.transaction() as session:
        org = related_org(session, scope, org_id)
        if not scope.holds("issuer", org.path, org.path):
            raise NotAllowed(f"only an issuer of {org.name} starts its assessments")
        spec = current_checklist(rt, session, checklist)
        yearly = _yearly_items(spec, when)
        _refuse_duplicate(session, spec, when, org)
        subjects = _subjects(session, spec, org, unit_ids)
        now = rt.clock.now()
        assessment = Assessment(checklist=spec.name, checklist_version=spec.version,
                                period=when.label, yearly_items=yearly, org_id=org.id,
                                org_path=org.path, started_by_id=scope.person_id, started_at=now)
        session.add(assessment)
        session.flush()
        scores = [AssessmentScore(assessment_id=assessment.id, org_id=unit.id, org_path=unit.path,
                                  person_id=person_id, state="draft", version=1, created_at=now,
                                  updated_at=now) for unit, person_id in subjects]
        session.add_all(scores)
        session.flush()
        for score in scores:
            record(session, scope, f"score:{score.id}", "score.open", now, org_id=score.org_id,
                   to_state="draft", inputs={"assessment": assessment.id,
                                             "person": score.person_id})
        record(session, scope, f"assessment:{assessment.id}", "assessment.start", now,
               org_id=org.id, inputs={
                   "checklist": spec.name, "version": spec.version, "hash": spec.source_hash,
                   "period": when.label, "yearly_items": yearly,
                   "scores": [s.id for s in scores]})
        return StartedAssessment(assessment.id, tuple(s.id for s in scores))


def record_score(
    rt: Runtime, actor: Person | Scope, score_id: int, *, criterion: str, points: Any,
    note: str | None = None, veto_failed: bool = False, evidence: Sequence[str] = (),
) -> Recorded:
    """Set the points (and veto verdict, note, evidence) of one criterion of a draft score.

    Raises NotFound, ScoreLocked (a locked score only takes corrections), InvalidTransition
    (submitted or reviewed: send it back first), NotAllowed (not a scorer of this unit) or
    InvalidInput.
    """
    scope = scope_of(actor)
    with rt.transaction() as session:
        loaded = _scorable(session, scope, score_id)
        spec = criterion_of(loaded, criterion)
        value = None if points is None else parse_points(spec, points)
        if veto_failed and spec.veto is None:
            raise InvalidInput(f"veto_failed: {criterion} is not a veto criterion")
        if veto_failed and not (note or "").strip():
            raise InvalidInput("a failed veto criterion needs a note saying why",
                               fields={"note": ["required"]})
        now = rt.clock.now()
        row = session.scalars(select(CriterionScore).where(
            CriterionScore.score_id == score_id, CriterionScore.criterion == criterion)).first()
        if row is None:
            row = CriterionScore(score_id=score_id, criterion=criterion)
            session.add(row)
        row.points, row.veto_failed = (None if value is None else str(value)), veto_failed
        row.note, row.scored_by_id, row.scored_at = note, scope.person_id, now
        hashes = _cite(session, scope, loaded.score, criterion, evidence, now)
        _touch(loaded, now)
        record(session, scope, f"score:{score_id}", "score.record", now,
               org_id=loaded.score.org_id, reason=note, evidence=hashes, inputs={
                   "criterion": criterion, "points": row.points, "veto_failed": veto_failed})
        return Recorded(score_id, criterion, row.points, veto_failed, loaded.score.version)


def attach_score_evidence(
    rt: Runtime, actor: Person | Scope, score_id: int, criterion: str, filename: str,
    stream: BinaryIO,
) -> str:
    """Store a file (content-addressed, as item evidence is) and cite it for one criterion."""
    from workflow.services.evidence import _check_name, _stage, _store  # the evidence store

    scope = scope_of(actor)
    name, content_type = _check_name(filename)
    staged = _stage(rt.evidence_path, stream)
    try:
        with rt.transaction() as session:
            loaded = _scorable(session, scope, score_id)
            criterion_of(loaded, criterion)
            _store(session, rt, staged, content_type)
            session.flush()
            now = rt.clock.now()
            _cite(session, scope, loaded.score, criterion, [staged.sha256], now, filename=name)
            _touch(loaded, now)
            record(session, scope, f"score:{score_id}", "score.evidence", now,
                   org_id=loaded.score.org_id, evidence=[staged.sha256],
                   inputs={"criterion": criterion, "filename": name, "size": staged.size})
    finally:
        staged.path.unlink(missing_ok=True)
    return staged.sha256


def _scorable(session: Session, scope: Scope, score_id: int) -> Loaded:
    loaded = load_score(session, scope, score_id, lock=True)
    refuse_locked(loaded)
    if loaded.score.state != "draft":
        raise InvalidTransition(f"score {score_id} is {loaded.score.state}; send it back to "
                                "draft before changing it", state=loaded.score.state)
    require_role(scope, loaded, loaded.checklist.scored_by, "scoring")
    if loaded.score.person_id is not None and loaded.score.person_id == scope.person_id:
        raise NotAllowed("members do not score themselves")
    return loaded


def _cite(session: Session, scope: Scope, score: AssessmentScore, criterion: str,
          hashes: Sequence[str], now: Any, filename: str | None = None) -> list[str]:
    cited = []
    for sha in dict.fromkeys(hashes):
        if session.get(EvidenceFile, sha) is None:
            raise InvalidInput(f"evidence: no stored file has SHA-256 {sha}",
                               fields={"evidence": ["unknown file"]})
        exists = session.scalar(select(ScoreEvidence.id).where(
            ScoreEvidence.score_id == score.id, ScoreEvidence.criterion == criterion,
            ScoreEvidence.sha256 == sha))
        if not exists:
            name = filename or session.scalar(select(ItemEvidence.filename).where(
                ItemEvidence.sha256 == sha).limit(1)) or sha[:12]
            session.add(ScoreEvidence(score_id=score.id, criterion=criterion, sha256=sha,
                                      filename=name, added_by_id=scope.person_id, added_at=now))
        cited.append(sha)
    return cited


def _touch(loaded: Loaded, now: Any) -> None:
    loaded.score.version += 1
    loaded.score.updated_at = now


def _yearly_items(spec: Checklist, when: Period) -> bool:
    if when.cycle == spec.cycle:
        return False
    if when.kind == "year" and spec.yearly is not None and spec.yearly.items:
        return True
    raise InvalidInput(f"period: checklist '{spec.name}' is {spec.cycle}; '{when.label}' is a "
                       f"{when.kind}", fields={"period": ["does not match the cycle"]})


def _refuse_duplicate(session: Session, spec: Checklist, when: Period, org: Organisation) -> None:
    found = session.scalar(select(Assessment.id).where(
        Assessment.checklist == spec.name, Assessment.period == when.label,
        Assessment.org_id == org.id))
    if found:
        raise InvalidInput(f"'{spec.name}' for {when.label} under {org.name} was already started "
                           f"(assessment {found})")


def _subjects(session: Session, spec: Checklist, org: Organisation,
              unit_ids: Sequence[int] | None) -> list[tuple[Organisation, int | None]]:
    query = select(Organisation).where(in_subtree(Organisation.path, org.path),
                                       Organisation.closed_at.is_(None),
                                       Organisation.kind.in_(list(spec.applies_to)))
    if unit_ids is not None:
        query = query.where(Organisation.id.in_(list(unit_ids)))
    units = sorted(session.scalars(query), key=lambda u: u.path)
    if unit_ids is not None and len(units) != len(set(unit_ids)):
        kinds = ", ".join(spec.applies_to)
        raise InvalidInput(f"units: every unit must be an open {kinds} under {org.name}")
    subjects: list[tuple[Organisation, int | None]] = [(u, None) for u in units]
    if spec.subject == "member":
        by_id = {u.id: u for u in units}
        people = session.scalars(select(Person).where(
            Person.org_id.in_(list(by_id)), Person.active == true()).order_by(Person.id))
        subjects = [(by_id[p.org_id], p.id) for p in people if p.org_id is not None]
    if not subjects:
        raise InvalidInput(f"nobody to assess: no {spec.subject}s of "
                           f"{', '.join(spec.applies_to)} under {org.name}")
    return subjects
