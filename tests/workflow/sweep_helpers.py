"""Builders for the sweep tests: items with named responsible people, sweeping on a grid."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from tests.conftest import START, World
from tests.workflow.helpers import default_fields
from workflow.models import Item, LedgerEntry, Notification
from workflow.services.items import fire_transition
from workflow.services.lists import NewItem, issue_list


def issue(world: World, kind: str = "task", *, days: float = 10, to: int | None = None,
          planned_start: datetime | None = None, title: str = "按期召开专题组织生活会") -> int:
    """One item of `kind` for branch A due `days` after START, naming both responsible people."""
    issued = issue_list(
        world.rt, world.person("issuer"), kind=kind, title=f"{title}清单",
        issuer_org_id=world.committee,
        items=[NewItem(title=title, assignee_org_id=to or world.branch_a,
                       due_at=START + timedelta(days=days), fields=default_fields(kind),
                       primary_person_id=world.ids["handler_a"],
                       direct_person_id=world.ids["handler_a2"],
                       planned_start_at=planned_start)],
    )
    return issued.item_ids[0]


def fire(world: World, who: str, item_id: int, trigger: str,
         inputs: dict[str, Any] | None = None, password: str | None = None) -> None:
    with world.rt.read() as session:
        version = session.get_one(Item, item_id).version
    fire_transition(world.rt, world.person(who), item_id, trigger, inputs,
                    expected_version=version, password=password)


def item(world: World, item_id: int) -> Item:
    with world.rt.read() as session:
        return session.get_one(Item, item_id)


def ledger_actions(world: World, item_id: int) -> list[tuple[str, Any]]:
    with world.rt.read() as session:
        entries = session.scalars(select(LedgerEntry).where(
            LedgerEntry.subject == f"item:{item_id}").order_by(LedgerEntry.id)).all()
        return [(e.action, e.inputs.get("level")) for e in entries]


def counts(world: World) -> tuple[int, int]:
    """(ledger entries, notifications): what a sweep that did nothing must leave unchanged."""
    with world.rt.read() as session:
        return (session.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
                session.scalar(select(func.count()).select_from(Notification)) or 0)
