"""Recycled evidence: the same file (same SHA-256) used by different units, or across periods.

The seeds name "self-reports nobody can verify" as a weakness; a file that turns up as one unit's
proof and then another's, or as this quarter's proof and last quarter's, is the cheapest fraud to
catch. A use is a file attached to an item (the unit's own submission) or cited for a criterion
of a score. Two uses are by different units when neither unit contains the other (a group's file
cited for its branch is the same unit); periods are the calendar quarters, in the configured
time zone, in which the file was attached or cited.

The faces show these flags on review screens and in the API; a use outside the viewer's scope
is shown without its unit's name, so the flag does not leak what the viewer may not see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Subquery, case, cast, func, null, select, union_all
from sqlalchemy.orm import Session

from workflow.access import Scope, in_subtree
from workflow.assessments.periods import quarter_label
from workflow.errors import NotFound
from workflow.models import (
    Assessment,
    AssessmentScore,
    Item,
    ItemEvidence,
    Organisation,
    Person,
    ScoreEvidence,
)
from workflow.runtime import Runtime


@dataclass(frozen=True)
class EvidenceUse:
    sha256: str
    org_id: int
    org_name: str | None
    quarter: str
    at: datetime
    item_id: int | None
    score_id: int | None
    visible: bool


@dataclass(frozen=True)
class EvidenceFlag:
    """A file used more than once where it should not be: `several_units`, `several_periods`."""

    sha256: str
    reasons: tuple[str, ...]
    uses: tuple[EvidenceUse, ...]


def recycled_evidence(
    rt: Runtime, actor: Person | Scope, *, sha256s: Iterable[str] | None = None,
    org_id: int | None = None, limit: int = 200,
) -> list[EvidenceFlag]:
    """Flags for the given files, or for every reused file with a use under `org_id`."""
    scope = actor if isinstance(actor, Scope) else Scope.of(actor)
    with rt.read() as session:
        uses = _uses()
        if sha256s is not None:
            wanted = sorted(set(sha256s))
        else:
            query = select(uses.c.sha256).group_by(uses.c.sha256).having(func.count() > 1)
            if org_id is not None:
                org = session.get(Organisation, org_id)
                if org is None:
                    raise NotFound(f"organisation {org_id} not found")
                inside = case((in_subtree(uses.c.org_path, org.path), 1), else_=0)
                query = query.having(func.sum(inside) > 0)
            wanted = list(session.scalars(query.order_by(uses.c.sha256).limit(limit)))
        return _flags(rt, session, scope, wanted)


def item_evidence_flags(rt: Runtime, actor: Person | Scope, item_id: int) -> list[EvidenceFlag]:
    """Flags for the files attached to one item (for its review screen)."""
    scope = actor if isinstance(actor, Scope) else Scope.of(actor)
    with rt.read() as session:
        item = session.get(Item, item_id)
        if item is None or not scope.can_see(item.org_path, item.issuer_path):
            raise NotFound(f"item {item_id} not found")
        hashes = list(session.scalars(select(ItemEvidence.sha256).where(
            ItemEvidence.item_id == item_id)))
        return _flags(rt, session, scope, hashes)


def _uses() -> Subquery:
    """Every use of a file: (sha256, org_id, org_path, scope_path, at, item_id, score_id)."""
    items = (select(ItemEvidence.sha256, Item.assignee_org_id.label("org_id"),
                    Item.org_path.label("org_path"), Item.issuer_path.label("scope_path"),
                    ItemEvidence.uploaded_at.label("at"), Item.id.label("item_id"),
                    cast(null(), Integer).label("score_id"))
             .join(Item, Item.id == ItemEvidence.item_id))
    scores = (select(ScoreEvidence.sha256, AssessmentScore.org_id, AssessmentScore.org_path,
                     Assessment.org_path.label("scope_path"), ScoreEvidence.added_at.label("at"),
                     cast(null(), Integer).label("item_id"), ScoreEvidence.score_id)
              .join(AssessmentScore, AssessmentScore.id == ScoreEvidence.score_id)
              .join(Assessment, Assessment.id == AssessmentScore.assessment_id))
    return union_all(items, scores).subquery()


def _flags(rt: Runtime, session: Session, scope: Scope, hashes: list[str]) -> list[EvidenceFlag]:
    if not hashes:
        return []
    uses = _uses()
    rows = session.execute(
        select(uses, Organisation.name).join(Organisation, Organisation.id == uses.c.org_id)
        .where(uses.c.sha256.in_(hashes)).order_by(uses.c.sha256, uses.c.at))
    grouped: dict[str, list[tuple[Any, str]]] = {}
    for row in rows:
        grouped.setdefault(row.sha256, []).append((row, row.name))
    flags = []
    for sha, found in grouped.items():
        flag = _flag(rt, scope, sha, found)
        if flag is not None:
            flags.append(flag)
    return flags


def _flag(rt: Runtime, scope: Scope, sha: str, found: list[tuple[Any, str]]) -> EvidenceFlag | None:
    tz = rt.settings.tz
    uses = []
    for row, name in found:
        visible = scope.can_see(row.org_path, row.scope_path)
        uses.append((row.org_path, EvidenceUse(sha, row.org_id, name if visible else None,
                                               quarter_label(row.at, tz), row.at, row.item_id,
                                               row.score_id, visible)))
    paths = {path for path, _ in uses}
    reasons = []
    if any(not a.startswith(b) and not b.startswith(a) for a in paths for b in paths):
        reasons.append("several_units")
    if len({use.quarter for _, use in uses}) > 1:
        reasons.append("several_periods")
    if not reasons or not any(use.visible for _, use in uses):
        return None
    return EvidenceFlag(sha, tuple(reasons), tuple(use for _, use in uses))
