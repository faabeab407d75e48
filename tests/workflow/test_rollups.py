"""The dashboard's roll-ups: every write keeps them equal to a recount of the items, and the
overdue board read through them equals counting the items, whatever the clock does."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from tests.conftest import START, World
from tests.workflow.dashboard_helpers import _close, build_county
from tests.workflow.helpers import planner_rows
from tests.workflow.sweep_helpers import issue
from web.cli import cli
from workflow import rollups
from workflow.access import Scope
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.models import ClosureCount, Organisation, OverdueCount, RollupMark
from workflow.queries import ItemFilter, find_items
from workflow.services import org_tree
from workflow.services.dashboards import closure_query, closure_trend, overdue_board
from workflow.services.sweeps import run_sweep
from workflow.worker import Worker

HOUR = timedelta(hours=1)


@pytest.fixture
def county(world: World) -> dict[str, int]:
    return build_county(world)


def _differences(world: World) -> list[str]:
    with world.rt.engine.connect() as connection:
        return rollups.differences(connection)


def _advance(world: World, to: object) -> int:
    with world.rt.write_connection() as connection:
        return rollups.advance_overdue(connection, to)  # type: ignore[arg-type]


def _mark(world: World) -> object:
    with world.rt.engine.connect() as connection:
        return rollups.read_mark(connection)


def _board_matches_the_items(world: World) -> dict[int, int]:
    """The board's per-child counts, each checked against the API's overdue item list."""
    board = overdue_board(world.rt, world.person("leader"), world.committee)
    scope = Scope.of(world.person("leader"))
    for row in board.children:
        listed = find_items(world.rt, scope, ItemFilter(unit_id=row.unit.id, overdue=True),
                            limit=1000)
        assert row.overdue == len(listed), row
        levels: dict[int, int] = {}
        for item in listed:
            levels[item.escalation_level] = levels.get(item.escalation_level, 0) + 1
        assert row.levels == dict(sorted(levels.items())), row
    everything = find_items(world.rt, scope, ItemFilter(unit_id=world.committee, overdue=True),
                            limit=1000)
    assert board.total == len(everything)
    return {row.unit.id: row.overdue for row in board.children}


def test_transitions_and_sweeps_keep_the_counts_equal_to_a_recount(
        world: World, county: dict[str, int]) -> None:
    assert _mark(world) is None  # no worker has run: the board counts items directly
    assert _differences(world) == []
    with world.rt.engine.connect() as connection:
        stored = rollups.stored(connection)
    closed = {key: n for key, n in stored.closed.items() if key[0] == world.committee}
    assert sum(closed.values()) == 2 and {key[2] for key in closed} == {True, False}
    before = _board_matches_the_items(world)

    moved = _advance(world, world.rt.clock.now())
    assert moved == 5  # the overdue items of the subtrees and of the committee itself
    assert _differences(world) == []
    assert _board_matches_the_items(world) == before == {world.branch_a: 3, world.branch_b: 1}


def test_the_board_stays_exact_when_the_clock_runs_ahead_of_or_behind_the_mark(
        world: World, county: dict[str, int]) -> None:
    clock = world.rt.clock
    assert isinstance(clock, FixedClock)
    _advance(world, clock.now())
    clock.advance(days=30)  # b_later falls due; the mark stays where it was
    assert _board_matches_the_items(world)[world.branch_b] == 2
    clock.advance(days=-40)  # before the mark: items due since then are not overdue yet
    counts = _board_matches_the_items(world)
    assert counts.get(world.branch_b, 0) == 0
    clock.advance(days=40)
    run_sweep(world.rt, clock.now())  # the new overdue item climbs the ladder
    _advance(world, clock.now())
    assert _differences(world) == []
    assert _board_matches_the_items(world)[world.branch_b] == 2


def test_closing_overdue_items_leaves_the_board_and_enters_the_trend(
        world: World, county: dict[str, int]) -> None:
    _advance(world, world.rt.clock.now())
    trend = closure_trend(world.rt, world.person("leader"), world.committee, periods=4)
    late_before = sum(bucket.late for bucket in trend.buckets)
    _close(world, county["a_new"])
    assert _board_matches_the_items(world)[world.branch_a] == 2
    assert _differences(world) == []
    trend = closure_trend(world.rt, world.person("leader"), world.committee, periods=4)
    assert sum(bucket.late for bucket in trend.buckets) == late_before + 1


def test_the_trend_from_the_roll_up_equals_counting_the_items(
        world: World, county: dict[str, int]) -> None:
    for unit in (world.committee, world.branch_a, world.group_a):
        for period, periods in (("week", 3), ("month", 2)):
            trend = closure_trend(world.rt, world.person("leader"), unit, period=period,
                                  periods=periods)
            edges = [bucket.start for bucket in trend.buckets] + [trend.buckets[-1].end]
            with world.rt.read() as session:
                path = session.get_one(Organisation, unit).path
                rows = session.execute(closure_query(path, edges)).all()
            counted = {(n, bool(flag)): count for n, flag, count in rows}
            for n, bucket in enumerate(trend.buckets):
                assert (bucket.on_time, bucket.late) == (counted.get((n, True), 0),
                                                         counted.get((n, False), 0))


def test_moving_and_merging_units_carry_their_counts(world: World,
                                                     county: dict[str, int]) -> None:
    _advance(world, world.rt.clock.now())
    admin = world.person("admin")
    org_tree.move_org(world.rt, admin, world.group_a, parent_id=world.branch_b)
    assert _differences(world) == []
    counts = _board_matches_the_items(world)
    assert counts == {world.branch_a: 2, world.branch_b: 2}
    org_tree.merge_org(world.rt, admin, world.branch_a, into_id=world.branch_b,
                       reason="两个支部合并")
    assert _differences(world) == []
    assert _board_matches_the_items(world) == {world.branch_b: 4}


def test_the_worker_carries_the_mark_each_cycle(world: World, county: dict[str, int]) -> None:
    Worker(world.rt, "w1").cycle()
    assert _mark(world) == world.rt.clock.now()
    assert _differences(world) == []


def test_a_rebuild_recounts_what_a_bulk_load_left_out(world: World,
                                                      county: dict[str, int]) -> None:
    with world.rt.engine.begin() as connection:
        connection.execute(ClosureCount.__table__.delete())
    assert _differences(world)
    with world.rt.write_connection() as connection:
        rollups.rebuild(connection, world.rt.clock.now())
    assert _differences(world) == []
    assert _mark(world) == world.rt.clock.now()


def test_a_rebuild_leaves_the_planner_statistics_of_what_it_wrote(
        world: World, county: dict[str, int], backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("planner statistics by ANALYZE are PostgreSQL's")
    with world.rt.engine.begin() as connection:  # as after a migration: analysed while empty
        connection.exec_driver_sql("ANALYZE overdue_counts, closure_counts")
    with world.rt.write_connection() as connection:
        rollups.rebuild(connection, world.rt.clock.now())
    believed, held = planner_rows(world, "overdue_counts", "closure_counts")
    assert all(held.values()) and believed == held


def test_closing_while_the_mark_moves_counts_each_item_once(
        world: World, backend: str) -> None:
    """Handlers close items that fall due one after another while the worker carries the mark
    across their due dates: a close and a mark move that meet on one item must not both, or
    neither, count it."""
    if backend != "postgresql":
        pytest.skip("SQLite runs one writer at a time: nothing can interleave")
    items = [issue(world, days=1 + n / 4, title=f"第{n}项") for n in range(16)]
    clock = world.rt.clock
    assert isinstance(clock, FixedClock)
    clock.advance(days=5)
    _advance(world, START)
    failures: list[BaseException] = []

    def close(share: list[int]) -> None:
        try:
            for item_id in share:
                _close(world, item_id)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    threads = [threading.Thread(target=close, args=(items[n::2],)) for n in range(2)]
    for thread in threads:
        thread.start()
    step = START
    while any(thread.is_alive() for thread in threads):
        step += HOUR
        _advance(world, min(step, START + timedelta(days=5)))
    for thread in threads:
        thread.join()
    assert not failures, failures
    _advance(world, clock.now())
    assert _differences(world) == []


def test_the_cli_finds_a_difference_and_rebuild_mends_it(
        world: World, county: dict[str, int], settings: Settings) -> None:
    env = {"SANDAN_DATABASE_URL": settings.database_url,
           "SANDAN_INSTANCE_PATH": str(settings.instance_path)}
    _advance(world, world.rt.clock.now())
    checked = CliRunner().invoke(cli, ["rollups", "check"], env=env)
    assert checked.exit_code == 0 and "roll-ups OK" in checked.output
    with world.rt.engine.begin() as connection:  # a lost update, a mark set back by hand
        connection.execute(update(OverdueCount).values(n=OverdueCount.n + 1))
        connection.execute(update(RollupMark).values(at=START))
    checked = CliRunner().invoke(cli, ["rollups", "check"], env=env)
    assert checked.exit_code == 1
    assert "roll-ups differ from the items" in checked.output
    rebuilt = CliRunner().invoke(cli, ["rollups", "rebuild"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert _differences(world) == []
    assert CliRunner().invoke(cli, ["rollups", "check"], env=env).exit_code == 0
