"""An inspector's review queue: what waits for their verdict in the units they inspect.

Three kinds of work: items standing in a state from which an inspector's transition leads on
(submitted evidence to approve or return, an extension to decide), the open review tasks of
monthly spot checks, and draft assessment scores that inspectors fill in. Items are read through
`ix_items_open_path` (open items of each inspected subtree); the states come from the
definitions, so a new list kind's review states join the queue without code.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select, true, tuple_
from sqlalchemy.orm import Session

from workflow.access import Scope, in_subtree
from workflow.models import Assessment, AssessmentScore, Item, Organisation, Person
from workflow.models.spot_checks import SpotCheckReview
from workflow.registry import Registry
from workflow.runtime import Runtime
from workflow.services.checklists import checklist_of
from workflow.services.spot_reviews import review_tasks
from workflow.services.supervision import scope_of

#: the most rows of each kind a queue shows (the oldest first)
LIMIT = 200


@dataclass(frozen=True)
class ScoreTask:
    """A draft score an inspector is to fill in and submit."""

    score_id: int
    assessment_id: int
    checklist: str
    period: str
    unit: str


@dataclass(frozen=True)
class ReviewQueue:
    items: list[Item]
    spot_checks: list[SpotCheckReview]
    scores: list[ScoreTask]
    units: dict[int, str]


def review_queue(rt: Runtime, actor: Person | Scope) -> ReviewQueue:
    """The actor's review work in the units where they inspect (empty for everyone else)."""
    scope = scope_of(actor)
    paths = inspected_paths(scope)
    spot_checks = review_tasks(rt, scope)
    with rt.read() as session:
        items = _items(session, rt.definitions, paths)
        scores = _scores(session, paths)
        units = _unit_names(session, {i.assignee_org_id for i in items}
                            | {r.org_id for r in spot_checks})
    return ReviewQueue(items, spot_checks[:LIMIT], scores, units)


def inspected_paths(scope: Scope) -> tuple[str, ...]:
    """Subtrees where the actor acts as inspector: granted the role, or assigned the unit."""
    return tuple(sorted(set(scope.paths("inspector")) | set(scope.inspected)))


def review_states(definitions: Registry) -> list[tuple[str, int, str]]:
    """(kind, version, state) where a transition fired by an inspector leaves the state."""
    return [(d.kind, d.version, s.name) for d in definitions.all() for s in d.states
            if any("inspector" in t.roles for t in d.transitions_from(s.name))]


def _items(session: Session, definitions: Registry, paths: tuple[str, ...]
           ) -> list[Item]:
    states = review_states(definitions)
    if not paths or not states:
        return []
    query = (
        select(Item)
        .where(Item.is_open == true(), or_(*(in_subtree(Item.org_path, p) for p in paths)),
               tuple_(Item.kind, Item.definition_version, Item.state).in_(states))
        .order_by(Item.updated_at, Item.id).limit(LIMIT)
    )
    return list(session.scalars(query))


def _scores(session: Session, paths: tuple[str, ...]) -> list[ScoreTask]:
    if not paths:
        return []
    query = (
        select(AssessmentScore, Assessment, Organisation.name)
        .join(Assessment, Assessment.id == AssessmentScore.assessment_id)
        .join(Organisation, Organisation.id == AssessmentScore.org_id)
        .where(AssessmentScore.state == "draft",
               or_(*(in_subtree(AssessmentScore.org_path, p) for p in paths)))
        .order_by(Assessment.started_at, AssessmentScore.id).limit(LIMIT)
    )
    tasks, scorers = [], {}
    for score, assessment, unit in session.execute(query):
        if assessment.id not in scorers:
            scorers[assessment.id] = checklist_of(session, assessment).scored_by
        if "inspector" in scorers[assessment.id]:
            tasks.append(ScoreTask(score.id, assessment.id, assessment.checklist,
                                   assessment.period, unit))
    return tasks


def _unit_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Organisation.id, Organisation.name)
                           .where(Organisation.id.in_(ids)))
    return {row.id: row.name for row in rows}
