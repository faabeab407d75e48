"""The public board (公示栏): the assessment rounds a person may see ranked.

What is public is what `rank_units` publishes: the locked scores of a round (with their
corrections), ranked, with points, grade and stars, for everyone holding a role at, above or
below the round's organisation; drafts and submitted scores never show (they stay `pending`),
and the per-criterion breakdown only shows for units the viewer may see. This module lists the
rounds on offer, so a face can link to each round's ranking and, for a quarterly checklist with
a yearly evaluation, to the year's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select

from workflow.access import Scope, in_subtree
from workflow.assessments.model import Checklist
from workflow.definitions.model import Label
from workflow.models import Assessment, Organisation, Person
from workflow.runtime import Runtime
from workflow.services.checklists import checklist_of, stored_checklist
from workflow.services.proposals import ProposalView, drawn, list_proposals
from workflow.services.rankings import Ranking, compute_ranking
from workflow.services.supervision import ancestors, scope_of


@dataclass(frozen=True)
class Round:
    """A board: one checklist, one period, one organisation (a year may gather four rounds)."""

    checklist: str
    label: Label
    period: str
    org_id: int
    org_name: str
    yearly: bool = False


def board_rounds(rt: Runtime, actor: Person | Scope, *, limit: int = 200) -> list[Round]:
    """Rounds whose organisation is related to the actor, newest period first; the years of
    quarterly checklists that have a yearly evaluation of units come before their quarters."""
    scope = scope_of(actor)
    with rt.read() as session:
        query = (select(Assessment, Organisation.name)
                 .join(Organisation, Organisation.id == Assessment.org_id)
                 .where(_related(scope))
                 .order_by(Assessment.period.desc(), Assessment.checklist, Assessment.org_id)
                 .limit(limit))
        rounds: list[Round] = []
        for assessment, org_name in session.execute(query):
            spec = checklist_of(session, assessment)
            year = Round(spec.name, spec.label, assessment.period[:4], assessment.org_id,
                         org_name, yearly=True)
            if (spec.cycle == "quarterly" and spec.yearly is not None
                    and spec.subject == "unit" and year not in rounds):
                rounds.append(year)
            if not assessment.yearly_items:
                rounds.append(Round(spec.name, spec.label, assessment.period,
                                    assessment.org_id, org_name))
        return rounds


def _related(scope: Scope) -> ColumnElement[bool]:
    """Rounds at or below a unit where the actor holds a role, or at one of its ancestors
    (as `related_org` decides for one round)."""
    clauses = []
    for path in scope.org_paths():
        clauses.append(in_subtree(Assessment.org_path, path))
        clauses.append(Assessment.org_path.in_(ancestors(path)))
    return or_(*clauses) if clauses else false()


@dataclass(frozen=True)
class Board:
    """One round's ranking with what a board shows around it."""

    ranking: Ranking
    checklist: Checklist
    #: subject organisation id → (band, action): ("commendation", "commend"), ("accountability",
    #: "admonish"), … as the checklist's proposal rules draw them (units only)
    bands: dict[int, tuple[str, str]]
    proposals: list[ProposalView]
    may_propose: bool


def round_board(rt: Runtime, actor: Person | Scope, *, checklist: str, period: str, org_id: int,
                level: str | None = None) -> Board:
    """The board of one round (NotFound when the round or its organisation is not related to
    the actor; InvalidInput for a bad period or level)."""
    scope = scope_of(actor)
    with rt.read() as session:
        ranking = compute_ranking(session, scope, checklist=checklist, period=period,
                                  org_id=org_id, level=level)
        spec = stored_checklist(session, checklist)
        org = session.get_one(Organisation, ranking.org_id)
        may_propose = scope.holds("issuer", org.path, org.path)
    bands = {} if ranking.level == "member" else {
        standing.subject.org_id: (kind, action) for kind, action, standing in drawn(spec, ranking)}
    proposals = [] if ranking.level == "member" else list_proposals(
        rt, scope, checklist=checklist, period=ranking.period, org_id=org_id, level=level)
    return Board(ranking, spec, bands, proposals, may_propose and ranking.level != "member")
