"""Assessment checklists: the shipped ones load, and each kind of mistake is named by file:line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.workflow.supervision.conftest import MINI
from web.commands.definitions import definitions
from workflow.assessments.loader import checklist_directory, load_checklist, load_checklists
from workflow.config import PROJECT_ROOT
from workflow.errors import DefinitionError

SHIPPED = checklist_directory(PROJECT_ROOT / "definitions")


def test_the_three_shipped_checklists_load() -> None:
    by_name = {c.name: c for c in load_checklists([SHIPPED])}
    assert sorted(by_name) == ["branch_work", "group_points", "party_business"]
    branch = by_name["branch_work"]
    assert len(branch.criteria) == 16
    assert branch.sections[0].max_points == Decimal(100)
    assert {c.name for c in branch.criteria if c.veto} == {"ideology", "integrity"}
    business = by_name["party_business"]
    assert [(s.name, s.weight) for s in business.sections] == [
        ("party_building", Decimal("0.5")), ("business", Decimal("0.5"))]
    assert {c.name for c in business.sections[1].criteria} >= {"sales", "market_supervision",
                                                                 "safety"}
    points = by_name["group_points"]
    assert (points.subject, points.cycle, points.rollup.veto) == ("member", "monthly", "zero")
    assert [g.stars for g in points.grades] == [5, 4, 3, 2, 1]


def write(tmp_path: Path, text: str, name: str = "mini") -> Path:
    folder = tmp_path / "assessments"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_checklist(path)
    return [p.replace(f"{path}:", "") for p in caught.value.problems]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("cycle: quarterly", "cycle: quaterly",
         "4: cycle: unknown cycle 'quaterly' (did you mean 'quarterly'?)"),
        ("weight: 0.4", "weight: 0.5",
         "8: sections: the section weights add up to 1.1, not 1"),
        ("max_points: 50\n        evidence", "max_points: many\n        evidence",
         "15: sections[0].criteria[0].max_points: expected a number, got the text 'many'"),
        ("scored_by: [inspector]", "scored_by: [inspecter]",
         "7: scored_by: unknown role 'inspecter' (did you mean 'inspector'?)"),
        ("source: overdue_items", "source: late_items",
         "27: deductions[0].source: unknown source 'late_items' (did you mean 'overdue_items'?)"),
        ("section: party}\n  - {name: returned", "section: partyy}\n  - {name: returned",
         "28: deductions[0].section: unknown section 'partyy' (did you mean 'party'?)"),
        ("{name: fail, min: 0,", "{name: fail, min: 10,",
         "38: grades[2].min: the last grade needs min: 0, so every total has a grade"),
        ("veto_action: criticise", "veto_action: sack",
         "39: proposals.veto_action: unknown action 'sack' (expected one of admonish, "
         "criticise)"),
        ("        evidence: true\n", "        evidance: true\n",
         "16: sections[0].criteria[0]: unknown key 'evidance' (did you mean "
         "'evidence'?)"),
    ],
)
def test_each_mistake_is_named_with_its_line(tmp_path: Path, old: str, new: str,
                                             expected: str) -> None:
    assert old in MINI
    assert problems(write(tmp_path, MINI.replace(old, new, 1))) == [expected]


def test_quarter_weights_are_four_and_add_up_to_one(tmp_path: Path) -> None:
    text = MINI.replace("[0.1, 0.2, 0.3, 0.4]", "[0.1, 0.2, 0.3]")
    assert problems(write(tmp_path, text)) == [
        "41: yearly.quarter_weights: give 4 weights (Q1 to Q4), got 3",
        "41: yearly.quarter_weights: the quarter weights add up to 0.6, not 1",
    ]


def test_a_zero_point_criterion_must_be_a_veto(tmp_path: Path) -> None:
    text = MINI.replace("max_points: 100}", "max_points: 0}")
    assert problems(write(tmp_path, text)) == [
        "24: sections[1].criteria: the section's criteria add up to 0 points; give at least one "
        "criterion max_points",
        "25: sections[1].criteria[0].max_points: only a veto criterion may be worth 0 points",
    ]


def test_the_file_is_named_after_the_checklist(tmp_path: Path) -> None:
    assert problems(write(tmp_path, MINI, name="other")) == [
        "1: name: 'mini' does not match the file name 'other.yaml'; a checklist's file is "
        "named after it"]


def test_definitions_check_reports_checklist_problems_with_list_problems(tmp_path: Path) -> None:
    write(tmp_path, MINI.replace("cycle: quarterly", "cycle: weekly"))
    (tmp_path / "task.yaml").write_text("kind: task\n", encoding="utf-8")
    result = CliRunner().invoke(definitions, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path}/assessments/mini.yaml:4: cycle: unknown cycle 'weekly' (expected one " \
           "of monthly, quarterly, yearly)" in result.stderr.splitlines()
    assert any(line.startswith(f"{tmp_path}/task.yaml:") for line in result.stderr.splitlines())


def test_definitions_check_summarises_a_checklist_given_alone(tmp_path: Path) -> None:
    path = write(tmp_path, MINI)
    result = CliRunner().invoke(definitions, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"checklist mini v1: quarterly, 3 criteria (1 veto), 4 deduction rules ({path})"]
