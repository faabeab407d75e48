"""The deadline sweep over a large database, next to a raw-SQL baseline doing the same work.

    .venv/bin/python bench/sweep.py [--items 1000000] [--units 5000] [--due 0.01]
                                    [--repeats 3] [--dir PATH]

Builds (once, cached in --dir) a SQLite database with the real migrations and definitions,
`--units` branches each with one handler, and `--items` open task items in `in_progress`, of
which a fraction `--due` fell due an hour before the sweep moment and the rest are due in a
month. Then, on fresh copies of that file, times:

  engine 0%   `run_sweep(rt, as_of)` at a moment before anything is due (nothing to do: the
              partial index answers "none" without reading items);
  engine 1%   `run_sweep(rt, as_of)` when the due fraction is due: each such item is marked
              overdue and climbs to level 1 (`remind`): two hashed ledger entries on its chain,
              its inbox notification, its clock columns — in batches of SANDAN_SWEEP_BATCH (50);
  raw 1%      the sqlite3 driver alone doing the same selection (the same partial index, the same
              batches) and the same writes: two ledger rows hashed over canonical JSON chained on
              the item's cached head, one notification row, one UPDATE of the item, a commit per
              batch, with the engine's pragmas (WAL, synchronous=FULL, BEGIN IMMEDIATE);
  raw 0%      the same selection finding nothing.

Each timing is taken on its own copy of the database, repeated `--repeats` times; medians are
printed. Noisy: compare only figures from one run on one machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workflow.clock import FixedClock  # noqa: E402
from workflow.config import Settings  # noqa: E402
from workflow.ledger import genesis_hash  # noqa: E402
from workflow.runtime import Runtime  # noqa: E402
from workflow.schema import store_definitions, upgrade_database  # noqa: E402
from workflow.services.sweeps import run_sweep  # noqa: E402

AS_OF = datetime(2026, 6, 1, 2, tzinfo=UTC)  # a Monday, 10:00 in Beijing
BATCH = 50


def settings_for(path: Path) -> Settings:
    instance = path.parent / f"instance-{path.stem}"
    instance.mkdir(exist_ok=True)
    return Settings.from_env({}).with_(
        instance_path=instance, database_url=f"sqlite:///{path}", environment="test",
        secret_key="bench", quiet_hours="off",
    )


def build(path: Path, items: int, units: int, due: float) -> None:
    """The database: schema and definitions by the engine, rows by the driver (fast)."""
    rt = Runtime(settings_for(path), FixedClock(AS_OF - timedelta(days=40)))
    upgrade_database(rt)
    store_definitions(rt)
    rt.dispose()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("BEGIN")
    created = _ts(AS_OF - timedelta(days=40))
    db.execute("INSERT INTO organisations (id, name, kind, path, depth, created_at) "
               "VALUES (1, '县委', 'committee', '/1/', 0, ?)", (created,))
    db.executemany(
        "INSERT INTO organisations (id, parent_id, name, kind, path, depth, created_at) "
        "VALUES (?, 1, ?, 'branch', ?, 1, ?)",
        [(u, f"支部{u}", f"/1/{u}/", created) for u in range(2, units + 2)])
    db.executemany(
        "INSERT INTO people (id, username, display_name, active, must_change_password, "
        "session_generation, failed_logins, org_id, created_at) VALUES (?, ?, ?, 1, 0, 1, 0, ?, ?)",
        [(u, f"h{u}", f"书记{u}", u, created) for u in range(2, units + 2)])
    db.executemany(
        "INSERT INTO role_grants (person_id, org_id, role, granted_at) VALUES (?, ?, 'handler', ?)",
        [(u, u, created) for u in range(2, units + 2)])
    db.execute("INSERT INTO item_lists (id, kind, title, issuer_org_id, issuer_path, issued_at) "
               "VALUES (1, 'task', '基准清单', 1, '/1/', ?)", (created,))
    every = max(1, round(1 / due)) if due > 0 else items + 1
    soon, later = AS_OF - timedelta(hours=1), AS_OF + timedelta(days=30)
    rows = []
    for n in range(items):
        unit = 2 + n % units
        due_at = soon if n % every == 0 else later
        next_at = due_at if due_at == soon else later - timedelta(days=5)
        rows.append((f"任务{n}", unit, f"/1/{unit}/", _ts(due_at), _ts(next_at), created))
        if len(rows) == 50_000:
            _insert_items(db, rows)
            rows = []
    _insert_items(db, rows)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def _insert_items(db: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    db.executemany(
        "INSERT INTO items (list_id, kind, definition_version, title, fields, assignee_org_id, "
        "org_path, issuer_org_id, issuer_path, state, is_open, due_at, original_due_at, "
        "next_deadline_at, escalation_level, version, ledger_seq, created_at, updated_at) "
        "VALUES (1, 'task', 1, ?, '{}', ?, ?, 1, '/1/', 'in_progress', 1, ?4, ?4, ?5, 0, 1, 0, "
        "?6, ?6)", rows)


def _ts(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def engine_sweep(path: Path, as_of: datetime) -> tuple[float, int]:
    rt = Runtime(settings_for(path), FixedClock(as_of))
    rt.definitions, rt.calendar  # noqa: B018 - loaded outside the timing, as in a worker
    started = time.perf_counter()
    report = run_sweep(rt, as_of)
    elapsed = time.perf_counter() - started
    rt.dispose()
    return elapsed, len(report.actions)


SELECT = ("SELECT id, title, org_path, assignee_org_id, due_at, ledger_seq, ledger_head "
          "FROM items WHERE is_open = 1 AND next_deadline_at IS NOT NULL "
          "AND next_deadline_at <= ? ORDER BY next_deadline_at, id LIMIT ?")


def raw_sweep(path: Path, as_of: datetime) -> tuple[float, int]:
    """The same selection and writes by hand: the floor the engine is measured against."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    moment, writes = _ts(as_of), 0
    started = time.perf_counter()
    while True:
        db.execute("BEGIN IMMEDIATE")
        rows = db.execute(SELECT, (moment, BATCH)).fetchall()
        if not rows:
            db.execute("COMMIT")
            break
        handlers = {}
        for item_id, title, _path, org_id, due_at, seq, head in rows:
            if org_id not in handlers:  # the recipient lookup the engine makes, cached alike
                handlers[org_id] = db.execute(
                    "SELECT person_id FROM role_grants WHERE org_id = ? AND role = 'handler'",
                    (org_id,)).fetchall()
            head = head or genesis_hash(f"item:{item_id}")
            for action in ("overdue", "escalate"):
                seq, head = seq + 1, _ledger(db, item_id, org_id, seq + 1, head, action, moment)
                writes += 1
            for (person,) in handlers[org_id]:
                db.execute(
                    "INSERT INTO notifications (dedupe_key, channel, person_id, org_id, item_id, "
                    "template, params, urgent, status, attempts, created_at, sent_at) "
                    "VALUES (?, 'inbox', ?, ?, ?, 'remind', ?, 0, 'sent', 0, ?, ?)",
                    (f"item:{item_id}:escalate:1:inbox:p{person}", person, org_id, item_id,
                     json.dumps({"title": title, "due": due_at}), moment, moment))
            db.execute("UPDATE items SET escalation_level = 1, escalated_at = ?, overdue_at = ?, "
                       "next_deadline_at = ?, ledger_seq = ?, ledger_head = ? WHERE id = ?",
                       (moment, moment, _ts(as_of + timedelta(days=3)), seq, head, item_id))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed, writes


def _ledger(db: sqlite3.Connection, item_id: int, org_id: int, seq: int, prev: str,
            action: str, moment: str) -> str:
    body = {"subject": f"item:{item_id}", "subject_seq": seq, "prev_hash": prev, "at": moment,
            "actor_id": None, "item_id": item_id, "org_id": org_id, "action": action,
            "trigger": None, "from_state": None, "to_state": None, "reason": None,
            "inputs": {"due_moment": moment, "recipients": []}, "evidence": [], "signature": None}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False,
                                       separators=(",", ":")).encode()).hexdigest()
    db.execute(
        "INSERT INTO ledger_entries (subject, subject_seq, prev_hash, hash, at, item_id, org_id, "
        "action, inputs, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]')",
        (f"item:{item_id}", seq, prev, digest, moment, item_id, org_id, action,
         json.dumps(body["inputs"])))
    return digest


def timed(template: Path, work: str, fn: object, as_of: datetime, repeats: int) -> list[float]:
    times = []
    for n in range(repeats):
        copy = template.with_name(f"{work}-{n}.db")
        shutil.copy(template, copy)
        elapsed, done = fn(copy, as_of)  # type: ignore[operator]
        times.append(elapsed)
        print(f"  {work:<10} run {n + 1}: {elapsed * 1000:10.1f} ms  ({done} actions/entries)")
        copy.unlink()
        for suffix in ("-wal", "-shm", ".worker.lock"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--due", type=float, default=0.01)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="sandan-sweep-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    template = folder / f"sweep-{args.items}-{args.units}-{args.due}.db"
    if not template.exists():
        started = time.perf_counter()
        build(template, args.items, args.units, args.due)
        print(f"built {template} in {time.perf_counter() - started:.0f} s")
    before = AS_OF - timedelta(hours=2)  # nothing is due yet
    results = {
        "engine 0%": timed(template, "engine0", engine_sweep, before, args.repeats),
        "raw 0%": timed(template, "raw0", raw_sweep, before, args.repeats),
        "engine 1%": timed(template, "engine1", engine_sweep, AS_OF, args.repeats),
        "raw 1%": timed(template, "raw1", raw_sweep, AS_OF, args.repeats),
    }
    print(f"\n{args.items:,} items, {args.units:,} units, {args.due:.0%} due; medians:")
    for name, times in results.items():
        print(f"  {name:<10} {statistics.median(times) * 1000:10.1f} ms")
    ratio = statistics.median(results["engine 1%"]) / statistics.median(results["raw 1%"])
    print(f"  engine / raw at 1% due: {ratio:.2f}x")


if __name__ == "__main__":
    main()
