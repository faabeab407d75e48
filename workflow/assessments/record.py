"""A unit's record in a period, counted for the checklist's automatic deductions.

Every count is over the unit's whole subtree (a branch answers for its groups' items) and is
one indexed query; the rules say what counts (vocabulary.SOURCES).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from workflow.access import in_subtree
from workflow.assessments.model import Checklist, Deduction
from workflow.models import Item, LedgerEntry, SpotCheckReview

FINDINGS = ("partly_compliant", "non_compliant")


def record_counts(
    session: Session, checklist: Checklist, org_path: str, start: datetime, end: datetime,
    as_of: datetime,
) -> dict[str, int]:
    """Occurrences per deduction rule for the unit at `org_path` in [start, end), as of a time."""
    return {rule.name: _count(session, rule, org_path, start, end, as_of)
            for rule in checklist.deductions}


def _count(session: Session, rule: Deduction, path: str, start: datetime, end: datetime,
           as_of: datetime) -> int:
    if rule.source == "overdue_items":
        return _scalar(session, _due_in(path, start, end).where(
            Item.due_at < as_of, or_(Item.closed_at.is_(None), Item.closed_at > Item.due_at)))
    if rule.source == "escalation_level":
        return _scalar(session, _due_in(path, start, end).where(
            Item.escalation_level >= (rule.level or 1)))
    if rule.source == "rectification_returned":
        return _returned(session, path, start, end, rule.more_than)
    not_done = rule.source == "closed_not_done"
    query = select(func.count()).select_from(SpotCheckReview).where(
        in_subtree(SpotCheckReview.org_path, path), SpotCheckReview.verdict.in_(FINDINGS),
        SpotCheckReview.not_done == not_done,
        SpotCheckReview.reviewed_at >= start, SpotCheckReview.reviewed_at < end)
    return _scalar(session, query)


def _due_in(path: str, start: datetime, end: datetime) -> Select[Any]:
    return select(func.count()).select_from(Item).where(
        in_subtree(Item.org_path, path), Item.due_at >= start, Item.due_at < end)


def _returned(session: Session, path: str, start: datetime, end: datetime, more_than: int) -> int:
    per_item = (
        select(LedgerEntry.item_id)
        .join(Item, Item.id == LedgerEntry.item_id)
        .where(Item.kind == "rectification", in_subtree(Item.org_path, path),
               LedgerEntry.trigger == "send_back", LedgerEntry.at >= start, LedgerEntry.at < end)
        .group_by(LedgerEntry.item_id)
        .having(func.count() > more_than)
        .subquery()
    )
    return _scalar(session, select(func.count()).select_from(per_item))


def _scalar(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(query) or 0)
