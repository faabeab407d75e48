"""A score's life after it is filled in: submit, send back, review, lock — and corrections.

The steps follow the score machine (workflow/assessments/machine.py); each is one ledger entry
on the score's chain (`score:ID`). Submitting and locking freeze the breakdown, with the unit's
automatic deductions counted from its record at that moment. A locked score is never changed:
`correct_score` appends a correction (with its reason, the values before and after, and the new
breakdown) and a ledger entry; rankings read the latest correction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.access import Scope
from workflow.assessments.machine import step
from workflow.assessments.model import Checklist, Criterion
from workflow.assessments.periods import parse_period
from workflow.assessments.record import record_counts
from workflow.assessments.scoring import Entry, compute
from workflow.errors import (
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
    VersionConflict,
)
from workflow.models import (
    Assessment,
    AssessmentScore,
    CriterionScore,
    LedgerEntry,
    Person,
    ScoreCorrection,
    ScoreEvidence,
)
from workflow.runtime import Runtime
from workflow.services.checklists import checklist_of
from workflow.services.signatures import check_password
from workflow.services.supervision import locking, record, scope_of

#: the meaning of the signature on locking a score
LOCK_SIGNATURE = "locked"


class ScoreLocked(NotAllowed):
    """A locked score was asked to change; only a correction may change its result."""

    code = "score_locked"


@dataclass
class Loaded:
    """A score with its assessment and checklist, as a service needs them."""

    score: AssessmentScore
    assessment: Assessment
    checklist: Checklist


@dataclass(frozen=True)
class ScoreStep:
    score_id: int
    trigger: str
    from_state: str
    state: str
    version: int
    result: dict[str, Any] | None


@dataclass(frozen=True)
class Corrected:
    score_id: int
    seq: int
    before_total: str
    after_total: str
    vetoed: bool


def load_score(session: Session, scope: Scope, score_id: int, *, lock: bool = False) -> Loaded:
    """The score if the actor can see its unit (NotFound otherwise, so existence never leaks)."""
    score = session.get(AssessmentScore, score_id, with_for_update=lock and locking(session))
    assessment = session.get(Assessment, score.assessment_id) if score else None
    if score is None or assessment is None or not scope.can_see(score.org_path,
                                                                  assessment.org_path):
        raise NotFound(f"score {score_id} not found")
    return Loaded(score, assessment, checklist_of(session, assessment))


def refuse_locked(loaded: Loaded) -> None:
    if loaded.score.state == "locked":
        raise ScoreLocked(
            f"score {loaded.score.id} ({loaded.assessment.period}) is locked and is never "
            "changed; record a correction with a reason instead (sandan assess correct)",
            score_id=loaded.score.id)


def require_role(scope: Scope, loaded: Loaded, roles: tuple[str, ...], what: str) -> None:
    if not any(scope.holds(r, loaded.score.org_path, loaded.assessment.org_path) for r in roles):
        raise NotAllowed(f"{what} needs the role {' or '.join(roles)} for this unit",
                         roles=list(roles))


def criterion_of(loaded: Loaded, name: str) -> Criterion:
    found = loaded.checklist.criterion(name, yearly=loaded.assessment.yearly_items)
    if found is None:
        raise InvalidInput(f"criterion: '{name}' is not in checklist '{loaded.checklist.name}'",
                           fields={"criterion": ["unknown"]})
    return found


def parse_points(criterion: Criterion, points: Any) -> Decimal:
    """Points as an exact decimal within 0..max and to at most two places."""
    try:
        value = Decimal(str(points).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"points: '{points}' is not a number",
                           fields={"points": ["not a number"]}) from None
    if not value.is_finite() or value < 0 or value > criterion.max_points:
        raise InvalidInput(f"points: {criterion.name} takes 0 to {criterion.max_points} points, "
                           f"not {points}", fields={"points": ["out of range"]})
    if value != value.quantize(Decimal("0.01")):
        raise InvalidInput("points: at most two decimal places", fields={"points": ["too precise"]})
    return value


def entries_of(session: Session, score_id: int, *, corrected: bool = True) -> dict[str, Entry]:
    """What was scored per criterion, with every correction applied in order."""
    rows = session.scalars(select(CriterionScore).where(CriterionScore.score_id == score_id))
    entries = {row.criterion: _entry({"points": row.points, "veto_failed": row.veto_failed})
               for row in rows}
    if corrected:
        fixes = session.scalars(select(ScoreCorrection).where(
            ScoreCorrection.score_id == score_id).order_by(ScoreCorrection.seq))
        for fix in fixes:
            entries[fix.criterion] = _entry(fix.after)
    return entries


def live_result(rt: Runtime, session: Session, loaded: Loaded) -> dict[str, Any]:
    """The breakdown now: entries as they stand, deductions from the unit's record so far."""
    counts: dict[str, int] = {}
    if loaded.checklist.subject == "unit" and not loaded.assessment.yearly_items:
        start, end = parse_period(loaded.assessment.period).bounds(rt.settings.tz)
        counts = record_counts(session, loaded.checklist, loaded.score.org_path, start, end,
                               min(end, rt.clock.now()))
    return compute(loaded.checklist, entries_of(session, loaded.score.id), counts,
                   yearly=loaded.assessment.yearly_items)


def effective_result(session: Session, score: AssessmentScore) -> dict[str, Any] | None:
    """The official breakdown: the latest correction's, else the one frozen at locking."""
    latest = session.scalars(select(ScoreCorrection.result).where(
        ScoreCorrection.score_id == score.id).order_by(ScoreCorrection.seq.desc())).first()
    return latest if latest is not None else score.result


def fire_score(
    rt: Runtime, actor: Person | Scope, score_id: int, trigger: str, *,
    reason: str | None = None, expected_version: int | None = None, password: str | None = None,
) -> ScoreStep:
    """Move a score along its machine (submit, send_back, review, lock), with a ledger entry.

    Locking decides a unit's standing, so it is an electronic signature: the person re-enters
    `password` and the entry records the meaning "locked".

    Raises NotFound, VersionConflict (stale `expected_version`), InvalidTransition (not from
    this state; a locked score has no way out), NotAllowed (role, separation of duties) or
    InvalidInput (a missing reason; submitting with criteria or required evidence missing).
    """
    scope = scope_of(actor)
    with rt.transaction() as session:
        loaded = load_score(session, scope, score_id, lock=True)
        score = loaded.score
        _expect(score, expected_version)
        refuse_locked(loaded)
        transition, dest = step(score.state, trigger, reason)
        roles = loaded.checklist.scored_by if trigger == "submit" else transition.roles
        require_role(scope, loaded, roles, f"'{trigger}'")
        if score.person_id is not None and score.person_id == scope.person_id:
            raise NotAllowed("members do not submit, review or lock their own scores")
        _separate(session, scope, score, transition.separation_of_duties)
        if trigger == "lock":
            check_password(session, actor, "locking a score is signed", password)
        result = score.result if dest != "draft" else None
        if trigger in ("submit", "lock"):
            result = live_result(rt, session, loaded)
            if trigger == "submit":
                _require_complete(session, loaded, result)
        now = rt.clock.now()
        before = score.state
        score.state, score.result, score.version = dest, result, score.version + 1
        score.updated_at = now
        if dest == "locked":
            score.locked_at = now
        record(session, scope, f"score:{score.id}", f"score.{trigger}", now, org_id=score.org_id,
               trigger=trigger, from_state=before, to_state=dest, reason=reason,
               inputs=_summary(result), signature=LOCK_SIGNATURE if trigger == "lock" else None)
        return ScoreStep(score.id, trigger, before, dest, score.version, result)


def correct_score(
    rt: Runtime, actor: Person | Scope, score_id: int, *, criterion: str, reason: str,
    points: Any = None, veto_failed: bool | None = None,
) -> Corrected:
    """Correct one criterion of a locked score by appending a correction (never overwriting).

    Raises NotFound, NotAllowed (issuers of the assessment only), InvalidTransition (the score is
    not locked: change it through its machine instead) or InvalidInput.
    """
    scope = scope_of(actor)
    if not (reason or "").strip():
        raise InvalidInput("a correction needs a reason", fields={"reason": ["required"]})
    with rt.transaction() as session:
        loaded = load_score(session, scope, score_id, lock=True)
        if loaded.score.state != "locked":
            raise InvalidTransition(f"score {score_id} is {loaded.score.state}, not locked; "
                                    "corrections are for locked scores only")
        require_role(scope, loaded, ("issuer",), "a correction")
        spec = criterion_of(loaded, criterion)
        entries = entries_of(session, score_id)
        old = entries.get(criterion, Entry(None))
        new = Entry(old.points if points is None else parse_points(spec, points),
                    old.veto_failed if veto_failed is None else bool(veto_failed))
        if new.veto_failed and spec.veto is None:
            raise InvalidInput(f"veto_failed: {criterion} is not a veto criterion")
        if new == old:
            raise InvalidInput("the correction changes nothing")
        before = effective_result(session, loaded.score) or {}
        entries[criterion] = new
        counts = {d["name"]: d["count"] for d in before.get("deductions", [])}
        result = compute(loaded.checklist, entries, counts, yearly=loaded.assessment.yearly_items)
        return _append_correction(rt, session, scope, loaded, criterion, old, new, reason, before,
                                  result)


def _append_correction(
    rt: Runtime, session: Session, scope: Scope, loaded: Loaded, criterion: str, old: Entry,
    new: Entry, reason: str, before: dict[str, Any], result: dict[str, Any],
) -> Corrected:
    seq = (session.scalar(select(func.max(ScoreCorrection.seq)).where(
        ScoreCorrection.score_id == loaded.score.id)) or 0) + 1
    now = rt.clock.now()
    session.add(ScoreCorrection(score_id=loaded.score.id, seq=seq, criterion=criterion,
                                before=_plain(old), after=_plain(new), reason=reason.strip(),
                                result=result, corrected_by_id=scope.person_id, corrected_at=now))
    record(session, scope, f"score:{loaded.score.id}", "score.correct", now,
           org_id=loaded.score.org_id, reason=reason.strip(), inputs={
               "correction": seq, "criterion": criterion, "before": _plain(old),
               "after": _plain(new), "total_before": before.get("total"),
               "total_after": result["total"], "vetoed": result["vetoed"]})
    return Corrected(loaded.score.id, seq, str(before.get("total")), result["total"],
                     result["vetoed"])


def _entry(data: dict[str, Any]) -> Entry:
    points = data.get("points")
    return Entry(None if points is None else Decimal(points), bool(data.get("veto_failed")))


def _plain(entry: Entry) -> dict[str, Any]:
    return {"points": None if entry.points is None else str(entry.points),
            "veto_failed": entry.veto_failed}


def _expect(score: AssessmentScore, expected: int | None) -> None:
    if expected is not None and expected != score.version:
        raise VersionConflict(f"score {score.id} is at version {score.version}, not {expected}; "
                              "reload it and try again", current_version=score.version)


def _separate(session: Session, scope: Scope, score: AssessmentScore,
              triggers: tuple[str, ...]) -> None:
    if not triggers or scope.person_id is None:
        return
    last = session.scalar(select(LedgerEntry.actor_id).where(
        LedgerEntry.subject == f"score:{score.id}", LedgerEntry.trigger.in_(triggers))
        .order_by(LedgerEntry.id.desc()).limit(1))
    if last == scope.person_id:
        raise NotAllowed(f"separation of duties: whoever fired {' / '.join(triggers)} on this "
                         "score may not review it")


def _require_complete(session: Session, loaded: Loaded, result: dict[str, Any]) -> None:
    problems = []
    if result["missing"]:
        problems.append("not scored: " + ", ".join(result["missing"]))
    cited = set(session.scalars(select(ScoreEvidence.criterion).where(
        ScoreEvidence.score_id == loaded.score.id)))
    criteria = (loaded.checklist.yearly.items if loaded.assessment.yearly_items
                and loaded.checklist.yearly else loaded.checklist.criteria)
    bare = [c.name for c in criteria if c.evidence and c.name not in cited]
    if bare:
        problems.append("evidence required for: " + ", ".join(bare))
    if problems:
        raise InvalidInput(f"score {loaded.score.id} cannot be submitted; " + "; ".join(problems),
                           fields={"criteria": problems})


def _summary(result: dict[str, Any] | None) -> dict[str, Any]:
    if result is None:
        return {}
    return {"total": result["total"], "vetoed": result["vetoed"], "veto": result["veto"],
            "grade": result["grade"],
            "deductions": {d["name"]: d["count"] for d in result["deductions"]}}
