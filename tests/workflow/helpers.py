"""Small builders shared by the engine tests."""

from __future__ import annotations

import io
from datetime import timedelta

from tests.conftest import START, World
from workflow.services.evidence import attach_evidence
from workflow.services.lists import NewItem, issue_list


def issue_task(world: World, *, to: int | None = None, title: str = "召开专题组织生活会",
               kind: str = "task", days: int = 30) -> int:
    """Issue one item of `kind` from the committee to branch A (or `to`); return its id."""
    issued = issue_list(
        world.rt, world.person("issuer"), kind=kind, title=f"{title}清单",
        issuer_org_id=world.committee,
        items=[NewItem(title=title, assignee_org_id=to or world.branch_a,
                       due_at=START + timedelta(days=days),
                       fields=default_fields(kind))],
    )
    return issued.item_ids[0]


def default_fields(kind: str) -> dict[str, object]:
    return {
        "task": {"category": "党建", "description": "按期召开并形成会议记录"},
        "rectification": {"problem": "三会一课记录不全", "source": "月抽查"},
        "responsibility": {"duty": "落实党建工作责任", "post": "支部书记", "aspect": "党建职责"},
    }.get(kind, {})


def attach(world: World, item_id: int, who: str = "handler_a", content: bytes = b"minutes") -> str:
    return attach_evidence(world.rt, world.person(who), item_id, "会议记录.pdf",
                           io.BytesIO(content)).sha256


def planner_rows(world: World, *tables: str) -> tuple[dict[str, float], dict[str, float]]:
    """(the rows PostgreSQL's planner statistics give each table, the rows it holds)."""
    with world.rt.engine.connect() as connection:
        believed = {name: float(rows) for name, rows in connection.exec_driver_sql(
            "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%(tables)s)",
            {"tables": list(tables)}).all()}
        held = {t: float(connection.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one())
                for t in tables}
    return believed, held
