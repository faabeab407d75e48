"""`sandan definitions check|show`, invoked in-process with click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.definitions.samples import SHIPPED, copy_shipped, minimal
from web.commands.definitions import definitions

SUMMARIES = [
    f"{kind} v1: {counts} ({SHIPPED / kind}.yaml)"
    for kind, counts in [
        ("rectification", "7 states, 11 transitions, 4 escalation levels"),
        ("responsibility", "5 states, 8 transitions, 4 escalation levels"),
        ("task", "10 states, 15 transitions, 4 escalation levels"),
    ]
]


def run(*args: str, directory: Path = SHIPPED, env: dict[str, str] | None = None) -> Result:
    environment = {"SANDAN_DEFINITIONS_PATH": str(directory), **(env or {})}
    return CliRunner().invoke(definitions, list(args), env=environment)


def lines(text: str) -> list[str]:
    return text.splitlines()


# --- check -------------------------------------------------------------------------------------


CHECKLISTS = [
    f"checklist {name} v1: {counts} ({SHIPPED / 'assessments' / name}.yaml)"
    for name, counts in [
        ("branch_work", "quarterly, 16 criteria (2 veto), 6 deduction rules"),
        ("group_points", "monthly, 6 criteria (1 veto), 0 deduction rules"),
        ("party_business", "quarterly, 8 criteria (2 veto), 3 deduction rules"),
    ]
]


def test_check_summarises_the_configured_directory() -> None:
    result = run("check")
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == SUMMARIES + CHECKLISTS
    assert result.stderr == ""


def test_check_reads_the_paths_it_is_given() -> None:
    result = run("check", str(SHIPPED / "task.yaml"), directory=Path("/nonexistent"))
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == SUMMARIES[2:]


def test_check_names_file_and_line_of_a_transition_to_an_unknown_state(tmp_path: Path) -> None:
    path = tmp_path / "sample.yaml"
    path.write_text(minimal().replace("to: closed", "to: closd"), encoding="utf-8")
    result = run("check", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert lines(result.stderr) == [
        f"{path}:7: states[1]: state 'closed' cannot be reached from the initial state 'assigned'",
        f"{path}:11: transitions[0].to: unknown state 'closd' (did you mean 'closed'?)",
    ]


def test_check_refuses_the_whole_set_when_one_file_is_bad(tmp_path: Path) -> None:
    copy_shipped(tmp_path)
    (tmp_path / "sample.yaml").write_text(minimal().replace("version: 1", "version: 0"), "utf-8")
    result = run("check", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert lines(result.stderr) == [f"{tmp_path}/sample.yaml:2: version: must be 1 or more, got 0"]


@pytest.mark.parametrize("name", ["missing.yaml", "missing-directory"])
def test_check_of_a_missing_path_is_one_line_and_exit_1(tmp_path: Path, name: str) -> None:
    result = run("check", str(tmp_path / name))
    assert result.exit_code == 1
    assert lines(result.stderr) == [f"{tmp_path / name}: no such file or directory"]
    assert "Traceback" not in result.output


def test_check_of_a_directory_without_definitions_fails(tmp_path: Path) -> None:
    result = run("check", str(tmp_path))
    assert result.exit_code == 1
    assert lines(result.stderr) == [
        "error: no definitions found (a directory is searched for *.yaml files)"
    ]


def test_a_bad_setting_is_one_line_not_a_traceback() -> None:
    result = run("check", env={"SANDAN_DEFINITONS_PATH": "typo"})
    assert result.exit_code == 1
    assert len(lines(result.stderr)) == 1
    assert result.stderr.startswith("error: unknown setting(s): SANDAN_DEFINITONS_PATH")


# --- show --------------------------------------------------------------------------------------


def test_show_draws_the_state_diagram_with_chinese_labels() -> None:
    result = run("show", "task")
    assert result.exit_code == 0, result.output
    assert "stateDiagram-v2" in result.stdout
    assert 'state "已签收" as received' in result.stdout
    assert "issued --> received: 签收" in result.stdout


def test_show_draws_english_labels_on_request() -> None:
    result = run("show", "rectification", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert 'state "Awaiting verification" as submitted' in result.stdout
    assert "submitted --> verified: Verify" in result.stdout
    assert "已" not in result.stdout.split("stateDiagram-v2", 1)[1]


def test_show_prints_the_normalised_definition_as_json() -> None:
    result = run("show", "responsibility", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "责任清单" in result.stdout  # not escaped as \\u...
    shown = json.loads(result.stdout)
    assert shown["kind"] == "responsibility"
    assert shown["recurrence"] == {"every": "P1M", "generates": "task", "due_within": "P20D"}
    retire = next(t for t in shown["transitions"] if t["trigger"] == "retire")
    assert retire["from"] == ["active", "suspended", "returned"]
    assert shown["states"][0]["clock"] == "due"


def test_show_of_an_unknown_kind_lists_the_known_ones() -> None:
    result = run("show", "meeting")
    assert result.exit_code == 1
    assert lines(result.stderr) == [
        "error: unknown kind 'meeting'; known kinds: rectification, responsibility, task"
    ]


def test_show_refuses_when_the_directory_has_a_problem(tmp_path: Path) -> None:
    copy_shipped(tmp_path)
    (tmp_path / "task.yaml").write_text("kind: task\nversion: [\n", encoding="utf-8")
    result = run("show", "rectification", directory=tmp_path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert lines(result.stderr) == [
        f"{tmp_path}/task.yaml:3: invalid YAML: expected the node content, but found "
        "'<stream end>' (while parsing a flow node)"
    ]
