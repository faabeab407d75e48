"""`sandan import list` and `sandan export …` as an operator runs them, on each backend."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from tests.conftest import World
from tests.workflow.excel_helpers import fill_template, sheet_rows
from tests.workflow.helpers import issue_task
from web.cli import cli
from workflow.config import Settings
from workflow.excel.list_template import list_template
from workflow.models import Item


def _run(settings: Settings, *args: str) -> Result:
    env = {
        "SANDAN_DATABASE_URL": settings.database_url,
        "SANDAN_INSTANCE_PATH": str(settings.instance_path),
        "SANDAN_LEDGER_KEY_FILE": str(settings.ledger_key_file),
        "SANDAN_CHECKPOINT_PATH": str(settings.checkpoint_path),
        "SANDAN_EVIDENCE_PATH": str(settings.evidence_path),
    }
    return CliRunner().invoke(cli, list(args), env=env)


def _count(world: World) -> int:
    with world.rt.read() as session:
        return int(session.scalar(select(func.count()).select_from(Item)) or 0)


def _file(world: World, tmp_path: Path, *, due: object) -> Path:
    rows = [{"事项名称": "学习贯彻全会精神", "承办单位": "甲公司党支部", "截止日期": due,
             "任务类别": "党建", "任务内容": "组织专题学习"},
            {"事项名称": "党费收缴", "承办单位": "乙公司党支部", "截止日期": due,
             "任务类别": "党建", "任务内容": "按月收缴"}]
    path = tmp_path / "清单.xlsx"
    path.write_bytes(fill_template(list_template(world.rt, world.person("issuer"), "task"), rows))
    return path


def test_import_dry_run_then_issue_once(world: World, settings: Settings, tmp_path: Path) -> None:
    path = _file(world, tmp_path, due=date.today() + timedelta(days=60))
    dry = _run(settings, "import", "list", str(path), "--as", "issuer", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "2 item(s) would be issued" in dry.output and _count(world) == 0
    done = _run(settings, "import", "list", str(path), "--as", "issuer")
    assert done.exit_code == 0, done.output
    assert "with 2 item(s)" in done.output and _count(world) == 2
    again = _run(settings, "import", "list", str(path), "--as", "issuer")
    assert again.exit_code == 0 and "already issued" in again.output and _count(world) == 2


def test_import_with_problems_prints_each_and_exits_1(world: World, settings: Settings,
                                                      tmp_path: Path) -> None:
    path = _file(world, tmp_path, due="明年")
    result = _run(settings, "import", "list", str(path), "--as", "issuer")
    assert result.exit_code == 1
    assert "第2行 C列 截止日期：“明年”不是日期" in result.output
    assert "第3行 C列 截止日期" in result.output
    assert "2 problem(s), nothing issued" in result.output and "Traceback" not in result.output
    assert _count(world) == 0
    not_xlsx = tmp_path / "list.csv"
    not_xlsx.write_text("a,b\n")
    result = _run(settings, "import", "list", str(not_xlsx), "--as", "issuer")
    assert result.exit_code == 1 and "not an Excel workbook" in result.output
    result = _run(settings, "import", "list", str(path), "--as", "handler_a")
    assert result.exit_code == 1 and "you cannot issue" in result.output


def test_exports_write_workbooks_scoped_by_as(world: World, settings: Settings,
                                             tmp_path: Path) -> None:
    a = issue_task(world, title="甲支部任务")
    issue_task(world, to=world.branch_b, title="乙支部任务")
    out = tmp_path / "ledger.xlsx"
    result = _run(settings, "export", "ledger", "--out", str(out), "--as", "handler_a")
    assert result.exit_code == 0, result.output
    assert "1 row(s) written" in result.output
    assert [r[1] for r in sheet_rows(out.read_bytes(), "台账")[1:]] == [a]
    result = _run(settings, "export", "items", "--out", str(out), "--kind", "task", "--open")
    assert result.exit_code == 0 and "2 row(s) written" in result.output
    result = _run(settings, "export", "register", "--out", str(out))
    assert result.exit_code == 0 and "0 row(s)" in result.output
    result = _run(settings, "export", "items", "--out", str(out), "--unit", "nowhere")
    assert result.exit_code == 1 and result.output.startswith("error: no unit 'nowhere'")
    result = _run(settings, "export", "rankings", "--out", str(out), "--checklist", "x",
                  "--period", "2026Q1", "--org", str(world.committee))
    assert result.exit_code == 1 and "error:" in result.output
