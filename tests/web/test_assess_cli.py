"""`sandan assess …` in-process: the whole cycle from a shell, with the engine's refusals."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from tests.conftest import PASSWORD, World
from tests.workflow.supervision.conftest import MINI
from web.cli import cli
from workflow.config import PROJECT_ROOT, Settings


def _runner(settings: Settings, tmp_path: Path) -> Callable[..., Result]:
    definitions = tmp_path / "cli-definitions"
    shutil.copytree(PROJECT_ROOT / "definitions", definitions)
    (definitions / "assessments" / "mini.yaml").write_text(MINI, encoding="utf-8")
    env = {"SANDAN_DATABASE_URL": settings.database_url,
           "SANDAN_INSTANCE_PATH": str(settings.instance_path),
           "SANDAN_DEFINITIONS_PATH": str(definitions)}

    def run(*args: object, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["assess", *map(str, args)], env=env, input=input)

    return run


def test_the_cycle_from_the_command_line(world: World, settings: Settings,
                                         tmp_path: Path) -> None:
    run = _runner(settings, tmp_path)
    drawn = run("spot-check", "--as", "issuer", "--org", world.committee, "--period", "2026-03",
                "--size", 1, "--seed", 11)
    assert drawn.exit_code == 0, drawn.output
    assert "with seed 11" in drawn.output
    redraw = run("redraw", "1", "--as", "leader")
    assert redraw.exit_code == 0, redraw.output
    assert redraw.output.splitlines()[-1] == "reproduced: the same sample"

    started = run("start", "--as", "issuer", "--checklist", "mini", "--period", "2026Q1",
                  "--org", world.committee)
    assert started.exit_code == 0, started.output
    score_a = int(re.findall(r"\d+", started.output.split("scores")[1])[0])
    minutes = tmp_path / "会议记录.pdf"
    minutes.write_bytes(b"%PDF minutes")
    for criterion, points, extra in (("meetings", 40, ["--file", minutes]),
                                     ("integrity", 45, []), ("sales", 80, [])):
        scored = run("score", score_a, "--as", "inspector", "--criterion", criterion,
                     "--points", points, *extra)
        assert scored.exit_code == 0, scored.output
    for step, who in (("submit", "inspector"), ("review", "issuer")):
        moved = run(step, score_a, "--as", who)
        assert moved.exit_code == 0, moved.output
    unsigned = run("lock", score_a, "--as", "issuer", input="wrong-password-1\n")
    assert unsigned.exit_code == 1 and "Traceback" not in unsigned.output
    moved = run("lock", score_a, "--as", "issuer", input=f"{PASSWORD}\n")
    assert moved.exit_code == 0, moved.output
    assert "reviewed → locked, total 83.00" in moved.output

    refused = run("score", score_a, "--as", "inspector", "--criterion", "meetings",
                  "--points", 50)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"error: score {score_a} (2026Q1) is locked and is never "
                                     "changed; record a correction")
    assert "Traceback" not in refused.output

    corrected = run("correct", score_a, "--as", "issuer", "--criterion", "meetings",
                    "--points", 50, "--reason", "复核更正")
    assert corrected.exit_code == 0, corrected.output
    assert corrected.output.strip() == f"score {score_a}: correction 1, total 83.00 → 89.00"

    ranked = run("rank", "--as", "leader", "--checklist", "mini", "--period", "2026Q1",
                 "--org", world.committee)
    assert ranked.exit_code == 0, ranked.output
    lines = ranked.output.splitlines()
    assert re.match(r"\s+1\s+甲公司党支部\s+89\.00\s+★★★★\s+ranked", lines[1])
    assert re.match(r"\s+-\s+乙公司党支部\s+0\s+pending", lines[2])

    proposed = run("propose", "--as", "issuer", "--checklist", "mini", "--period", "2026Q1",
                   "--org", world.committee)
    assert proposed.exit_code == 0, proposed.output
    assert "proposal 1: commendation (commend) — 甲公司党支部" in proposed.output
    decided = run("decide", 1, "--as", "issuer", "--confirm", input=f"{PASSWORD}\n")
    assert decided.output.strip().splitlines()[-1] == "proposal 1: confirmed — 甲公司党支部"

    shown = run("show", score_a, "--as", "handler_a")
    assert shown.exit_code == 0, shown.output
    assert "total 89.00" in shown.output and "correction 1: meetings" in shown.output
