"""The leaders' dashboard engine: counts agree with the item list, stay in scope, use indexes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.conftest import START, World
from tests.workflow.dashboard_helpers import build_county
from workflow.access import Scope
from workflow.errors import InvalidInput, NotFound
from workflow.queries import ItemFilter, find_items
from workflow.services.dashboards import (
    DUE_BETWEEN,
    EVEN_CLOSURES,
    child_overdue_query,
    closure_query,
    closure_trend,
    escalation_forecast,
    overdue_board,
    overdue_items,
    own_overdue_query,
    period_edges,
    rolled_closure_query,
)
from workflow.services.sweeps import due_items, run_sweep

DAY = timedelta(days=1)


@pytest.fixture
def county(world: World) -> dict[str, int]:
    return build_county(world)


def _overdue_ids(world: World, who: str, unit: int) -> list[int]:
    scope = Scope.of(world.person(who))
    found = find_items(world.rt, scope, ItemFilter(unit_id=unit, overdue=True), limit=1000)
    return [item.id for item in found]


def test_counts_per_child_roll_up_subtrees_and_agree_with_the_item_list(
        world: World, county: dict[str, int]) -> None:
    board = overdue_board(world.rt, world.person("leader"), world.committee)
    per_child = {row.unit.id: row.overdue for row in board.children}
    assert per_child == {world.branch_a: 3, world.branch_b: 1}
    assert board.own == 1 and board.total == 5
    for row in board.children:
        assert row.overdue == len(_overdue_ids(world, "leader", row.unit.id))
        shown = overdue_items(world.rt, world.person("leader"), row.unit.id, limit=1000)
        assert [item.id for item in shown] == _overdue_ids(world, "leader", row.unit.id)
    assert board.total == len(_overdue_ids(world, "leader", world.committee))


def test_levels_follow_the_sweeps_escalation_level(world: World, county: dict[str, int]) -> None:
    board = overdue_board(world.rt, world.person("leader"), world.committee)
    visible = find_items(world.rt, Scope.of(world.person("leader")),
                         ItemFilter(unit_id=world.committee, overdue=True), limit=1000)
    expected: dict[int, int] = {}
    for item in visible:
        expected[item.escalation_level] = expected.get(item.escalation_level, 0) + 1
    assert board.levels == dict(sorted(expected.items()))
    assert max(board.levels) >= 2, "the sweep climbed past the first level"
    assert sum(board.levels.values()) == board.total
    branch_a = next(r for r in board.children if r.unit.id == world.branch_a)
    assert sum(branch_a.levels.values()) == branch_a.overdue


@pytest.mark.parametrize(("who", "unit", "visible"), [
    ("handler_a", "branch_a", True), ("handler_a", "committee", False),
    ("handler_a", "branch_b", False), ("inspector", "branch_b", True),
    ("inspector", "committee", False), ("group_handler", "branch_a", False),
    ("group_handler", "group_a", True), ("leader", "branch_b", True),
])
def test_a_unit_outside_scope_is_not_found_everywhere(
        world: World, county: dict[str, int], who: str, unit: str, visible: bool) -> None:
    org_id = getattr(world, unit)
    actor = world.person(who)
    calls = [lambda: overdue_board(world.rt, actor, org_id),
             lambda: closure_trend(world.rt, actor, org_id),
             lambda: escalation_forecast(world.rt, actor, org_id),
             lambda: overdue_items(world.rt, actor, org_id)]
    for call in calls:
        if visible:
            call()
        else:
            with pytest.raises(NotFound):
                call()
    if visible:
        board = overdue_board(world.rt, actor, org_id)
        assert board.total == len(_overdue_ids(world, who, org_id))


def test_an_unknown_unit_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        overdue_board(world.rt, world.person("admin"), 999_999)


def test_closure_rate_splits_on_time_and_late_per_week(
        world: World, county: dict[str, int]) -> None:
    trend = closure_trend(world.rt, world.person("leader"), world.committee, periods=3)
    assert [b.start for b in trend.buckets] == [
        datetime(2026, 3, 1, 16, tzinfo=UTC), datetime(2026, 3, 8, 16, tzinfo=UTC),
        datetime(2026, 3, 15, 16, tzinfo=UTC)]  # Mondays 00:00 in Beijing
    assert [(b.on_time, b.late) for b in trend.buckets] == [(1, 0), (0, 1), (0, 0)]
    assert [b.rate for b in trend.buckets] == [1.0, 0.0, None]
    branch_b = closure_trend(world.rt, world.person("leader"), world.branch_b, periods=3)
    assert all(b.on_time + b.late == 0 for b in branch_b.buckets)


def test_monthly_edges_are_local_first_days(world: World) -> None:
    edges = period_edges(START, world.rt.settings.tz, "month", 3)
    assert edges == [datetime(2026, 1, 1, 16, tzinfo=UTC) - DAY, datetime(2026, 1, 31, 16,
                     tzinfo=UTC), datetime(2026, 2, 28, 16, tzinfo=UTC),
                     datetime(2026, 3, 31, 16, tzinfo=UTC)]


def test_bad_windows_are_refused(world: World) -> None:
    leader = world.person("leader")
    with pytest.raises(InvalidInput):
        closure_trend(world.rt, leader, world.committee, periods=0)
    with pytest.raises(InvalidInput):
        closure_trend(world.rt, leader, world.committee, period="year")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        escalation_forecast(world.rt, leader, world.committee, days=40)


def test_the_forecast_is_the_sweeps_dry_run_for_the_subtree(
        world: World, county: dict[str, int]) -> None:
    rt = world.rt
    whole = escalation_forecast(rt, world.person("leader"), world.committee, days=7)
    dry = run_sweep(rt, rt.clock.now() + 7 * DAY, dry_run=True)
    escalations = [a for a in dry.actions if a.kind == "escalate"]
    assert {(e.item_id, e.level, e.action, e.at) for e in whole.entries} == {
        (a.item_id, a.level, a.action, a.at) for a in escalations}
    assert [e.at for e in whole.entries] == sorted(e.at for e in whole.entries)
    assert sum(whole.levels.values()) == len(whole.entries) > 0
    branch_b = escalation_forecast(rt, world.person("handler_b"), world.branch_b, days=7)
    assert {e.item_id for e in branch_b.entries} <= {county["b"], county["b_later"]}
    assert {e.item_id for e in branch_b.entries} == {
        e.item_id for e in whole.entries if e.item_id in (county["b"], county["b_later"])}


# --- index use --------------------------------------------------------------------------------

def _statements(world: World) -> dict[str, object]:
    now = world.rt.clock.now()
    edges = period_edges(now, world.rt.settings.tz, "week", 12)
    return {
        "ix_items_open_level": [child_overdue_query(world.committee, now),
                                own_overdue_query("/1/", now)],
        "ix_items_closed_window": [closure_query("/1/", edges)],
        "ix_items_open_path_deadline": [due_items(now, within="/1/2/")],
    }


def _plan(world: World, statement: object, backend: str) -> str:
    with world.rt.read() as session:
        bind = session.get_bind()
        sql = statement.compile(bind, compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
        connection = session.connection()
        if backend == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            return " | ".join(str(row[-1]) for row in rows)
        # a fresh database has too few rows for statistics to matter: forbid the table scan
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        return " | ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))


def test_every_dashboard_query_reads_its_partial_index(world: World, backend: str) -> None:
    for index, statements in _statements(world).items():
        for statement in statements:  # type: ignore[attr-defined]
            plan = _plan(world, statement, backend)
            if backend == "postgresql" and index == "ix_items_open_path_deadline":
                index = "ix_items_"  # the planner picks either deadline index by statistics
            assert index in plan, plan
            if backend == "sqlite" and index != "ix_items_open_path_deadline":
                assert f"COVERING INDEX {index}" in plan, plan  # never touches the table
            assert "SCAN items" not in plan and "Seq Scan on items" not in plan, plan


def test_the_roll_up_reads_are_index_ranges(world: World, backend: str) -> None:
    """The board's correction reads the due-date range of open items (never the subtree's open
    items: at the committee that is the whole tree), the trend one range of its unit's hours."""
    now = world.rt.clock.now()
    due = DUE_BETWEEN.params(start=now - DAY, end=now, path="/1/", length=3)
    plan = _plan(world, due, backend)
    if backend == "sqlite":
        assert "ix_items_open_due" in plan, plan
    assert "SCAN items" not in plan and "Seq Scan on items" not in plan, plan
    for closures in (rolled_closure_query(2).params(org_id=1, h0=1, h1=2, h2=3),
                     EVEN_CLOSURES.params(org_id=1, first=1, last=3, step=1)):
        plan = _plan(world, closures, backend)
        assert "SCAN closure_counts" not in plan and "Seq Scan" not in plan, plan
        assert "sqlite_autoindex_closure_counts" in plan or "pk_closure_counts" in plan, plan
