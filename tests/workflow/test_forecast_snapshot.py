"""The escalation forecast the worker stores each cycle: the dashboard's answer from it equals the
live dry run as of the cycle, stale or foreign snapshots are not used, and workers sharing a
database store one snapshot at a time."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from tests.conftest import World
from tests.workflow.dashboard_helpers import build_county
from tests.workflow.helpers import planner_rows
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.errors import ConfigError, NotFound
from workflow.models import ForecastEscalation, ForecastSnapshot
from workflow.runtime import Runtime
from workflow.services.dashboards import (
    EscalationForecast,
    escalation_forecast,
    live_forecast,
)
from workflow.services.forecasts import FORECAST_DAYS, STORED, refresh_forecast
from workflow.worker import Worker

#: (who asks, which unit): the whole tree, a branch with a group below it, a branch, a group
VIEWS = [("leader", "committee"), ("leader", "branch_a"), ("handler_b", "branch_b"),
         ("group_handler", "group_a")]


@pytest.fixture
def county(world: World) -> dict[str, int]:
    return build_county(world)


def _clock(world: World) -> FixedClock:
    clock = world.rt.clock
    assert isinstance(clock, FixedClock)
    return clock


def _ask(world: World, who: str, unit: str, **options: int) -> EscalationForecast:
    return escalation_forecast(world.rt, world.person(who), getattr(world, unit), **options)


def _live(world: World, answer: EscalationForecast, limit: int = 50,
          days: int = FORECAST_DAYS) -> EscalationForecast:
    """The dry run computed now for the same unit: what the dashboard did before snapshots."""
    return live_forecast(world.rt, answer.unit, world.rt.clock.now(), days=days, limit=limit)


def test_after_a_worker_cycle_the_dashboard_answers_what_the_live_dry_run_gives(
        world: World, county: dict[str, int]) -> None:
    Worker(world.rt, "test-worker").cycle()
    now = world.rt.clock.now()
    whole = _ask(world, "leader", "committee")
    assert len(whole.entries) >= 3 and len(whole.actions) >= 2, "a forecast worth comparing"
    for who, unit in VIEWS:
        for limit in (1, 50):
            stored = _ask(world, who, unit, limit=limit)
            live = _live(world, stored, limit)
            assert stored == live, (who, unit, limit)
            assert list(stored.actions) == list(live.actions)  # the same order, too
            assert stored.as_of == now and stored.until == now + timedelta(days=FORECAST_DAYS)
    with pytest.raises(NotFound):  # the stored forecast of the whole tree is still scoped
        _ask(world, "handler_a", "committee")


def test_the_snapshot_serves_while_fresh_then_the_dashboard_computes_live(
        world: World, county: dict[str, int]) -> None:
    clock = _clock(world)
    cycle_at = clock.now()
    assert refresh_forecast(world.rt)
    max_age = world.rt.settings.forecast_max_age
    clock.advance(seconds=max_age - 1)
    served = _ask(world, "leader", "committee")
    assert served.as_of == cycle_at  # as of the worker's cycle, not now
    assert served.until == cycle_at + timedelta(days=FORECAST_DAYS)
    clock.advance(seconds=2)
    assert _ask(world, "leader", "committee").as_of == clock.now()  # too old: live
    clock.set(cycle_at - timedelta(minutes=1))
    assert _ask(world, "leader", "committee").as_of == clock.now()  # ahead of now: live
    clock.set(cycle_at)
    other = _ask(world, "leader", "committee", days=3)  # another horizon: live
    assert other.until == cycle_at + timedelta(days=3)
    assert other == _live(world, other, days=3)


def test_a_newer_cycle_replaces_the_snapshot_and_a_close_one_is_skipped(
        world: World, county: dict[str, int]) -> None:
    clock, rt = _clock(world), world.rt
    first = clock.now()
    assert refresh_forecast(rt) is True
    before = _rows(world)
    assert refresh_forecast(rt, first + timedelta(seconds=30)) is False  # another worker's, 30 s
    assert _snapshot_as_of(world) == first and _rows(world) == before
    later = clock.advance(days=2)
    assert refresh_forecast(rt) is True
    assert _snapshot_as_of(world) == later
    stored = _ask(world, "leader", "committee", limit=200)
    assert stored == _live(world, stored, 200) and stored.as_of == later
    assert len(_rows(world)) == sum(stored.levels.values())  # replaced, not added to


@pytest.mark.parametrize(("interval", "period"), [(5.0, 60), (120.0, 120)])
def test_refreshes_are_a_cycle_apart_but_at_least_a_fifth_of_the_max_age(
        world: World, interval: float, period: int) -> None:
    settings = world.rt.settings.with_(worker_interval=interval)  # max age: 300 s
    rt = Runtime(settings, FixedClock(world.rt.clock.now()))
    start = rt.clock.now()
    try:
        assert refresh_forecast(rt) is True
        assert refresh_forecast(rt, start + timedelta(seconds=period - 1)) is False
        assert refresh_forecast(rt, start + timedelta(seconds=period)) is True
    finally:
        rt.dispose()


def _rows(world: World) -> list[tuple[object, ...]]:
    entries = ForecastEscalation.__table__
    with world.rt.read() as session:
        return [tuple(row) for row in session.execute(select(entries).order_by(entries.c.seq))]


def _snapshot_as_of(world: World) -> datetime | None:
    with world.rt.read() as session:
        return session.scalar(select(ForecastSnapshot.as_of))


@pytest.mark.parametrize("first", [True, False], ids=["first snapshot", "replacing one"])
def test_workers_refreshing_at_once_store_one_snapshot(
        world: World, county: dict[str, int], first: bool) -> None:
    clock, rt = _clock(world), world.rt
    if not first:
        assert refresh_forecast(rt, clock.now() - timedelta(days=1))
    moment = clock.now()
    start = threading.Barrier(2)
    stored: list[bool] = []

    def refresh() -> None:
        start.wait()
        stored.append(refresh_forecast(rt, moment))

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(stored) == [False, True]
    assert _snapshot_as_of(world) == moment
    with rt.read() as session:
        assert session.scalar(select(func.count()).select_from(ForecastSnapshot)) == 1
    answer = _ask(world, "leader", "committee", limit=200)
    assert answer == _live(world, answer, 200)
    assert len(_rows(world)) == sum(answer.levels.values())


def test_the_stored_forecast_reads_indexes_only(world: World, backend: str) -> None:
    statement = STORED.params(org_id=world.committee, low="/1/", high="/10", limit=50)
    with world.rt.read() as session:
        connection = session.connection()
        sql = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
        if backend == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            plan = " | ".join(str(row[-1]) for row in rows)
            indexes = ["INDEX sqlite_autoindex_forecast_counts_1 (org_id=?)",  # a few count rows
                       "COVERING INDEX ix_forecast_escalations_path"]  # no table
        else:  # empty tables: forbid the sequential scans statistics would choose
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " | ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))
            indexes = ["pk_forecast_counts", "ix_forecast_escalations_path"]
    for index in indexes:
        assert index in plan, plan
    assert "SCAN forecast" not in plan and "Seq Scan on forecast" not in plan, plan


def test_a_refresh_leaves_the_planner_statistics_of_what_it_stored(
        world: World, county: dict[str, int], backend: str) -> None:
    """Each refresh replaces every row: the planner must not plan the next reads with the
    statistics of the previous snapshot (or of the empty tables), whether or not autovacuum
    runs."""
    if backend != "postgresql":
        pytest.skip("planner statistics by ANALYZE are PostgreSQL's")
    assert refresh_forecast(world.rt)
    believed, held = planner_rows(world, "forecast_escalations", "forecast_counts")
    assert all(held.values()) and believed == held


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_a_bad_max_age_is_refused_by_name(value: str) -> None:
    with pytest.raises(ConfigError, match="SANDAN_FORECAST_MAX_AGE"):
        Settings.from_env({"SANDAN_FORECAST_MAX_AGE": value})
    assert Settings.from_env({"SANDAN_FORECAST_MAX_AGE": "90"}).forecast_max_age == 90.0


def test_autovacuum_analyses_the_forecast_tables_after_each_refresh(
        world: World, backend: str) -> None:
    """Each refresh replaces every row; the analysis threshold is a fixed number of rows, not the
    default 10 % of a table whose old statistics may say it is nearly empty."""
    if backend != "postgresql":
        pytest.skip("autovacuum and its per-table thresholds are PostgreSQL's")
    with world.rt.engine.connect() as connection:
        options = dict(connection.execute(text(
            "SELECT relname, array_to_string(reloptions, ',') FROM pg_class "
            "WHERE relname IN ('forecast_escalations', 'forecast_counts')")).all())
    for table in ("forecast_escalations", "forecast_counts"):
        assert "autovacuum_analyze_scale_factor=0" in options[table], options
        assert "autovacuum_analyze_threshold=500" in options[table], options
