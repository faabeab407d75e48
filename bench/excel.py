"""Excel in and out at the size one upload or one county's ledger reaches.

    .venv/bin/python bench/excel.py [--rows 2000] [--units 50] [--steps 3]

On a fresh SQLite database (real migrations and definitions, a committee over `--units`
branches) it times, as the committee's issuer:

  template   list_template("task"): the workbook with drop-downs of every unit
  check      check_workbook: read and check a filled-in template of `--rows` rows
  issue      issue_plan: issue the checked list in one transaction
  export     export_items and export_ledger over every item, after `--steps` transitions
             per item (so the ledger holds (1 + steps) entries per item)

and prints seconds, rows per second and the process's peak memory, then the machine. One run,
one machine: compare within a run only.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from bench.machine import describe_machine  # noqa: E402
from workflow.access import Scope  # noqa: E402
from workflow.clock import FixedClock  # noqa: E402
from workflow.config import Settings  # noqa: E402
from workflow.excel.items_export import export_items, export_ledger  # noqa: E402
from workflow.excel.list_import import check_workbook  # noqa: E402
from workflow.excel.list_template import list_template  # noqa: E402
from workflow.queries import ItemFilter  # noqa: E402
from workflow.runtime import Runtime  # noqa: E402
from workflow.schema import store_definitions, upgrade_database  # noqa: E402
from workflow.services import orgs  # noqa: E402
from workflow.services.items import fire_transition  # noqa: E402
from workflow.services.list_rows import issue_plan  # noqa: E402

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
STEPS = ("sign_for", "start", "report_progress")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--steps", type=int, default=3, choices=range(0, len(STEPS) + 1))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rt, issuer, handlers = _world(Path(tmp), args.units)
        template = _timed("template", 1, lambda: list_template(rt, issuer, "task"))
        data = _filled(template, args.rows, args.units)
        checked = _timed("check", args.rows,
                         lambda: check_workbook(rt, issuer, data, "bench.xlsx"))
        assert checked.plan is not None, [p.text() for p in checked.problems[:5]]
        plan = checked.plan
        issued = _timed("issue", args.rows, lambda: issue_plan(rt, issuer, plan))
        _walk(rt, issued.item_ids, handlers, args.steps)
        _timed("export items", args.rows,
               lambda: export_items(rt, issuer, ItemFilter(is_open=None)))
        ledger = _timed("export ledger", args.rows,
                        lambda: export_ledger(rt, issuer, ItemFilter(is_open=None)))
        print(f"ledger workbook: {len(ledger.data) / 1024:.0f} KiB for {ledger.rows} items and "
              f"{ledger.rows * (1 + args.steps)} entries")
        rt.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process: {peak:.0f} MiB")
    print(describe_machine())


def _world(root: Path, units: int) -> tuple[Runtime, Any, dict[int, Any]]:
    settings = Settings.from_env({}).with_(
        instance_path=root, database_url=f"sqlite:///{root}/bench.db", environment="test",
        ledger_key_file=root / "ledger.key", checkpoint_path=root / "checkpoints.jsonl",
        evidence_path=root / "evidence", secret_key="bench")
    rt = Runtime(settings, FixedClock(START))
    upgrade_database(rt)
    store_definitions(rt)
    system = Scope.system()
    committee = orgs.create_org(rt, system, name="县委", kind="committee")
    issuer = orgs.create_person(rt, system, username="issuer", display_name="组织部",
                                password="Bench2026pass", org_id=committee)
    orgs.grant_role(rt, system, person_id=issuer, org_id=committee, role="issuer")
    handlers = {}
    for n in range(units):
        unit = orgs.create_org(rt, system, name=f"第{n}支部", kind="branch", parent_id=committee)
        person = orgs.create_person(rt, system, username=f"h{n}", display_name=f"书记{n}",
                                    password="Bench2026pass", org_id=unit)
        orgs.grant_role(rt, system, person_id=person, org_id=unit, role="handler")
        handlers[unit] = orgs.load_person(rt, person)
    return rt, orgs.load_person(rt, issuer), handlers


def _filled(template: bytes, rows: int, units: int) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["条目"]
    due = (START + timedelta(days=30)).date()
    for n in range(rows):
        sheet.append([f"任务{n}", f"第{n % units}支部", due, f"h{n % units}", None, "党建",
                      "按期完成并形成记录"])
    book["清单信息"]["B2"] = "基准清单"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _walk(rt: Runtime, ids: tuple[int, ...], handlers: dict[int, Any], steps: int) -> None:
    from sqlalchemy import select

    from workflow.models import Item

    with rt.read() as session:
        rows = session.execute(select(Item.id, Item.assignee_org_id).where(Item.id.in_(ids)))
        owners = {row[0]: row[1] for row in rows}
    for item_id in ids:
        for version, trigger in enumerate(STEPS[:steps], start=1):
            inputs = {"comment": "进展顺利"} if trigger == "report_progress" else {}
            fire_transition(rt, handlers[owners[item_id]], item_id, trigger, inputs,
                            expected_version=version)


def _timed(name: str, rows: int, work: Callable[[], Any]) -> Any:
    began = time.perf_counter()
    result = work()
    took = time.perf_counter() - began
    print(f"{name:<14} {took:8.2f} s  {rows / took:10.0f} rows/s")
    return result


if __name__ == "__main__":
    main()
