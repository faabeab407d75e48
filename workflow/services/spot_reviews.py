"""Review tasks of a spot check: the inspector's verdict, and what a finding sets going.

A verdict (compliant / partly_compliant / non_compliant) is an assessment, kept apart from the
checked item's workflow state. A finding opens a rectification item for the unit in the spot
check's rectification list, linked (`rectifies`) to the item checked. A finding on a closed item
means it was not really done: the item stays closed (its history is not rewritten), the finding
is written into its own ledger chain, a linked rectification is opened, and the unit's record
counts it (deduction source `closed_not_done`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import ledger
from workflow.access import Scope
from workflow.assessments.vocabulary import VERDICTS
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from workflow.models import (
    Item,
    ItemLink,
    ItemList,
    LedgerEntry,
    Organisation,
    Person,
    SpotCheck,
    SpotCheckReview,
)
from workflow.runtime import Runtime
from workflow.services.lists import NewItem
from workflow.services.lists import _create_item as create_item  # one row in an existing list
from workflow.services.supervision import locking, record, scope_of

SEVERITY = {"partly_compliant": "一般", "non_compliant": "较重"}


@dataclass(frozen=True)
class ReviewOutcome:
    review_id: int
    verdict: str
    not_done: bool
    finding_item_id: int | None


@dataclass(frozen=True)
class ItemVerdict:
    """The latest assessment verdict on an item, beside (not instead of) its workflow state."""

    verdict: str
    at: datetime
    source: str
    not_done: bool


def record_review(
    rt: Runtime, actor: Person | Scope, review_id: int, *, verdict: str, note: str | None = None
) -> ReviewOutcome:
    """Record the assigned inspector's verdict on a sampled unit or item.

    Raises NotFound, NotAllowed (not the assigned inspector), InvalidTransition (already
    reviewed) or InvalidInput (unknown verdict; a finding without a note).
    """
    scope = scope_of(actor)
    if verdict not in VERDICTS:
        raise InvalidInput(f"verdict: '{verdict}' is not one of {', '.join(VERDICTS)}",
                           fields={"verdict": ["unknown"]})
    note = (note or "").strip() or None
    if verdict != "compliant" and note is None:
        raise InvalidInput("a finding needs a note saying what was found",
                           fields={"note": ["required"]})
    with rt.transaction() as session:
        review = _locked_review(session, scope, review_id)
        check = session.get_one(SpotCheck, review.spot_check_id, with_for_update=locking(session))
        now = rt.clock.now()
        item = (session.get(Item, review.item_id, with_for_update=locking(session))
                if review.item_id else None)
        not_done = item is not None and not item.is_open and verdict != "compliant"
        finding = None
        if verdict != "compliant":
            finding = _open_rectification(rt, session, scope, check, review, item, note, verdict,
                                          now)
        review.state, review.verdict, review.note = "done", verdict, note
        review.not_done, review.finding_item_id = not_done, finding
        review.reviewed_by_id, review.reviewed_at = scope.person_id, now
        facts = {"review": review.id, "unit": review.org_id, "item": review.item_id,
                 "verdict": verdict, "not_done": not_done, "rectification_item": finding}
        if item is not None:
            _note_on_item(session, scope, item, now, note, {"spot_check": check.id, **facts})
        record(session, scope, f"spotcheck:{check.id}", "spot_check.review", now,
               org_id=review.org_id, inputs=facts, reason=note, item_id=review.item_id)
        return ReviewOutcome(review.id, verdict, not_done, finding)


def review_tasks(rt: Runtime, actor: Person | Scope, *, open_only: bool = True
                 ) -> list[SpotCheckReview]:
    """The actor's review tasks, soonest due first."""
    scope = scope_of(actor)
    query = select(SpotCheckReview).where(SpotCheckReview.inspector_id == scope.person_id)
    if open_only:
        query = query.where(SpotCheckReview.state == "open")
    with rt.read() as session:
        return list(session.scalars(query.order_by(SpotCheckReview.due_at, SpotCheckReview.id)))


def item_verdict(rt: Runtime, actor: Person | Scope, item_id: int) -> ItemVerdict | None:
    """The latest verdict recorded on an item (a review transition or a spot check), if any."""
    scope = scope_of(actor)
    with rt.read() as session:
        item = session.get(Item, item_id)
        if item is None or not scope.can_see(item.org_path, item.issuer_path):
            raise NotFound(f"item {item_id} not found")
        entries = session.scalars(select(LedgerEntry).where(
            LedgerEntry.item_id == item_id, LedgerEntry.subject == f"item:{item_id}")
            .order_by(LedgerEntry.id.desc()))
        for entry in entries:
            verdict = (entry.inputs or {}).get("verdict")
            if verdict:
                source = "spot_check" if entry.action == "spot_check.verdict" else "review"
                return ItemVerdict(verdict, entry.at, source,
                                   bool((entry.inputs or {}).get("not_done")))
    return None


def _locked_review(session: Session, scope: Scope, review_id: int) -> SpotCheckReview:
    review = session.get(SpotCheckReview, review_id, with_for_update=locking(session))
    if review is None or not scope.can_see(review.org_path, review.org_path):
        raise NotFound(f"review task {review_id} not found")
    if review.inspector_id != scope.person_id and not scope.is_admin:
        raise NotAllowed(f"review task {review_id} is assigned to another inspector")
    if review.state != "open":
        raise InvalidTransition(f"review task {review_id} was already reviewed "
                                f"({review.verdict}); a new finding needs a new spot check")
    return review


def _open_rectification(
    rt: Runtime, session: Session, scope: Scope, check: SpotCheck, review: SpotCheckReview,
    item: Item | None, note: str | None, verdict: str, now: datetime,
) -> int:
    item_list = _rectification_list(session, scope, check, now)
    org = session.get_one(Organisation, review.org_id)
    checked = item.title if item is not None else org.name
    local_day = now.astimezone(rt.settings.tz).date().isoformat()
    new = NewItem(title=f"抽查整改：{checked}"[:500], assignee_org_id=org.id, fields={
        "problem": note, "source": "月抽查", "severity": SEVERITY[verdict], "found_on": local_day})
    extra: dict[str, Any] = {"spot_check": check.id, "review": review.id}
    if item is not None:
        extra["source_item"] = item.id
    created = create_item(rt, session, scope, rt.definitions.get("rectification"), item_list, org,
                          new, now, row="finding", reason=note, extra=extra)
    if item is not None:
        session.add(ItemLink(from_item_id=created, to_item_id=item.id, kind="rectifies",
                             created_at=now))
    return created


def _rectification_list(session: Session, scope: Scope, check: SpotCheck,
                        now: datetime) -> ItemList:
    if check.rectification_list_id is not None:
        return session.get_one(ItemList, check.rectification_list_id)
    item_list = ItemList(kind="rectification", title=f"{check.period}月抽查整改清单",
                         issuer_org_id=check.org_id, issuer_path=check.org_path,
                         issued_by_id=scope.person_id, issued_at=now, period=check.period)
    session.add(item_list)
    session.flush()
    check.rectification_list_id = item_list.id
    return item_list


def _note_on_item(session: Session, scope: Scope, item: Item, now: datetime, note: str | None,
                  facts: dict[str, Any]) -> None:
    """The verdict joins the checked item's own chain; its state is left as it is."""
    subject = f"item:{item.id}"
    head = ledger.Head(item.ledger_seq, item.ledger_head or ledger.genesis_hash(subject))
    tip = ledger.append(session, subject=subject, head=head, at=now, action="spot_check.verdict",
                        actor_id=scope.person_id, item_id=item.id, org_id=item.assignee_org_id,
                        reason=note, inputs=facts)
    item.ledger_seq, item.ledger_head = tip.seq, tip.hash
