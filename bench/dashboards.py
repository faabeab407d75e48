"""The leaders' dashboard queries at scale, each next to a hand-tuned raw SQL query for the same
answer, timed in the same run.

    .venv/bin/python bench/dashboards.py [--items 1000000] [--units 5000]
                                         [--backend sqlite,postgresql] [--repeats 30] [--dir PATH]

Builds (once per backend; the SQLite file is cached in --dir, the PostgreSQL database
`sandan_bench_dashboards` is rebuilt when its size differs) a database with the real migrations
and definitions, an organisation tree of about `--units` units (committee → 10 industries →
enterprises → branches) and `--items` task items issued over 400 days: long-past ones mostly
closed (some late), recent ones open, the overdue ones at the escalation level and with the
sweep's clock columns the ladder implies. Rows are written by the driver (executemany on SQLite,
COPY on PostgreSQL) with the secondary indexes of `items` dropped and rebuilt afterwards;
PostgreSQL is then vacuumed and analysed (as autovacuum would soon do), SQLite left unanalysed
(as a deployment leaves it).

Then for three units (the committee: the whole tree; an industry; an enterprise) it times, as
the committee's leader:

  overdue     workflow.services.dashboards.overdue_board (per child unit and level), with the
              roll-ups' overdue mark a worker cycle (a minute) behind NOW
              raw: the same answer by hand on the same tables (the children's roll-up rows,
              the items due since the mark, the unit's own items); and, for scale, counting
              the items by hand: one UNION ALL of per-child range counts, grouped by level;
  trend       closure_trend, 12 weeks
              raw: the hourly closure roll-up by hand, weeks as hour arithmetic; and counting
              the items by hand: weeks as arithmetic on the closing moment;
  forecast    escalation_forecast, 7 days, answered from the snapshot the worker stores each
              cycle (stored once per run here, timed: the worker's cost per cycle), checked
              against the live dry run
              raw: the same answer by hand on the same tables, in one consistent read (the
              snapshot row, counts per level and action, the first 50 entries with titles);
              and, for scale, the live dry run against only the selection it plans from (the
              difference is the planning of each item's ladder in Python);
  drill-down  overdue_items: the first page of find_items(unit, overdue) of the unit's largest
              child; raw: the same page by hand;
  api         GET /api/v1/dashboards/overdue through the Flask app in process (no network).

Each is run `--repeats` times per unit, alternating engine and raw; p50/p95 and the ratio of
medians are printed. Noisy on a shared machine: compare figures from one run only.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workflow import rollups  # noqa: E402
from workflow.access import Scope  # noqa: E402
from workflow.clock import FixedClock  # noqa: E402
from workflow.config import Settings  # noqa: E402
from workflow.models import ForecastSnapshot  # noqa: E402
from workflow.runtime import Runtime  # noqa: E402
from workflow.schema import store_definitions, upgrade_database  # noqa: E402
from workflow.services import dashboards, orgs, tokens  # noqa: E402
from workflow.services.dashboards import period_edges  # noqa: E402
from workflow.services.forecasts import FORECAST_DAYS, refresh_forecast  # noqa: E402

NOW = datetime(2026, 6, 1, 2, tzinfo=UTC)  # a Monday, 10:00 in Beijing
#: the roll-ups' overdue mark is this far behind NOW, as after the worker's last cycle
WORKER_CYCLE = timedelta(minutes=1)
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PG_NAME = "sandan_bench_dashboards"
INDUSTRIES = 10
ITEM_COLUMNS = ("id", "list_id", "kind", "definition_version", "title", "fields",
                "assignee_org_id", "org_path", "issuer_org_id", "issuer_path", "state", "is_open",
                "due_at", "original_due_at", "next_deadline_at", "escalation_level",
                "escalated_at", "reminded_at", "overdue_at", "version", "ledger_seq",
                "created_at", "updated_at", "closed_at")


# --- the data ----------------------------------------------------------------------------------

def tree(units: int) -> list[tuple[int, int | None, str, str, str, int]]:
    """(id, parent, name, kind, path, depth): committee → industries → enterprises → branches."""
    per_industry = max(1, round(((units - 1 - INDUSTRIES) / INDUSTRIES) ** 0.5))
    enterprises = per_industry * INDUSTRIES
    branches_each = max(1, (units - 1 - INDUSTRIES - enterprises) // enterprises)
    rows = [(1, None, "中共XX县委", "committee", "/1/", 0)]
    next_id = 2
    for n in range(INDUSTRIES):
        industry = next_id
        rows.append((industry, 1, f"第{n + 1}行业工委", "working_committee", f"/1/{industry}/", 1))
        next_id += 1
        for _ in range(per_industry):
            enterprise, epath = next_id, f"/1/{industry}/{next_id}/"
            rows.append((enterprise, industry, f"企业{enterprise}党委", "enterprise", epath, 2))
            next_id += 1
            for _ in range(branches_each):
                rows.append((next_id, enterprise, f"支部{next_id}", "branch",
                             f"{epath}{next_id}/", 3))
                next_id += 1
    return rows


def items(count: int, units: list[tuple[int, int | None, str, str, str, int]]
          ) -> Iterator[tuple[Any, ...]]:
    """Task items issued over 400 days, in the states and clocks the engine would have left."""
    chance = random.Random(20261130)
    targets = [(u[0], u[4]) for u in units if u[3] in ("branch", "enterprise")]
    for item_id in range(1, count + 1):
        org_id, path = targets[chance.randrange(len(targets))]
        created = NOW - timedelta(days=chance.uniform(0, 400))
        due = created + timedelta(days=chance.uniform(15, 90))
        late_by = (NOW - due).days
        closing = 0.95 if late_by > 30 else 0.6 if late_by > 0 else 0.2
        if chance.random() < closing:
            closed = min(NOW - timedelta(hours=1), max(
                created + timedelta(days=1), due + timedelta(days=chance.uniform(-12, 10))))
            yield _row(item_id, org_id, path, created, due, "closed", False, None, 0,
                       None, None, None, closed)
            continue
        level, escalated, next_at = _ladder(due, created)
        overdue_at = due if due <= NOW else None
        yield _row(item_id, org_id, path, created, due, "in_progress", True, next_at, level,
                   escalated, due - timedelta(days=3), overdue_at, None)


def _ladder(due: datetime, created: datetime) -> tuple[int, datetime | None, datetime | None]:
    """The task ladder (level 1 at due, 2 after 3 days, 3 five days unanswered, 4 at 150 %)."""
    if due > NOW:
        reminder = due - timedelta(days=3)
        return 0, None, reminder if reminder > NOW else due
    steps = [due, due + timedelta(days=3), due + timedelta(days=8), created + (due - created) * 1.5]
    reached = [s for s in steps if s <= NOW]
    level = len(reached)
    following = steps[level] if level < len(steps) else None
    return level, reached[-1] if reached else None, following


def _row(item_id: int, org_id: int, path: str, created: datetime, due: datetime, state: str,
         is_open: bool, next_at: datetime | None, level: int, escalated: datetime | None,
         reminded: datetime | None, overdue_at: datetime | None, closed: datetime | None
         ) -> tuple[Any, ...]:
    return (item_id, 1, "task", 1, f"基准任务{item_id}", "{}", org_id, path, 1, "/1/", state,
            is_open, due, due, next_at, level, escalated, reminded, overdue_at, 1, 0, created,
            closed or created, closed)


# --- building ----------------------------------------------------------------------------------

def settings_for(url: str, folder: Path) -> Settings:
    instance = folder / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    return Settings.from_env({}).with_(instance_path=instance, database_url=url,
                                       environment="test", secret_key="bench")


def build(rt: Runtime, backend: str, count: int, units: int) -> None:
    upgrade_database(rt)
    store_definitions(rt)
    unit_rows = tree(units)
    created = NOW - timedelta(days=400)
    raw = rt.engine.raw_connection()
    try:
        loader = _load_sqlite if backend == "sqlite" else _load_postgresql
        loader(raw.driver_connection, unit_rows, items(count, unit_rows), created)
        raw.commit()
    finally:
        raw.close()
    system = Scope.system()
    leader = orgs.create_person(rt, system, username="lingdao", display_name="陈领导",
                                password=None, org_id=1, must_change_password=False)
    orgs.grant_role(rt, system, person_id=leader, org_id=1, role="leader")
    if backend == "postgresql":  # what autovacuum does soon after: statistics, visibility map
        with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def _load_sqlite(db: Any, units: list[Any], rows: Iterator[tuple[Any, ...]],
                 created: datetime) -> None:
    if not db.in_transaction:
        db.execute("BEGIN")
    db.executemany("INSERT INTO organisations (id, parent_id, name, kind, path, depth, created_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)", [(*u, _naive(created)) for u in units])
    db.execute("INSERT INTO item_lists (id, kind, title, issuer_org_id, issuer_path, issued_at) "
               "VALUES (1, 'task', '基准清单', 1, '/1/', ?)", (_naive(created),))
    indexes = [sql for (sql,) in db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items' "
        "AND sql IS NOT NULL")]
    for sql in indexes:
        db.execute(f"DROP INDEX {sql.split()[2]}" if sql.split()[1] == "INDEX"
                   else f"DROP INDEX {sql.split()[3]}")
    insert = (f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) "
              f"VALUES ({', '.join('?' for _ in ITEM_COLUMNS)})")
    for chunk in _chunks(rows, 50_000):
        db.executemany(insert, [tuple(_naive(v) for v in row) for row in chunk])
    for sql in indexes:
        db.execute(sql)


def _load_postgresql(conn: psycopg.Connection, units: list[Any], rows: Iterator[tuple[Any, ...]],
                     created: datetime) -> None:
    with conn.cursor() as cur:
        with cur.copy("COPY organisations (id, parent_id, name, kind, path, depth, created_at) "
                      "FROM STDIN") as copy:
            for unit in units:
                copy.write_row((*unit, _naive(created)))
        cur.execute("INSERT INTO item_lists (id, kind, title, issuer_org_id, issuer_path, "
                    "issued_at) VALUES (1, 'task', '基准清单', 1, '/1/', %s)", (_naive(created),))
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'items' "
                    "AND indexname <> 'pk_items'")
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        with cur.copy(f"COPY items ({', '.join(ITEM_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(_naive(v) for v in row))
        for _, definition in indexes:
            cur.execute(definition)
        for table in ("organisations", "items", "item_lists", "people", "role_grants"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))")


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _naive(value: Any) -> Any:
    """Stored as the engine stores moments: naive UTC (text on SQLite)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


# --- the hand-tuned raw queries -------------------------------------------------------------

class Raw:
    """The same answers with the bare driver, written the way one would tune them by hand."""

    def __init__(self, rt: Runtime, backend: str) -> None:
        self.backend = backend
        self._pooled = rt.engine.raw_connection()  # held: out of the engine's pool meanwhile
        self.conn = self._pooled.driver_connection
        if backend == "postgresql":  # as the engine's reads: no BEGIN/ROLLBACK round trips
            self.conn.autocommit = True
        self.mark = "?" if backend == "sqlite" else "%s"
        self.max_age = rt.settings.forecast_max_age

    def rows(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        cur = self.conn.cursor()
        cur.execute(sql.replace("?", self.mark), params)
        found = cur.fetchall()
        cur.close()
        return found

    def overdue(self, org_id: int, path: str) -> dict[int, dict[int, int]]:
        children = self.rows("SELECT id, path FROM organisations WHERE parent_id = ? "
                             "AND closed_at IS NULL", (org_id,))
        now = _param(NOW, self.backend)
        parts, params = ["SELECT 0, escalation_level, count(*) FROM items WHERE is_open = "
                         f"{self._true()} AND org_path = ? AND due_at <= ? "
                         "GROUP BY escalation_level"], [path, now]
        for child_id, child_path in children:
            parts.append(f"SELECT {int(child_id)}, escalation_level, count(*) FROM items "
                         f"WHERE is_open = {self._true()} AND org_path >= ? AND org_path < ? "
                         "AND due_at <= ? GROUP BY escalation_level")
            params += [child_path, child_path[:-1] + "0", now]
        counts: dict[int, dict[int, int]] = {}
        for unit, level, count in self.rows(" UNION ALL ".join(parts), tuple(params)):
            counts.setdefault(unit, {})[level] = count
        return counts

    def rolled_overdue(self, org_id: int, path: str, mark: datetime
                       ) -> dict[int, dict[int, int]]:
        """By hand over the roll-up: the children's rows as of the mark, the items due since
        the mark from the open-items index, the unit's own items counted directly."""
        children = [c for c, in self.rows("SELECT id FROM organisations WHERE parent_id = ? "
                                          "AND closed_at IS NULL", (org_id,))]
        counts: dict[int, dict[int, int]] = {}
        if children:
            marks = ", ".join("?" * len(children))
            for unit, level, n in self.rows(
                    f"SELECT org_id, escalation_level, n FROM overdue_counts WHERE org_id IN "
                    f"({marks})", tuple(children)):
                counts.setdefault(unit, {})[level] = n
        now, since = _param(NOW, self.backend), _param(mark, self.backend)
        depth = path.count("/") - 1
        for child_path, level, n in self.rows(
                f"SELECT org_path, escalation_level, count(*) FROM items WHERE is_open = "
                f"{self._true()} AND due_at > ? AND due_at <= ? AND substr(org_path, 1, ?) = ? "
                "AND org_path <> ? GROUP BY org_path, escalation_level",
                (since, now, len(path), path, path)):
            child = int(child_path.strip("/").split("/")[depth])
            levels = counts.setdefault(child, {})
            levels[level] = levels.get(level, 0) + n
        for level, n in self.rows(f"SELECT escalation_level, count(*) FROM items WHERE is_open = "
                                  f"{self._true()} AND org_path = ? AND due_at <= ? GROUP BY 1",
                                  (path, now)):
            counts.setdefault(0, {})[level] = n
        return counts

    def rolled_trend(self, org_id: int, edges: list[datetime]) -> dict[tuple[int, bool], int]:
        """By hand over the hourly closure roll-up: weeks as hour arithmetic, one range."""
        first, last = (int(e.timestamp()) // 3600 for e in (edges[0], edges[-1]))
        rows = self.rows("SELECT (hour - ?) / 168, on_time, sum(n) FROM closure_counts "
                         "WHERE org_id = ? AND hour >= ? AND hour < ? GROUP BY 1, 2",
                         (first, org_id, first, last))
        return {(int(w), bool(f)): int(c) for w, f, c in rows}

    def trend(self, path: str, edges: list[datetime]) -> dict[tuple[int, bool], int]:
        start, end = (_param(e, self.backend) for e in (edges[0], edges[-1]))
        if self.backend == "sqlite":
            week = "CAST((julianday(closed_at) - julianday(?)) / 7 AS INTEGER)"
            flag, closed = "closed_at <= due_at", "0"
        else:
            week = "floor(extract(epoch FROM closed_at - ?::timestamp) / 604800)::int"
            flag, closed = "(closed_at <= due_at)", "false"
        sql = (f"SELECT {week}, {flag}, count(*) FROM items WHERE is_open = {closed} "
               "AND org_path >= ? AND org_path < ? AND closed_at >= ? AND closed_at < ? "
               "AND due_at IS NOT NULL GROUP BY 1, 2")
        rows = self.rows(sql, (start, path, path[:-1] + "0", start, end))
        return {(int(w), bool(f)): c for w, f, c in rows}

    def forecast(self, org_id: int, path: str, limit: int = 50
                 ) -> tuple[dict[int, int], dict[str, int], list[tuple[Any, ...]]] | None:
        """The stored forecast by hand, in one statement (so from one snapshot): the snapshot
        row, the unit's counts per level and action, the first `limit` entries with their
        items' titles."""
        typed = ("CAST(NULL AS TEXT)", "CAST(NULL AS INTEGER)")
        rows = self.rows(self._sql(
            f"SELECT 0 AS part, as_of, days, {typed[0]}, {typed[1]}, {typed[1]}, {typed[1]}, "
            f"{typed[0]} FROM forecast_snapshots WHERE name = 'escalations' "
            "UNION ALL SELECT 1, NULL, level, action, n, first_seq, NULL, NULL "
            "FROM forecast_counts WHERE org_id = ? "
            "UNION ALL SELECT 2, f.at, f.level, f.action, NULL, f.seq, f.item_id, i.title "
            "FROM (SELECT seq, item_id, at, level, action FROM forecast_escalations "
            "WHERE org_path >= ? AND org_path < ? ORDER BY seq LIMIT ?) f "
            "JOIN items i ON i.id = f.item_id ORDER BY 1, 6"),
            (org_id, path, path[:-1] + "0", limit))
        if not rows or rows[0][0] != 0 or rows[0][2] != FORECAST_DAYS or not (
                timedelta(0) <= NOW - _utc(rows[0][1]) <= timedelta(seconds=self.max_age)):
            return None
        levels: dict[int, int] = {}
        actions: dict[str, int] = {}
        for _part, _at, level, action, count, _first, _item, _title in rows:
            if _part == 1:
                levels[level] = levels.get(level, 0) + count
                actions[action] = actions.get(action, 0) + count
        entries = [(item, title, at, level, action)
                   for part, at, level, action, _n, _seq, item, title in rows if part == 2]
        return dict(sorted(levels.items())), actions, entries

    def _sql(self, sql: str) -> str:
        return sql.replace("?", self.mark)

    def forecast_rows(self, path: str, until: datetime) -> int:
        sql = ("SELECT * FROM items WHERE is_open = " + self._true() + " AND next_deadline_at "
               "IS NOT NULL AND next_deadline_at <= ? AND org_path >= ? AND org_path < ? "
               "AND due_at <= ? ORDER BY org_path, next_deadline_at, id")
        moment = _param(until, self.backend)
        return len(self.rows(sql, (moment, path, path[:-1] + "0", moment)))

    def drill(self, path: str) -> list[int]:
        sql = ("SELECT * FROM items WHERE is_open = " + self._true() + " AND due_at <= ? "
               "AND org_path >= ? AND org_path < ? ORDER BY due_at, id LIMIT 50")
        return [r[0] for r in self.rows(sql, (_param(NOW, self.backend), path,
                                              path[:-1] + "0"))]

    def _true(self) -> str:
        return "1" if self.backend == "sqlite" else "true"


def _utc(stored: Any) -> datetime:
    """A stored moment (naive UTC; text on SQLite) as an aware datetime."""
    moment = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    return moment.replace(tzinfo=UTC)


def _param(moment: datetime, backend: str) -> Any:
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(sep=" ") if backend == "sqlite" else naive


# --- timing -----------------------------------------------------------------------------------

def percentile(times: list[float], pct: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def race(repeats: int, engine: Callable[[], Any], raw: Callable[[], Any]
         ) -> tuple[list[float], list[float]]:
    engine(), raw()  # warm caches and the planner
    first, second = [], []
    for _ in range(repeats):
        for fn, into in ((engine, first), (raw, second)):
            started = time.perf_counter()
            fn()
            into.append((time.perf_counter() - started) * 1000)
    return first, second


def report(label: str, engine: list[float], raw: list[float]) -> dict[str, float]:
    figures = {"engine_p50": statistics.median(engine), "engine_p95": percentile(engine, 95),
               "raw_p50": statistics.median(raw), "raw_p95": percentile(raw, 95)}
    figures["ratio"] = figures["engine_p50"] / figures["raw_p50"]
    print(f"  {label:<34} engine p50 {figures['engine_p50']:7.1f} p95 "
          f"{figures['engine_p95']:7.1f} ms | raw p50 {figures['raw_p50']:7.1f} p95 "
          f"{figures['raw_p95']:7.1f} ms | {figures['ratio']:4.2f}x")
    return figures


def measure(rt: Runtime, backend: str, repeats: int) -> None:
    raw = Raw(rt, backend)
    leader = orgs.load_person(rt, _leader_id(raw))
    assert leader is not None
    units = _units(raw)
    app, headers = _api(rt, leader.id)
    edges = period_edges(NOW, rt.settings.tz, "week", 12)
    with rt.engine.connect() as connection:
        mark = rollups.read_mark(connection)
    assert mark is not None, "the roll-ups were not built"
    for name, org_id, path in units:
        board = dashboards.overdue_board(rt, leader, org_id)
        by_hand = raw.overdue(org_id, path)
        assert {c.unit.id: c.overdue for c in board.children} == {
            c.unit.id: sum(by_hand.get(c.unit.id, {}).values()) for c in board.children}, "overdue"
        trend = dashboards.closure_trend(rt, leader, org_id)
        assert sum(b.on_time + b.late for b in trend.buckets) == sum(
            raw.trend(path, edges).values()), "trend"
        biggest = max(board.children, key=lambda c: c.overdue)
        print(f" {name}: {board.total:,} overdue, {len(board.children)} child units, "
              f"{sum(b.on_time + b.late for b in trend.buckets):,} closed in 12 weeks")
        assert raw.rolled_trend(org_id, edges) == raw.trend(path, edges), "trend by hand"
        rolled = raw.rolled_overdue(org_id, path, mark)
        assert {c: sum(v.values()) for c, v in rolled.items() if c and sum(v.values())} == {
            c.unit.id: c.overdue for c in board.children if c.overdue}, "overdue by hand"
        report("overdue per child and level", *race(
            repeats, lambda o=org_id: dashboards.overdue_board(rt, leader, o),
            lambda o=org_id, p=path: raw.rolled_overdue(o, p, mark)))
        report("  (vs counting the items by hand)", *race(
            repeats, lambda o=org_id: dashboards.overdue_board(rt, leader, o),
            lambda o=org_id, p=path: raw.overdue(o, p)))
        report("on-time closure rate, 12 weeks", *race(
            repeats, lambda o=org_id: dashboards.closure_trend(rt, leader, o),
            lambda o=org_id: raw.rolled_trend(o, edges)))
        report("  (vs counting the items by hand)", *race(
            repeats, lambda o=org_id: dashboards.closure_trend(rt, leader, o),
            lambda p=path: raw.trend(p, edges)))
        stored = dashboards.escalation_forecast(rt, leader, org_id)
        assert stored.as_of == NOW, "the forecast is answered from the stored snapshot"
        assert stored == dashboards.live_forecast(rt, stored.unit, NOW, days=FORECAST_DAYS,
                                                  limit=50), "forecast: stored vs live"
        by_hand = raw.forecast(org_id, path)
        assert by_hand is not None and by_hand[:2] == (stored.levels, stored.actions) and [
            e[0] for e in by_hand[2]] == [e.item_id for e in stored.entries], "forecast by hand"
        print(f"   forecast: {sum(stored.levels.values()):,} escalations in 7 days")
        report("forecast, 7 days (stored)", *race(
            repeats, lambda o=org_id: dashboards.escalation_forecast(rt, leader, o),
            lambda o=org_id, p=path: raw.forecast(o, p)))
        report("  (live dry run vs its selection)", *race(
            max(3, repeats // 5), lambda u=stored.unit: dashboards.live_forecast(
                rt, u, NOW, days=FORECAST_DAYS, limit=50),
            lambda p=path: raw.forecast_rows(p, NOW + timedelta(days=FORECAST_DAYS))))
        engine_page = [i.id for i in dashboards.overdue_items(rt, leader, biggest.unit.id)]
        assert engine_page == raw.drill(biggest.unit.path), "drill-down"
        report(f"drill-down, first page of {biggest.unit.id}", *race(
            repeats, lambda c=biggest.unit.id: dashboards.overdue_items(rt, leader, c),
            lambda p=biggest.unit.path: raw.drill(p)))
        answer = app.get(f"/api/v1/dashboards/overdue?org_id={org_id}", headers=headers)
        assert answer.status_code == 200 and answer.get_json()["total"] == board.total, "api"
        report("GET /api/v1/dashboards/overdue", *race(
            repeats, lambda o=org_id: app.get(f"/api/v1/dashboards/overdue?org_id={o}",
                                              headers=headers),
            lambda o=org_id, p=path: raw.overdue(o, p)))


def _leader_id(raw: Raw) -> int:
    return int(raw.rows("SELECT id FROM people WHERE username = 'lingdao'", ())[0][0])


def _units(raw: Raw) -> list[tuple[str, int, str]]:
    industry = raw.rows("SELECT id, path FROM organisations WHERE depth = 1 ORDER BY id", ())[0]
    enterprise = raw.rows("SELECT id, path FROM organisations WHERE parent_id = ? ORDER BY id",
                          (industry[0],))[0]
    return [("committee (whole tree)", 1, "/1/"), ("industry", *industry),
            ("enterprise", *enterprise)]


def _api(rt: Runtime, person_id: int) -> tuple[Any, dict[str, str]]:
    from web.app import create_app

    app = create_app(runtime=rt)
    token = tokens.create_token(rt, Scope.system(), person_id, name="bench").token
    return app.test_client(), {"Authorization": f"Bearer {token}"}


# --- main -------------------------------------------------------------------------------------

def prepared(backend: str, args: argparse.Namespace, folder: Path) -> Runtime:
    if backend == "sqlite":
        path = folder / f"dashboards-{args.items}-{args.units}.db"
        url, fresh = f"sqlite:///{path}", not path.exists()
    else:
        base = POSTGRES.rsplit("/", 1)[0]
        url, fresh = f"{base}/{PG_NAME}", _pg_stale(base, args.items)
    rt = Runtime(settings_for(url, folder / backend), FixedClock(NOW))
    if fresh:
        started = time.perf_counter()
        build(rt, backend, args.items, args.units)
        print(f"{backend}: built {args.items:,} items in {time.perf_counter() - started:.0f} s")
    upgrade_database(rt)  # a database cached by an earlier release of this script
    with rt.write_connection() as connection:
        if rollups.read_mark(connection) is None:
            started = time.perf_counter()
            rollups.rebuild(connection, NOW - WORKER_CYCLE)
            print(f"{backend}: roll-ups built in {time.perf_counter() - started:.0f} s")
    with rt.write_connection() as connection:  # stored afresh on every run, to time it
        connection.execute(ForecastSnapshot.__table__.delete())
    started = time.perf_counter()
    refresh_forecast(rt)
    print(f"{backend}: forecast stored in {time.perf_counter() - started:.2f} s "
          "(the worker's cost per cycle)")
    return rt


def _pg_stale(base: str, count: int) -> bool:
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_NAME,)).fetchone():
            try:
                with psycopg.connect(f"{base}/{PG_NAME}") as conn:
                    found = conn.execute("SELECT count(*) FROM items").fetchone()
                    if found and found[0] == count:
                        return False
            except psycopg.Error:
                pass
            admin.execute(f'DROP DATABASE "{PG_NAME}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{PG_NAME}"')
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="sandan-dashboards-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    for backend in args.backend.split(","):
        rt = prepared(backend, args, folder)
        print(f"\n{backend}: {args.items:,} items, {len(tree(args.units)):,} units "
              f"(as of {NOW:%Y-%m-%d %H:%M} UTC)")
        measure(rt, backend, args.repeats)
        rt.dispose()


if __name__ == "__main__":
    main()
