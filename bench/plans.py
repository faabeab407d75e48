"""EXPLAIN (ANALYZE, BUFFERS) of the queries the engine really runs for lists, dashboards, sweeps.

The statements are not written out by hand: each engine call below runs once with a listener on
the runtime's engine that records every SELECT it sends, and each recorded SELECT is then
explained with its own parameters. So the plans are those of the code as it is, at the size the
database has (bench/scale.py calls this at the end of its run, on a million items).
"""

from __future__ import annotations

import importlib
import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

from bench.seeding import Seeded
from workflow.access import Scope
from workflow.models import Item, Person
from workflow.queries import ItemFilter, find_items, item_detail
from workflow.runtime import Runtime
from workflow.services.notifications import inbox
from workflow.services.sweeps import due_items

#: plans shown per engine call (its distinct statements, in the order first sent)
MAX_PLANS = 6


@contextmanager
def recorded(rt: Runtime) -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT sent through the runtime's read engine while the block runs."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(rt.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(rt.engine, "before_cursor_execute", record)


def explain(rt: Runtime, statement: str, parameters: Any) -> str:
    with rt.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters).all()
    return "\n".join(row[0] for row in rows)


def person(rt: Runtime, person_id: int) -> Person:
    with rt.read() as session:
        found = session.get_one(Person, person_id)
        found.grants, found.assignments  # noqa: B018 - loaded inside the session
        return found


def calls(rt: Runtime, seeded: Seeded) -> list[tuple[str, Callable[[], Any]]]:
    """The engine calls whose queries matter at scale, as the faces make them."""
    by_role: dict[str, list[Person]] = {}
    for persona in seeded.personas:
        by_role.setdefault(persona.role, []).append(person(rt, persona.person_id))
    handler, inspector, leader = (by_role[r][0] for r in ("handler", "inspector", "leader"))
    h, i, lead = Scope.of(handler), Scope.of(inspector), Scope.of(leader)
    now = rt.clock.now()
    some_item = find_items(rt, h, ItemFilter(is_open=True), limit=1)[0].id
    found = [
        ("items list, a branch handler's open items (GET /api/v1/items?open=true)",
         lambda: find_items(rt, h, ItemFilter(is_open=True), limit=21)),
        ("items list, an inspector's submitted items (?state=submitted)",
         lambda: find_items(rt, i, ItemFilter(states=("submitted",)), limit=21)),
        ("items list, the committee leader's overdue items over 1M (?overdue=true)",
         lambda: find_items(rt, lead, ItemFilter(overdue=True), limit=21)),
        ("items list, the committee leader, a deep keyset page (cursor 30 days ahead)",
         lambda: find_items(rt, lead, ItemFilter(), limit=21,
                            after=(now + timedelta(days=30), 0))),
        ("inbox (GET /api/v1/inbox)", lambda: inbox(rt, handler, limit=20)),
        ("one item with its ledger (GET /api/v1/items/{id})",
         lambda: item_detail(rt, h, some_item)),
        ("the sweep's selection of due items (each worker batch, FOR UPDATE SKIP LOCKED "
         "added on PostgreSQL)", lambda: _sweep_select(rt)),
    ]
    return found + _dashboard_calls(rt, leader)


def _sweep_select(rt: Runtime) -> None:
    with rt.read() as session:
        session.execute(due_items(rt.clock.now(), rt.settings.sweep_batch))


def _dashboard_calls(rt: Runtime, leader: Person) -> list[tuple[str, Callable[[], Any]]]:
    """The dashboard engine's public read functions, where workflow.services.dashboards has
    them: each called for the committee (org 1) as its leader."""
    try:
        module = importlib.import_module("workflow.services.dashboards")
    except ImportError:
        return []
    found = []
    for name in ("overdue_board", "closure_trend", "escalation_forecast"):
        function = getattr(module, name, None)
        if function is None:
            continue
        parameters = list(inspect.signature(function).parameters)
        if parameters[:3] == ["rt", "actor", "org_id"]:
            found.append((f"dashboard: {name} of the committee",
                          lambda f=function: f(rt, leader, 1)))
    return found


def write_plans(rt: Runtime, seeded: Seeded, path: Path, *, log: Callable[[str], None]) -> None:
    with rt.read() as session:
        count = session.scalar(select(func.count()).select_from(Item))
    sections = [f"# Query plans at {count:,} items\n"]
    for label, call in calls(rt, seeded):
        with recorded(rt) as statements:
            started = time.perf_counter()
            call()
            elapsed = (time.perf_counter() - started) * 1000
        distinct: dict[str, Any] = {}
        for statement, parameters in statements:
            distinct.setdefault(statement, parameters)
        log(f"plans: {label}: {len(statements)} statement(s), {len(distinct)} distinct, "
            f"{elapsed:.0f} ms")
        sections.append(f"## {label}\n\n{len(statements)} statement(s), {len(distinct)} "
                        f"distinct; the call took {elapsed:.0f} ms.\n")
        for statement, parameters in list(distinct.items())[:MAX_PLANS]:
            sections.append(f"```sql\n{statement.strip()}\n```\n\n```\n"
                            f"{explain(rt, statement, parameters)}\n```\n")
    path.write_text("\n".join(sections), encoding="utf-8")
