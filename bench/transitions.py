"""Engine transitions per second against the raw driver doing the same writes, per backend.

    .venv/bin/python bench/transitions.py [--backend sqlite|postgresql|both] [--n 2000]
        [--items 200] [--repeats 3] [--threads 1,2] [--chunk 200] [--dir PATH] [--json FILE]

For each backend the script builds a fresh database with the real migrations and the shipped
definitions (SQLite: a file in a temporary directory, or under --dir; PostgreSQL: a uniquely
named database on the server of SANDAN_TEST_POSTGRES_URL, default
postgresql://postgres@127.0.0.1:5432/test, dropped at the end), a small organisation tree with
people and roles, and `--items` task items brought to `in_progress` through the engine. Then it
times `--n` transitions of each kind, round-robin over the items, every one committed on its own
(durable), `--repeats` times:

  engine  `fire_transition(rt, handler, item, "report_progress", {"comment": ...})`, the engine's
          one path for state changes, with every check it makes in production (the actor is a
          Person, as the web face passes it);
  raw     the driver alone doing the same logical writes in one transaction: SELECT the item row
          by id (FOR UPDATE on PostgreSQL), UPDATE items SET state, version, updated_at, ...
          WHERE id AND version, INSERT a ledger row whose SHA-256 is taken over the same canonical
          JSON, COMMIT. sqlite3 uses the engine's pragmas (WAL, synchronous=FULL, foreign keys,
          busy_timeout) and BEGIN IMMEDIATE; psycopg 3 runs with autocommit off.

with one thread and with two (each thread owns half of the items, so they never conflict). The
two kinds take turns every `--chunk` transitions, so that drift in the machine's load and its
disk's fsync times falls on both alike. Both write to the same tables of the same database, and
at the end the whole ledger is verified with the engine's own verifier: the raw rows must hash
and chain exactly like the engine's.

Besides rates and latencies it reports each writer's CPU time per transition in this process
(thread time: Python and driver work, not waiting for fsync, the server or a lock), which shows
how much of the gap is the engine's own code; it is much steadier than wall time on a busy box.
Figures are medians over the repeats (latency percentiles per repeat, then their median). They
are noisy; compare only figures from one run on one machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
# run as a script, this file's folder heads sys.path, and its name would hide the `transitions`
# library the engine imports: look for modules from the project root instead
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy  # noqa: E402
from psycopg.types.json import Json  # noqa: E402

from workflow.access import Scope  # noqa: E402
from workflow.checkpoints import verify  # noqa: E402
from workflow.clock import SystemClock  # noqa: E402
from workflow.config import Settings  # noqa: E402
from workflow.models import Person  # noqa: E402
from workflow.runtime import Runtime  # noqa: E402
from workflow.schema import store_definitions, upgrade_database  # noqa: E402
from workflow.services import orgs  # noqa: E402
from workflow.services.items import fire_transition  # noqa: E402
from workflow.services.lists import NewItem, issue_list  # noqa: E402

POSTGRES_URL = os.environ.get(
    "SANDAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
PASSWORD = "Sandan2026bench"
TRIGGER = "report_progress"
STATE = "in_progress"
BRANCHES = 4
WARMUP = 200


# --------------------------------------------------------------------------------------------
# set-up


@dataclass
class Target:
    """One item the benchmark fires on, with who may fire and the version it is at."""

    item_id: int
    actor: Person
    version: int


@dataclass
class Fixture:
    backend: str
    url: str  # SQLAlchemy URL as the engine uses it
    rt: Runtime
    targets: list[Target]
    sqlite_path: Path | None = None
    pg_name: str | None = None
    dsn: str | None = None  # libpq form for psycopg


def _pg_admin() -> psycopg.Connection[Any]:
    return psycopg.connect(POSTGRES_URL, autocommit=True)


def _pg_dsn(name: str) -> str:
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}"


def build(backend: str, workdir: Path, n_items: int) -> Fixture:
    """A fresh database of `backend` with a small county in it and `n_items` tasks in progress."""
    instance = workdir / backend
    instance.mkdir(parents=True)
    sqlite_path = pg_name = dsn = None
    if backend == "sqlite":
        sqlite_path = instance / "sandan.db"
        url = f"sqlite:///{sqlite_path}"
    else:
        pg_name = f"sandan_bench_{uuid.uuid4().hex[:12]}"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        dsn = url = _pg_dsn(pg_name)
    settings = Settings.from_env({}).with_(
        instance_path=instance, database_url=url, environment="test",
        ledger_key_file=instance / "ledger.key", checkpoint_path=instance / "checkpoints.jsonl",
        evidence_path=instance / "evidence", secret_key="bench-secret",
    )
    rt = Runtime(settings, SystemClock())
    fixture = Fixture(backend, settings.database_url, rt, [], sqlite_path, pg_name, dsn)
    try:
        upgrade_database(rt)
        store_definitions(rt)
        fixture.targets = _populate(rt, n_items)
    except BaseException:
        teardown(fixture)
        raise
    return fixture


def _populate(rt: Runtime, n_items: int) -> list[Target]:
    system = Scope.system()
    committee = orgs.create_org(rt, system, name="县委企业工委", kind="working_committee")
    issuer = orgs.create_person(rt, system, username="issuer", display_name="交办人",
                                password=PASSWORD, org_id=committee)
    orgs.grant_role(rt, system, person_id=issuer, org_id=committee, role="issuer")
    units: list[tuple[int, int]] = []  # (org, handler person)
    for b in range(BRANCHES):
        branch = orgs.create_org(rt, system, name=f"第{b + 1}党支部", kind="branch",
                                 parent_id=committee)
        handler = orgs.create_person(rt, system, username=f"handler{b}",
                                     display_name=f"承办人{b}", password=PASSWORD, org_id=branch)
        orgs.grant_role(rt, system, person_id=handler, org_id=branch, role="handler")
        units.append((branch, handler))
        for g in range(2):
            group = orgs.create_org(rt, system, name=f"第{b + 1}支部第{g + 1}党小组",
                                    kind="group", parent_id=branch)
            units.append((group, handler))  # the branch's handler covers its groups
    people = {pid: orgs.load_person(rt, pid) for _, pid in units}
    issuer_person = orgs.load_person(rt, issuer)
    assert issuer_person is not None
    due = rt.clock.now() + timedelta(days=30)
    plan = [units[i % len(units)] for i in range(n_items)]
    issued = issue_list(
        rt, issuer_person, kind="task", title="基准测试任务清单", issuer_org_id=committee,
        items=[NewItem(title=f"任务{i + 1}", assignee_org_id=org, due_at=due,
                       fields={"category": "党建", "description": "按期完成并报告进展"})
               for i, (org, _) in enumerate(plan)],
    )
    targets = []
    for item_id, (_, handler) in zip(issued.item_ids, plan, strict=True):
        actor = people[handler]
        assert actor is not None
        version = 1
        for trigger in ("sign_for", "start"):
            version = fire_transition(rt, actor, item_id, trigger, None,
                                      expected_version=version).version
        targets.append(Target(item_id, actor, version))
    return targets


def teardown(fixture: Fixture) -> None:
    fixture.rt.dispose()
    if fixture.pg_name:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fixture.pg_name}" WITH (FORCE)')


# --------------------------------------------------------------------------------------------
# the two kinds of writer


def engine_writer(fixture: Fixture) -> Callable[[list[Target]], Callable[[int], None]]:
    """Per thread: a function firing one transition on the next item, round-robin."""

    def open_(targets: list[Target]) -> Callable[[int], None]:
        def step(k: int) -> None:
            t = targets[k % len(targets)]
            result = fire_transition(fixture.rt, t.actor, t.item_id, TRIGGER,
                                     {"comment": f"第{k}次进展报告"}, expected_version=t.version)
            t.version = result.version
        return step

    return open_


HASHED = ("subject", "subject_seq", "prev_hash", "at", "actor_id", "item_id", "org_id", "action",
          "trigger", "from_state", "to_state", "reason", "inputs", "evidence", "signature")
LOCKED_COLUMNS = ("id, kind, definition_version, state, version, org_path, issuer_path, "
                  "assignee_org_id, issuer_org_id, due_at, ledger_seq, ledger_head, title, "
                  "list_id, fields, next_deadline_at")
LEDGER_COLUMNS = HASHED + ("hash",)


def _genesis(subject: str) -> str:
    return hashlib.sha256(f"sandan-ledger-genesis:{subject}".encode()).hexdigest()


def _ledger_row(row: Any, actor_id: int, comment: str, now: datetime) -> dict[str, Any]:
    """The ledger entry of one report, hashed by the documented rules (workflow/ledger.py)."""
    subject = f"item:{row[0]}"
    body = {
        "subject": subject, "subject_seq": row[10] + 1, "prev_hash": row[11] or _genesis(subject),
        "at": now.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z",
        "actor_id": actor_id, "item_id": row[0],
        "org_id": row[7], "action": "transition", "trigger": TRIGGER, "from_state": STATE,
        "to_state": STATE, "reason": comment, "inputs": {"comment": comment}, "evidence": [],
        "signature": None,
    }
    body["hash"] = hashlib.sha256(_CANONICAL.encode(body).encode("utf-8")).hexdigest()
    return body


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              allow_nan=False)


_SQLITE_SELECT = f"SELECT {LOCKED_COLUMNS} FROM items WHERE id = ?"
# the columns the engine's UPDATE sets for this trigger (a `response`, so last_response_at too)
_SQLITE_UPDATE = ("UPDATE items SET state = ?, is_open = 1, version = ?, updated_at = ?, "
                  "last_response_at = ?, next_deadline_at = ?, ledger_seq = ?, ledger_head = ? "
                  "WHERE id = ? AND version = ?")
_SQLITE_INSERT = (f"INSERT INTO ledger_entries ({', '.join(LEDGER_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(LEDGER_COLUMNS))})")


def raw_sqlite_writer(fixture: Fixture) -> Callable[[list[Target]], Callable[[int], None]]:
    """sqlite3 alone, with the engine's pragmas and BEGIN IMMEDIATE."""

    def open_(targets: list[Target]) -> Callable[[int], None]:
        con = sqlite3.connect(str(fixture.sqlite_path), isolation_level=None, timeout=30,
                              check_same_thread=False)
        for pragma in ("foreign_keys=ON", "busy_timeout=30000", "journal_mode=WAL",
                       "synchronous=FULL"):
            con.execute(f"PRAGMA {pragma}")

        def step(k: int) -> None:
            t = targets[k % len(targets)]
            comment = f"第{k}次进展报告"
            con.execute("BEGIN IMMEDIATE")
            try:
                row = con.execute(_SQLITE_SELECT, (t.item_id,)).fetchone()
                if row[4] != t.version or row[3] != STATE:
                    raise RuntimeError(f"item {t.item_id} is not where the benchmark left it")
                now = datetime.now(UTC)
                entry = _ledger_row(row, t.actor.id, comment, now)
                stamp = now.replace(tzinfo=None).isoformat(" ", "microseconds")
                done = con.execute(_SQLITE_UPDATE, (
                    STATE, t.version + 1, stamp, stamp, row[15], entry["subject_seq"],
                    entry["hash"], t.item_id, t.version)).rowcount
                if done != 1:
                    raise RuntimeError("version conflict")
                values = [entry[c] for c in LEDGER_COLUMNS]
                values[3] = stamp
                values[12] = json.dumps(entry["inputs"])
                values[13] = json.dumps(entry["evidence"])
                con.execute(_SQLITE_INSERT, values)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            t.version += 1

        return step

    return open_


_PG_SELECT = f"SELECT {LOCKED_COLUMNS} FROM items WHERE id = %s FOR UPDATE"
_PG_UPDATE = _SQLITE_UPDATE.replace("is_open = 1", "is_open = true").replace("?", "%s")
_PG_INSERT = _SQLITE_INSERT.replace("?", "%s")


def raw_pg_writer(fixture: Fixture) -> Callable[[list[Target]], Callable[[int], None]]:
    """psycopg 3 alone: autocommit off, one transaction per transition."""

    def open_(targets: list[Target]) -> Callable[[int], None]:
        assert fixture.dsn is not None
        con = psycopg.connect(fixture.dsn, autocommit=False)

        def step(k: int) -> None:
            t = targets[k % len(targets)]
            comment = f"第{k}次进展报告"
            try:
                with con.cursor() as cur:
                    row = cur.execute(_PG_SELECT, (t.item_id,)).fetchone()
                    assert row is not None
                    if row[4] != t.version or row[3] != STATE:
                        raise RuntimeError(f"item {t.item_id} is not where the benchmark left it")
                    now = datetime.now(UTC)
                    entry = _ledger_row(row, t.actor.id, comment, now)
                    stamp = now.replace(tzinfo=None)
                    cur.execute(_PG_UPDATE, (
                        STATE, t.version + 1, stamp, stamp, row[15], entry["subject_seq"],
                        entry["hash"], t.item_id, t.version))
                    if cur.rowcount != 1:
                        raise RuntimeError("version conflict")
                    values = [entry[c] for c in LEDGER_COLUMNS]
                    values[3] = stamp
                    values[12] = Json(entry["inputs"])
                    values[13] = Json(entry["evidence"])
                    cur.execute(_PG_INSERT, values)
                con.commit()
            except BaseException:
                con.rollback()
                raise
            t.version += 1

        return step

    return open_


# --------------------------------------------------------------------------------------------
# timing


@dataclass
class Sample:
    rate: float  # transitions per second (wall clock, all threads)
    latencies: list[float] = field(default_factory=list)  # seconds, every transition
    cpu: float = 0.0  # CPU seconds per transition spent in the writing threads (this process)

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Writer:
    """One kind of writer on `threads` threads, each owning a disjoint share of the items."""

    def __init__(self, opener: Callable[[list[Target]], Callable[[int], None]],
                 targets: list[Target], threads: int) -> None:
        self.steps = [opener(targets[i::threads]) for i in range(threads)]
        self.done = [0] * threads  # transitions each thread has fired so far

    def burst(self, n: int) -> tuple[float, list[float], float]:
        """Fire `n` transitions across the threads: (wall seconds, latencies, CPU seconds)."""
        threads = len(self.steps)
        counts = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
        latencies: list[list[float]] = [[] for _ in range(threads)]
        cpu = [0.0] * threads
        errors: list[BaseException] = []
        barrier = threading.Barrier(threads + 1)

        def work(i: int) -> None:
            step, out, clock, first = self.steps[i], latencies[i], time.perf_counter, self.done[i]
            barrier.wait()
            started = time.thread_time()
            try:
                for k in range(first, first + counts[i]):
                    t0 = clock()
                    step(k)
                    out.append(clock() - t0)
            except BaseException as exc:  # reported from the main thread
                errors.append(exc)
            cpu[i] = time.thread_time() - started

        workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        for w in workers:
            w.start()
        barrier.wait()
        start = time.perf_counter()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - start
        if errors:
            raise errors[0]
        self.done = [d + c for d, c in zip(self.done, counts, strict=True)]
        return elapsed, [x for part in latencies for x in part], sum(cpu)


def measure(writers: dict[str, Writer], n: int, chunk: int) -> dict[str, Sample]:
    """`n` transitions of each writer, alternating in chunks so that both see the same machine.

    A shared machine's load and its disk's fsync times drift over seconds; taking turns every
    `chunk` transitions (and swapping who goes first) keeps the drift out of the ratio.
    """
    elapsed = dict.fromkeys(writers, 0.0)
    cpu = dict.fromkeys(writers, 0.0)
    latencies: dict[str, list[float]] = {label: [] for label in writers}
    order = list(writers)
    remaining = n
    while remaining:
        size = min(chunk, remaining)
        for label in order:
            seconds, lat, used = writers[label].burst(size)
            elapsed[label] += seconds
            latencies[label] += lat
            cpu[label] += used
        order.reverse()
        remaining -= size
    return {label: Sample(n / elapsed[label], latencies[label], cpu[label] / n)
            for label in writers}


@dataclass
class Result:
    backend: str
    threads: int
    engine: list[Sample]
    raw: list[Sample]

    @staticmethod
    def median(samples: list[Sample], what: Callable[[Sample], float]) -> float:
        return statistics.median(what(s) for s in samples)

    def figures(self) -> dict[str, float]:
        m = self.median
        engine, raw = m(self.engine, lambda s: s.rate), m(self.raw, lambda s: s.rate)
        return {
            "engine_tps": engine, "raw_tps": raw, "ratio": engine / raw,
            "engine_p50_ms": m(self.engine, lambda s: s.pct(0.50)) * 1e3,
            "engine_p99_ms": m(self.engine, lambda s: s.pct(0.99)) * 1e3,
            "raw_p50_ms": m(self.raw, lambda s: s.pct(0.50)) * 1e3,
            "raw_p99_ms": m(self.raw, lambda s: s.pct(0.99)) * 1e3,
            "engine_cpu_us": m(self.engine, lambda s: s.cpu) * 1e6,
            "raw_cpu_us": m(self.raw, lambda s: s.cpu) * 1e6,
        }


def bench_backend(backend: str, workdir: Path, n: int, n_items: int, repeats: int,
                  thread_counts: list[int], chunk: int) -> tuple[list[Result], dict[str, str]]:
    started = time.perf_counter()
    fixture = build(backend, workdir, n_items)
    notes: dict[str, str] = {}
    try:
        print(f"[{backend}] set up {len(fixture.targets)} items in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        engine = engine_writer(fixture)
        raw = raw_sqlite_writer(fixture) if backend == "sqlite" else raw_pg_writer(fixture)
        results = {t: Result(backend, t, [], []) for t in thread_counts}
        for threads in thread_counts:
            writers = {"engine": Writer(engine, fixture.targets, threads),
                       "raw": Writer(raw, fixture.targets, threads)}
            measure(writers, WARMUP, WARMUP)  # caches, prepared statements, the pool
            for r in range(repeats):
                got = measure(writers, n, chunk)
                results[threads].engine.append(got["engine"])
                results[threads].raw.append(got["raw"])
                print(f"[{backend}] {threads} thread(s), repeat {r + 1}/{repeats}: engine "
                      f"{got['engine'].rate:6.0f} tx/s, raw {got['raw'].rate:6.0f} tx/s",
                      file=sys.stderr)
        notes = _backend_notes(fixture)
    finally:
        teardown(fixture)
    return list(results.values()), notes


def _backend_notes(fixture: Fixture) -> dict[str, str]:
    """Check the ledger the run wrote, and describe the storage behind the figures."""
    rt = fixture.rt
    with rt.read() as session:
        checked = verify(session, rt.checkpoint_path, rt.ledger_key())
    if not checked.ok:
        raise SystemExit(f"[{fixture.backend}] ledger does not verify: {checked.problems[:3]}")
    notes = {"ledger": f"{checked.count} entries, every hash and chain verified"}
    if fixture.backend == "sqlite":
        assert fixture.sqlite_path is not None
        notes["storage"] = _filesystem(fixture.sqlite_path)
        return notes
    with psycopg.connect(fixture.dsn or "") as con:
        settings = {name: con.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                    for name in ("server_version", "fsync", "synchronous_commit",
                                 "wal_sync_method", "data_directory")}
    notes["server"] = settings.pop("server_version")
    directory = settings.pop("data_directory")
    notes["storage"] = (", ".join(f"{k}={v}" for k, v in settings.items())
                        + f"; data on {_filesystem(Path(directory))}")
    return notes


def _filesystem(path: Path) -> str:
    try:
        out = subprocess.run(["df", "-T", str(path)], capture_output=True, text=True, timeout=5)
        fields = out.stdout.splitlines()[-1].split()
        return f"{fields[1]} ({fields[0]})"
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown filesystem"


# --------------------------------------------------------------------------------------------
# report


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "nproc": str(usable),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "psycopg": psycopg.__version__,
        "platform": platform.platform(),
    }


def report(results: list[Result], notes: dict[str, dict[str, str]], args: argparse.Namespace,
           started: datetime, load: tuple[float, float]) -> str:
    head = (f"{'backend':<11} {'threads':>7} {'engine tx/s':>11} {'raw tx/s':>9} "
            f"{'engine/raw':>10} {'engine p50/p99 ms':>18} {'raw p50/p99 ms':>15} "
            f"{'CPU µs/tx engine/raw':>21}")
    lines = [head, "-" * len(head)]
    for res in results:
        f = res.figures()
        lines.append(
            f"{res.backend:<11} {res.threads:>7} {f['engine_tps']:>11,.0f} {f['raw_tps']:>9,.0f} "
            f"{f['ratio']:>10.2f} {f['engine_p50_ms']:>8.2f} / {f['engine_p99_ms']:<7.2f}"
            f"{f['raw_p50_ms']:>7.2f} / {f['raw_p99_ms']:<7.2f}"
            f"{f['engine_cpu_us']:>11.0f} / {f['raw_cpu_us']:<.0f}"
        )
    m = machine()
    lines += ["", f"run:     {started:%Y-%m-%d %H:%M} UTC; n={args.n} per measurement, "
              f"{args.items} items, medians of {args.repeats} repeats, each transition its own "
              "durable commit",
              "CPU:     this process's CPU time per transition in the writing threads (Python and "
              "driver; not time waiting for fsync, the server or the lock)",
              f"machine: nproc={m['nproc']}, {m['cpu']}, {m['platform']}",
              f"python {m['python']}, SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}, "
              f"psycopg {m['psycopg']}",
              f"load:    1-minute load average {load[0]:.2f} at the start, {load[1]:.2f} at the "
              f"end (above 0.5 or so, other work shared the machine)"]
    for backend, info in notes.items():
        for key, value in info.items():
            lines.append(f"{backend} {key}: {value}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--n", type=int, default=2000, help="transitions per measurement")
    parser.add_argument("--items", type=int, default=200, help="items fired on, round-robin")
    parser.add_argument("--repeats", type=int, default=3, help="repeats (medians are reported)")
    parser.add_argument("--threads", default="1,2", help="thread counts to measure, e.g. 1,2")
    parser.add_argument("--chunk", type=int, default=200,
                        help="engine and raw take turns every this many transitions")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where the SQLite file goes (default: a temporary directory)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    thread_counts = [int(t) for t in args.threads.split(",")]
    if args.items < 2 * max(thread_counts):
        parser.error("--items must give every thread at least two items")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    started = datetime.now(UTC)
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="sandan-bench-", dir=args.dir))
    results: list[Result] = []
    notes: dict[str, dict[str, str]] = {}
    try:
        for backend in backends:
            got, notes[backend] = bench_backend(backend, workdir, args.n, args.items,
                                                args.repeats, thread_counts, args.chunk)
            results += got
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(results, notes, args, started, (load_before, os.getloadavg()[0]))
    print(text)
    if args.json:
        args.json.write_text(json.dumps({
            "started": started.isoformat(), "machine": machine(), "notes": notes,
            "load_average": [load_before, os.getloadavg()[0]],
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "results": [{"backend": r.backend, "threads": r.threads, **r.figures(),
                         "engine_runs_tps": [s.rate for s in r.engine],
                         "raw_runs_tps": [s.rate for s in r.raw]} for r in results],
        }, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
