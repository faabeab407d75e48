"""Builders for the supervision tests."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from tests.conftest import PASSWORD, World
from workflow.models import AssessmentScore, LedgerEntry
from workflow.services.assessments import attach_score_evidence, record_score, start_assessment
from workflow.services.scores import fire_score


def start_mini(world: World, period: str = "2026Q1") -> dict[int, int]:
    """Start `mini` over the committee's branches; return {unit id: score id}."""
    started = start_assessment(world.rt, world.person("issuer"), checklist="mini", period=period,
                               org_id=world.committee)
    with world.rt.read() as session:
        rows = session.scalars(select(AssessmentScore).where(
            AssessmentScore.id.in_(started.score_ids)))
        return {row.org_id: row.id for row in rows}


def fill(world: World, score_id: int, *, meetings: Any = 40, integrity: Any = 45,
         sales: Any = 80, veto: bool = False, who: str = "inspector") -> None:
    """Score every criterion of `mini` (with the evidence `meetings` requires)."""
    rt, actor = world.rt, world.person(who)
    attach_score_evidence(rt, actor, score_id, "meetings", "会议记录.pdf",
                          io.BytesIO(f"minutes of score {score_id}".encode()))
    record_score(rt, actor, score_id, criterion="meetings", points=meetings)
    record_score(rt, actor, score_id, criterion="integrity", points=integrity, veto_failed=veto,
                 note="班子成员违纪" if veto else None)
    record_score(rt, actor, score_id, criterion="sales", points=sales)


def lock(world: World, score_id: int) -> dict[str, Any]:
    """Submit (inspector), review and lock (issuer); return the locked result."""
    fire_score(world.rt, world.person("inspector"), score_id, "submit")
    fire_score(world.rt, world.person("issuer"), score_id, "review")
    locked = fire_score(world.rt, world.person("issuer"), score_id, "lock", password=PASSWORD)
    return locked.result or {}


def entries(world: World, subject: str) -> list[LedgerEntry]:
    with world.rt.read() as session:
        return list(session.scalars(select(LedgerEntry).where(LedgerEntry.subject == subject)
                                    .order_by(LedgerEntry.subject_seq)))
