"""The scale test: a million items on PostgreSQL, gunicorn and two workers, a mixed HTTP load.

    .venv/bin/python bench/scale.py [--items 1000000] [--seconds 60] [--users 16] [--keep]
                                    [--read-seconds 10] [--rounds 2] [--plans PATH] [--json PATH]
    .venv/bin/python bench/scale.py --reuse DATABASE --instance PATH [--calibrate-only]

1. Creates a uniquely named database on the PostgreSQL server of SANDAN_TEST_POSTGRES_URL
   (default postgresql://postgres@127.0.0.1:5432/test) and builds it with bench/seeding.py: the
   real migrations and definitions, ~4,800 units, ~9,000 people with roles, --items task items in
   every state with their hash-chained ledger (about 4.6 entries per item), sealed by a
   checkpoint. Personal API tokens are made with workflow.services.tokens for eight branch
   handlers, three inspectors and two leaders.
2. Starts gunicorn serving `web.app:create_app()` (SANDAN_ENV=production, a secret key, the
   seeded database) and, under the same gunicorn settings, the minimal Flask app of
   bench/ceiling.py. The settings come from deploy/gunicorn.conf.py when it exists, else from
   the flags in GUNICORN_FLAGS; the report says which.
3. Runs bench/load.py in a separate process: alternately the ceiling and the API's item read,
   --read-seconds each, --rounds times (the best of each is reported; --calibrate-only stops
   there, to re-measure the ratio on a kept database after a change); then starts two
   `sandan worker` processes (sweeps every few seconds, with a share of the items already due)
   and runs the mixed load for --seconds.
4. Stops everything, runs `sandan ledger verify`, and checks every transition the server
   answered 200 to against the ledger and the items: each accepted answer has exactly one ledger
   entry with its hash, every transition entry written during the run was answered to the
   driver, and each touched item's version equals 1 + its transition entries.
5. Prints throughput and p50/p95/p99 latency per endpoint, the errors, the checks, the machine;
   with --plans writes EXPLAIN (ANALYZE, BUFFERS) of the main list, dashboard and sweep queries
   at this size (bench/plans.py). The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.machine import describe_machine  # noqa: E402
from bench.seeding import Persona, Seeded, Shape, seed  # noqa: E402
from workflow import rollups  # noqa: E402
from workflow.config import Settings  # noqa: E402
from workflow.models import Person  # noqa: E402
from workflow.runtime import Runtime  # noqa: E402
from workflow.schema import upgrade_database  # noqa: E402
from workflow.services.forecasts import refresh_forecast  # noqa: E402
from workflow.services.tokens import create_token  # noqa: E402

BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
#: used when deploy/gunicorn.conf.py does not exist: the usual 2 × cores + 1 sync workers
GUNICORN_FLAGS = ["--workers", str(2 * (os.cpu_count() or 1) + 1), "--worker-class", "sync",
                  "--timeout", "60", "--graceful-timeout", "10"]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=60, help="the mixed load's length")
    parser.add_argument("--read-seconds", type=float, default=10,
                        help="each ceiling and item-read phase's length")
    parser.add_argument("--rounds", type=int, default=2,
                        help="ceiling and item-read phases run alternately this many times each "
                             "(the best of each is reported)")
    parser.add_argument("--calibrate-only", action="store_true",
                        help="only the ceiling and item-read phases (with --reuse: a quick "
                             "re-measure of the ratio after a change)")
    parser.add_argument("--users", type=int, default=16, help="concurrent virtual users")
    parser.add_argument("--due", type=float, default=0.005,
                        help="share of open items already due when the load starts")
    parser.add_argument("--worker-interval", type=float, default=5.0)
    parser.add_argument("--exclude-dashboard", action="append", default=[], metavar="SUFFIX",
                        help="leave the dashboard routes ending so out of the mixed load "
                             "(they are still measured alone); repeatable")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database and the instance folder at the end")
    parser.add_argument("--reuse", metavar="DATABASE",
                        help="run on a database an earlier --keep run left (no seeding)")
    parser.add_argument("--instance", type=Path,
                        help="with --reuse: that run's instance folder (ledger key, checkpoints)")
    parser.add_argument("--plans", type=Path, help="write the EXPLAIN plans to this file")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    return parser.parse_args()


def main() -> None:
    args = parse()
    server = os.environ.get("SANDAN_TEST_POSTGRES_URL",
                            "postgresql://postgres@127.0.0.1:5432/test")
    name = args.reuse or f"sandan_scale_{uuid.uuid4().hex[:10]}"
    admin_url = server.replace("postgresql+psycopg://", "postgresql://")
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    if args.reuse:
        if args.instance is None:
            raise SystemExit("--reuse needs the --instance folder of the run that kept it")
        instance, args.keep = args.instance, True
    else:
        instance = Path(tempfile.mkdtemp(prefix="sandan-scale-"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    log(f"database {name}, instance {instance}")
    env = environment(url, instance)
    try:
        report = run(args, url, instance, env)
        print_report(report)
        if args.json:
            args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str))
    finally:
        if args.keep:
            log(f"kept database {name} ({url}) and instance {instance}")
        else:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(instance, ignore_errors=True)
            log(f"dropped database {name} and removed {instance}")


def environment(url: str, instance: Path) -> dict[str, str]:
    """Production-like settings for every process: the seeded database, a secret key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDAN_")}
    env.update(SANDAN_DATABASE_URL=url, SANDAN_INSTANCE_PATH=str(instance),
               SANDAN_ENV="production", SANDAN_SECRET_KEY=uuid.uuid4().hex * 2,
               SANDAN_QUIET_HOURS="off", PYTHONPATH=str(ROOT))
    return env


def run(args: argparse.Namespace, url: str, instance: Path, env: dict[str, str]
        ) -> dict[str, Any]:
    settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("SANDAN_")})
    rt = Runtime(settings)
    seeded = reuse(instance) if args.reuse else fresh(rt, args, instance)
    upgrade_database(rt)  # a database kept by an earlier release of this script
    with rt.write_connection() as connection:  # as a deployment's worker keeps doing
        moved = rollups.advance_overdue(connection, rt.clock.now())
    log(f"overdue roll-up carried to now ({moved:,} items)")
    started = time.perf_counter()
    refresh_forecast(rt)  # the escalation forecast a worker's last cycle left for the dashboard
    with psycopg.connect(_plain(rt), autocommit=True) as conn:  # as autovacuum does within a
        conn.execute("ANALYZE forecast_escalations, forecast_counts")  # minute (0011)
    log(f"escalation forecast stored in {time.perf_counter() - started:.1f} s")
    tokens = make_tokens(rt, seeded)
    report: dict[str, Any] = {"machine": describe_machine(url), "args": vars(args),
                              "seeded": seed_summary(rt, seeded)}
    baseline = serve_and_load(args, env, instance, rt, tokens, report)
    if not args.calibrate_only:
        report["checks"] = checks(rt, env, baseline, report["mixed"]["phases"][0])
    if args.plans:
        from bench.plans import write_plans

        write_plans(rt, seeded, args.plans, log=log)
    rt.dispose()
    return report


def serve_and_load(args: argparse.Namespace, env: dict[str, str], instance: Path, rt: Runtime,
                   tokens: list[dict[str, Any]], report: dict[str, Any]) -> int:
    """The load phases, into `report`; returns the newest ledger id before the mixed load."""
    with Servers(env) as servers:
        report["gunicorn"] = servers.settings
        plan = {"base_url": servers.app_url, "ceiling_url": servers.ceiling_url,
                "users": args.users, "personas": tokens,
                "dashboards": dashboard_paths(servers.app_url, tokens)}
        report["dashboards"] = plan["dashboards"]
        calibrate = [{"name": n, "seconds": args.read_seconds}
                     for _ in range(args.rounds) for n in ("ceiling", "reads")]
        report["calibration"] = drive({**plan, "phases": calibrate}, instance, "calibrate")
        if args.calibrate_only:
            return 0
        if plan["dashboards"]:
            report["dashboards_alone"] = drive({**plan, "phases": [{
                "name": "dashboards", "seconds": 2 * args.read_seconds, "users": 4}]},
                instance, "dashboards")
        plan["dashboards"] = [d for d in plan["dashboards"]
                              if not any(d.endswith(x) for x in args.exclude_dashboard)]
        baseline = ledger_max_id(rt)
        with Workers(env, args.worker_interval) as workers:
            mixed = [{"name": "mixed", "seconds": args.seconds}]
            report["mixed"] = drive({**plan, "phases": mixed}, instance, "mixed")
        report["workers"] = workers.output
    return baseline


def fresh(rt: Runtime, args: argparse.Namespace, instance: Path) -> Seeded:
    """Seed the new database; remember what was built for a later --reuse."""
    started = time.perf_counter()
    seeded = seed(rt, Shape(items=args.items, due_fraction=args.due), log=log)
    log(f"seeded in {time.perf_counter() - started:.0f} s: {seeded.seconds}")
    (instance / "seeded.json").write_text(json.dumps(dataclasses.asdict(seeded)))
    return seeded


def reuse(instance: Path) -> Seeded:
    saved = json.loads((instance / "seeded.json").read_text())
    saved["personas"] = [Persona(**p) for p in saved["personas"]]
    return Seeded(**saved)


def ledger_max_id(rt: Runtime) -> int:
    with psycopg.connect(_plain(rt)) as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) FROM ledger_entries").fetchone()
    return int(row[0]) if row else 0


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def make_tokens(rt: Runtime, seeded: Seeded) -> list[dict[str, Any]]:
    personas = []
    for persona in seeded.personas:
        with rt.read() as session:
            person = session.get_one(Person, persona.person_id)
            person.grants, person.assignments  # noqa: B018 - loaded inside the session
        token = create_token(rt, person, person.id, name="scale test", days=1)
        personas.append({"role": persona.role, "username": persona.username,
                         "token": token.token})
    return personas


def seed_summary(rt: Runtime, seeded: Seeded) -> dict[str, Any]:
    with psycopg.connect(_plain(rt)) as conn:
        sizes = dict(conn.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname IN "
            "('items', 'ledger_entries', 'item_evidence', 'notifications')").fetchall())
        database = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return {"items": seeded.items, "units": seeded.units, "people": seeded.people,
            "ledger_entries": seeded.ledger_entries, "seconds": seeded.seconds,
            "bytes": {**sizes, "database": database[0] if database else None}}


def _plain(rt: Runtime) -> str:
    return rt.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Servers:
    """gunicorn serving Sandan and, with the same settings, the ceiling app."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.processes: list[subprocess.Popen[bytes]] = []
        ports = free_port(), free_port()
        self.app_url, self.ceiling_url = (f"http://127.0.0.1:{p}" for p in ports)
        self.ports = ports
        if GUNICORN_CONF.exists():
            self.flags = ["--config", str(GUNICORN_CONF)]
            self.settings = f"--config {GUNICORN_CONF.relative_to(ROOT)}"
        else:
            self.flags = GUNICORN_FLAGS
            self.settings = " ".join(GUNICORN_FLAGS) + " (deploy/gunicorn.conf.py absent)"

    def __enter__(self) -> Servers:
        for port, target in zip(self.ports, ("web.app:create_app()", "bench.ceiling:create_app()"),
                                strict=True):
            command = [str(BIN / "gunicorn"), *self.flags, "--bind", f"127.0.0.1:{port}", target]
            self.processes.append(subprocess.Popen(command, env=self.env, cwd=ROOT,
                                                   stdout=subprocess.DEVNULL))
        for url in (f"{self.app_url}/api/v1/openapi.json", f"{self.ceiling_url}/ping"):
            wait_for(url)
        log(f"gunicorn up: {self.settings}")
        return self

    def __exit__(self, *exc: object) -> None:
        stop(self.processes)


def wait_for(url: str, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def stop(processes: list[subprocess.Popen[Any]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Workers:
    """Two `sandan worker` processes sweeping every `interval` seconds."""

    def __init__(self, env: dict[str, str], interval: float) -> None:
        self.env, self.interval = env, interval
        self.processes: list[subprocess.Popen[bytes]] = []
        self.output: list[str] = []

    def __enter__(self) -> Workers:
        for _ in range(2):
            self.processes.append(subprocess.Popen(
                [str(BIN / "sandan"), "worker", "--interval", str(self.interval), "--quiet"],
                env=self.env, cwd=ROOT, stderr=subprocess.PIPE))
        return self

    def __exit__(self, *exc: object) -> None:
        stop(self.processes)
        for process in self.processes:
            assert process.stderr is not None
            self.output += process.stderr.read().decode("utf-8", "replace").splitlines()


def dashboard_paths(base: str, tokens: list[dict[str, Any]]) -> list[str]:
    """GET routes under /api/v1/dashboards that answer a leader without parameters."""
    import httpx

    spec = httpx.get(f"{base}/api/v1/openapi.json", timeout=30).json()
    leader = next(t for t in tokens if t["role"] == "leader")["token"]
    found = []
    for path, operations in spec.get("paths", {}).items():
        if not path.startswith("/api/v1/dashboards") or "get" not in operations:
            continue
        concrete = path.replace("{org_id}", "1").replace("{unit_id}", "1")
        if "{" in concrete:
            continue
        answer = httpx.get(f"{base}{concrete}", timeout=60,
                           headers={"Authorization": f"Bearer {leader}"})
        if answer.status_code == 200:
            found.append(concrete)
        else:
            log(f"dashboard {concrete} answered {answer.status_code}; left out of the load")
    return found


def drive(plan: dict[str, Any], instance: Path, label: str) -> dict[str, Any]:
    plan_file, result_file = instance / f"plan-{label}.json", instance / f"result-{label}.json"
    plan_file.write_text(json.dumps(plan))
    log(f"driving {label}: {[p['name'] for p in plan['phases']]}")
    subprocess.run([sys.executable, str(HERE / "load.py"), str(plan_file), str(result_file)],
                   check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(result_file.read_text())
    for phase in result["phases"]:
        phase["summary"] = summarise(phase)
    return result


def summarise(phase: dict[str, Any]) -> dict[str, Any]:
    """Per endpoint: requests, requests/s, p50/p95/p99 ms, statuses."""
    table = {}
    for label, latencies in phase["latencies"].items():
        ordered = sorted(latencies)
        table[label] = {
            "requests": len(ordered), "per_second": len(ordered) / phase["seconds"],
            "p50": percentile(ordered, 50), "p95": percentile(ordered, 95),
            "p99": percentile(ordered, 99), "statuses": phase["statuses"].get(label, {}),
        }
    total = sum(len(v) for v in phase["latencies"].values())
    return {"endpoints": table, "requests": total, "per_second": total / phase["seconds"],
            "errors": len(phase["errors"]), "conflicts": phase["conflicts"],
            "transitions": len(phase["transitions"])}


def percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(pct) - 1]


def checks(rt: Runtime, env: dict[str, str], baseline: int, mixed: dict[str, Any]
           ) -> dict[str, Any]:
    """The ledger verifies; no accepted transition was lost or applied twice."""
    started = time.perf_counter()
    verify = subprocess.run([str(BIN / "sandan"), "ledger", "verify"], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    result: dict[str, Any] = {
        "ledger_verify_exit": verify.returncode,
        "ledger_verify_output": (verify.stdout + verify.stderr).strip().splitlines()[-3:],
        "ledger_verify_seconds": time.perf_counter() - started,
    }
    result.update(reconcile(rt, baseline, mixed["transitions"]))
    started = time.perf_counter()
    with rt.engine.connect() as connection:  # the dashboard's roll-ups drifted nowhere
        differences = rollups.differences(connection)
    result["rollup_differences"] = len(differences)
    result["rollup_differences_first"] = differences[:5]
    result["rollup_check_seconds"] = time.perf_counter() - started
    return result


def reconcile(rt: Runtime, baseline: int, answered: list[list[Any]]) -> dict[str, Any]:
    """Compare the driver's 200 answers with the ledger entries after `baseline` (the newest
    entry when the mixed load began) and with the versions of the items touched."""
    hashes = [row[3] for row in answered]
    with psycopg.connect(_plain(rt)) as conn:
        written = conn.execute(
            "SELECT item_id, trigger, hash FROM ledger_entries WHERE id > %s "
            "AND action = 'transition'", [baseline]).fetchall()
        touched = sorted({row[0] for row in answered} | {row[0] for row in written})
        versions = conn.execute(
            "SELECT i.id, i.version, (SELECT count(*) FROM ledger_entries l WHERE "
            "l.item_id = i.id AND l.action = 'transition') FROM items i WHERE i.id = ANY(%s)",
            [touched]).fetchall()
    in_ledger = {row[2]: (row[0], row[1]) for row in written}
    lost = [h for h in hashes if h not in in_ledger]
    unanswered = [h for h in in_ledger if h not in set(hashes)]
    mismatched = [r for r in answered if in_ledger.get(r[3]) not in (None, (r[0], r[1]))]
    per_item: dict[int, list[int]] = {}
    for item_id, _trigger, version, _hash in answered:
        per_item.setdefault(item_id, []).append(version)
    duplicated = [i for i, v in per_item.items() if len(v) != len(set(v))]
    bad_versions = [row[0] for row in versions if row[1] != 1 + row[2]]
    return {"answered_200": len(answered), "ledger_transitions_during_run": len(written),
            "lost": len(lost), "duplicated_hashes": len(hashes) - len(set(hashes)),
            "duplicated_versions": len(duplicated), "applied_but_unanswered": len(unanswered),
            "answer_ledger_mismatch": len(mismatched), "items_touched": len(touched),
            "items_version_mismatch": len(bad_versions),
            "ok": not (lost or unanswered or mismatched or duplicated or bad_versions
                       or len(hashes) != len(set(hashes)))}


def print_report(report: dict[str, Any]) -> None:
    from bench.report import render

    print(render(report))


if __name__ == "__main__":
    main()
