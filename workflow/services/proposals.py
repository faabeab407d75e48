"""Commendation and accountability proposals drawn from a ranking, and the committee's decision.

Proposals follow the ranking: the units ranked within the top `commend_top` are proposed for a
commendation notice (通报表彰); the `account_bottom` lowest-ranked of the rest, and every vetoed
unit, for accountability (约谈 / 通报批评, as the checklist says). Ties at a boundary are all
included. Proposing again (after a correction, say) supersedes the undecided proposals of the
round and keeps the decided ones. A committee member confirms or waives each, with a reason
(required to waive); every step is a ledger entry on the proposal's chain.

A decision is an electronic signature (the password re-entered). A confirmed accountability
proposal is recorded here (state `confirmed`, shown on the public board) and in its signed ledger
entry; the accountability register (`AccountabilityEntry`) is keyed by item and ladder level and
holds the deadline ladder's steps only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.access import Scope
from workflow.assessments.model import Checklist
from workflow.assessments.ranking import Standing
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from workflow.models import Organisation, Person, Proposal
from workflow.runtime import Runtime
from workflow.services.checklists import stored_checklist
from workflow.services.rankings import Ranking, compute_ranking
from workflow.services.signatures import check_password
from workflow.services.supervision import locking, record, related_org, scope_of

DECISIONS = {"confirm": "confirmed", "waive": "waived"}


@dataclass(frozen=True)
class ProposalView:
    id: int
    kind: str
    action: str
    org_id: int
    org_name: str
    rank: int | None
    total: str
    vetoed: bool
    reason: str
    state: str
    decision_reason: str | None = None


def propose_outcomes(
    rt: Runtime, actor: Person | Scope, *, checklist: str, period: str, org_id: int,
    level: str | None = None,
) -> list[ProposalView]:
    """(Re)draw the round's proposals from its current ranking; returns the open ones.

    Raises NotFound, NotAllowed (issuers of the organisation only) or InvalidInput.
    """
    scope = scope_of(actor)
    with rt.transaction() as session:
        # one round at a time per organisation: a second proposer waits, then ranks afresh
        session.get(Organisation, org_id, with_for_update=locking(session))
        ranking = compute_ranking(session, scope, checklist=checklist, period=period,
                                  org_id=org_id, level=level)
        org = session.get_one(Organisation, ranking.org_id)
        if not scope.holds("issuer", org.path, org.path):
            raise NotAllowed(f"only an issuer of {org.name} proposes commendation and "
                             "accountability")
        if ranking.level == "member":
            raise InvalidInput("proposals are made for units; rank at a unit level (--level)")
        spec = stored_checklist(session, checklist)
        now = rt.clock.now()
        round_rows = _round(session, ranking)
        for old in (p for p in round_rows if p.state == "proposed"):
            old.state = "superseded"
            record(session, scope, f"proposal:{old.id}", "proposal.supersede", now,
                   org_id=old.subject_org_id, from_state="proposed", to_state="superseded")
        decided = {(p.subject_org_id, p.kind) for p in round_rows if p.state != "superseded"
                   and p.state != "proposed"}
        created = []
        for kind, action, standing in drawn(spec, ranking):
            if (standing.subject.org_id, kind) in decided:
                continue
            created.append(_create(session, scope, ranking, spec, kind, action, standing, now))
        return [_view(session, p) for p in created]


def decide_proposal(
    rt: Runtime, actor: Person | Scope, proposal_id: int, *, decision: str,
    reason: str | None = None, password: str | None = None,
) -> ProposalView:
    """Confirm or waive a proposal. Raises NotFound, NotAllowed, InvalidTransition or
    InvalidInput (unknown decision; waiving without a reason).

    A decision commends a unit or holds it to account, so it is an electronic signature: the
    person re-enters `password` and the entry records the meaning ("confirmed" or "waived").
    """
    scope = scope_of(actor)
    if decision not in DECISIONS:
        raise InvalidInput(f"decision: '{decision}' is not one of {', '.join(DECISIONS)}")
    reason = (reason or "").strip() or None
    if decision == "waive" and reason is None:
        raise InvalidInput("waiving a proposal needs a reason", fields={"reason": ["required"]})
    with rt.transaction() as session:
        proposal = session.get(Proposal, proposal_id, with_for_update=locking(session))
        if proposal is None:
            raise NotFound(f"proposal {proposal_id} not found")
        org = related_org(session, scope, proposal.org_id)
        if not scope.holds("issuer", org.path, org.path):
            raise NotAllowed(f"only an issuer of {org.name} decides proposals")
        if proposal.state != "proposed":
            raise InvalidTransition(f"proposal {proposal_id} is already {proposal.state}")
        check_password(session, actor, "deciding a proposal is signed", password)
        now = rt.clock.now()
        proposal.state, proposal.decision_reason = DECISIONS[decision], reason
        proposal.decided_by_id, proposal.decided_at = scope.person_id, now
        record(session, scope, f"proposal:{proposal.id}", f"proposal.{decision}", now,
               org_id=proposal.subject_org_id, from_state="proposed", to_state=proposal.state,
               reason=reason, inputs={"kind": proposal.kind, "action": proposal.action},
               signature=proposal.state)
        return _view(session, proposal)


def list_proposals(
    rt: Runtime, actor: Person | Scope, *, checklist: str, period: str, org_id: int,
    level: str | None = None, include_superseded: bool = False,
) -> list[ProposalView]:
    """The round's proposals, commendations first (NotFound when the round is not visible)."""
    scope = scope_of(actor)
    with rt.read() as session:
        ranking = compute_ranking(session, scope, checklist=checklist, period=period,
                                  org_id=org_id, level=level)
        rows = [p for p in _round(session, ranking)
                if include_superseded or p.state != "superseded"]
        return [_view(session, p) for p in rows]


def drawn(spec: Checklist, ranking: Ranking) -> list[tuple[str, str, Standing]]:
    """Who the ranking proposes, in its order: the commendation band (the top `commend_top`) and
    the accountability band (the `account_bottom` lowest of the rest, and every vetoed unit)."""
    rules = spec.proposals
    ranked = [s for s in ranking.standings if s.status == "ranked"]
    top = [s for s in ranked if s.rank is not None and s.rank <= rules.commend_top]
    rest = [s for s in ranked if s not in top]
    bottom: list[Standing] = []
    if rules.account_bottom and rest:
        cut = rest[max(0, len(rest) - rules.account_bottom)].rank or 0
        bottom = [s for s in rest if (s.rank or 0) >= cut]
    vetoed = [s for s in ranking.standings if s.status == "vetoed"]
    return ([("commendation", "commend", s) for s in top]
            + [("accountability", rules.bottom_action, s) for s in bottom]
            + [("accountability", rules.veto_action, s) for s in vetoed])


def _create(session: Session, scope: Scope, ranking: Ranking, spec: Checklist, kind: str,
            action: str, standing: Standing, now: Any) -> Proposal:
    proposal = Proposal(
        checklist=ranking.checklist, period=ranking.period, org_id=ranking.org_id,
        level=ranking.level, subject_org_id=standing.subject.org_id, kind=kind, action=action,
        rank=standing.rank, total=str(standing.total), vetoed=standing.status == "vetoed",
        reason=_why(spec, ranking, standing), state="proposed", created_by_id=scope.person_id,
        created_at=now)
    session.add(proposal)
    session.flush()
    record(session, scope, f"proposal:{proposal.id}", "proposal.create", now,
           org_id=proposal.subject_org_id, to_state="proposed", reason=proposal.reason,
           inputs={"checklist": ranking.checklist, "period": ranking.period,
                   "level": ranking.level, "kind": kind, "action": action,
                   "rank": standing.rank, "total": str(standing.total)})
    return proposal


def _why(spec: Checklist, ranking: Ranking, standing: Standing) -> str:
    count = sum(1 for s in ranking.standings if s.status == "ranked")
    if standing.status == "vetoed":
        vetoes = "、".join(_veto_label(spec, v) for v in standing.veto)
        return f"一票否决（{vetoes}），{standing.total}分"
    tie = "（并列）" if standing.tied else ""
    return f"排名第{standing.rank}{tie}（共{count}个参与排名单位），{standing.total}分"


def _veto_label(spec: Checklist, code: str) -> str:
    kind, _, name = code.partition(":")
    if kind == "criterion":
        found = spec.criterion(name) or spec.criterion(name, yearly=True)
        return found.label.zh if found else name
    if kind == "deduction":
        rule = next((d for d in spec.deductions if d.name == name), None)
        return rule.label.zh if rule else name
    return name


def _round(session: Session, ranking: Ranking) -> list[Proposal]:
    return list(session.scalars(select(Proposal).where(
        Proposal.checklist == ranking.checklist, Proposal.period == ranking.period,
        Proposal.org_id == ranking.org_id, Proposal.level == ranking.level)
        .order_by(Proposal.kind.desc(), Proposal.id)))


def _view(session: Session, proposal: Proposal) -> ProposalView:
    name = session.get_one(Organisation, proposal.subject_org_id).name
    return ProposalView(proposal.id, proposal.kind, proposal.action, proposal.subject_org_id, name,
                        proposal.rank, proposal.total, proposal.vetoed, proposal.reason,
                        proposal.state, proposal.decision_reason)
