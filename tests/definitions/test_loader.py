"""The loader: every problem at once with its line, whole refusal, the normalised form, safety."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest
import yaml

from tests.definitions.samples import SHIPPED, copy_shipped, minimal, readme_example
from workflow.definitions.loader import (
    load_definition,
    load_definition_text,
    load_directory,
    load_paths,
    to_normalised,
)
from workflow.errors import DefinitionError
from workflow.machine import compile_machine, fire


def problems_of(text: str, source: str = "s.yaml") -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_definition_text(text, source)
    return caught.value.problems


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the only line containing `fragment`."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    assert len(lines) == 1, (fragment, lines)
    return lines[0]


# --- every problem, with its line --------------------------------------------------------------


def test_every_meaning_problem_is_reported_in_file_order() -> None:
    text = minimal().replace("roles: [issuer]", "roles: [issuer, inspecter]")
    text = text.replace("to: closed", "to: closd")
    assert problems_of(text) == [
        "s.yaml:7: states[1]: state 'closed' cannot be reached from the initial state 'assigned'",
        "s.yaml:11: transitions[0].to: unknown state 'closd' (did you mean 'closed'?)",
        "s.yaml:12: transitions[0].roles: unknown role 'inspecter' (did you mean 'inspector'?)",
    ]


def test_every_shape_problem_is_reported_together() -> None:
    text = minimal().replace("version: 1", "version: one").replace("en: Close}", "en: ''}")
    text += "colour: red\n"
    assert problems_of(text) == [
        "s.yaml:2: version: expected a whole number, got the text 'one'",
        "s.yaml:13: transitions[0].label.en: must not be empty",
        "s.yaml:14: unknown key 'colour' (expected one of kind, version, label, description, "
        "fields, initial, states, transitions, deadlines, lights, escalation, recurrence)",
    ]


def test_a_duplicate_key_is_reported_with_the_shape_problems() -> None:
    text = minimal().replace("initial: assigned\n", "initial: assigned\ninitial: closed\n")
    text = text.replace("roles: [issuer]", "roles: issuer")
    assert problems_of(text) == [
        "s.yaml:5: duplicate key 'initial' (first on line 4)",
        "s.yaml:13: transitions[0].roles: expected a list, got the text 'issuer'",
    ]


def test_a_problem_in_a_block_list_points_at_its_item() -> None:
    text = minimal().replace("roles: [issuer]", "roles:\n      - issuer\n      - inspecter")
    assert problems_of(text) == [
        f"s.yaml:{line_of(text, '- inspecter')}: transitions[0].roles: unknown role 'inspecter' "
        "(did you mean 'inspector'?)"
    ]


def test_a_missing_key_takes_the_line_of_its_mapping() -> None:
    text = minimal().replace("    label: {zh: 销号, en: Close}\n", "")
    assert problems_of(text) == ["s.yaml:9: transitions[0].label: required key is missing"]


def test_problems_name_the_source_as_given() -> None:
    assert problems_of(minimal().replace("initial: assigned", "initial: x"), "a/b.yaml") == [
        "a/b.yaml:4: initial: unknown state 'x' (expected one of assigned, closed)"
    ]


# --- what a loaded definition carries ----------------------------------------------------------


def test_text_is_loaded_with_its_source_hash_and_normalised_form() -> None:
    text = minimal()
    definition = load_definition_text(text, "inline")
    assert definition.source == "inline"
    assert definition.source_hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert definition.raw == to_normalised(definition)
    assert definition.transitions[0].sources == ("assigned",)


def test_a_file_is_hashed_as_its_bytes() -> None:
    path = SHIPPED / "task.yaml"
    definition = load_definition(path)
    assert definition.source == str(path)
    assert definition.source_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_normalised_form_has_every_key_with_defaults_filled() -> None:
    normalised = to_normalised(load_definition_text(minimal(), "inline"))
    assert normalised == {
        "kind": "sample",
        "version": 1,
        "label": {"zh": "样例清单", "en": "Sample list"},
        "description": None,
        "fields": [],
        "initial": "assigned",
        "states": [
            {"name": "assigned", "label": {"zh": "已交办", "en": "Assigned"}, "final": False,
             "clock": "due"},
            {"name": "closed", "label": {"zh": "已销号", "en": "Closed"}, "final": True,
             "clock": "none"},
        ],
        "transitions": [
            {"trigger": "close", "from": ["assigned"], "to": "closed", "roles": ["issuer"],
             "label": {"zh": "销号", "en": "Close"}, "requires": [], "optional": [],
             "conditions": [], "effects": [], "separation_of_duties": [], "signature": None,
             "response": False},
        ],
        "deadlines": {"due": None, "remind_before": [], "review_within": None, "start_lead": None},
        "lights": [],
        "escalation": [],
        "recurrence": None,
    }  # fmt: skip


def test_the_normalised_form_keeps_durations_as_written_and_is_json() -> None:
    task = load_definition(SHIPPED / "task.yaml")
    normalised = json.loads(json.dumps(to_normalised(task), ensure_ascii=False))
    assert normalised["deadlines"]["review_within"] == "P5WD"
    assert normalised["deadlines"]["remind_before"] == ["P5D", "P1D"]
    assert normalised["escalation"][3]["at_percent"] == 150
    assert normalised["fields"][4]["min"] == 0


@pytest.mark.parametrize("kind", ["task", "responsibility", "rectification"])
def test_the_normalised_form_loads_back_into_the_same_definition(kind: str) -> None:
    original = load_definition(SHIPPED / f"{kind}.yaml")
    text = yaml.safe_dump(to_normalised(original), allow_unicode=True, sort_keys=False)
    again = load_definition_text(text, original.source)
    assert dataclasses.replace(again, source_hash=original.source_hash) == original


def test_an_empty_optional_key_counts_as_absent() -> None:
    text = minimal().replace("initial:", "description:\nlights:\ninitial:")
    definition = load_definition_text(text, "inline")
    assert definition.description is None and definition.lights == ()


def test_anchors_and_aliases_are_plain_yaml() -> None:
    text = minimal().replace("label: {zh: 销号", "label: &close {zh: 销号")
    text += "  - {trigger: finish, from: assigned, to: closed, roles: [issuer], label: *close}\n"
    definition = load_definition_text(text, "inline")
    assert definition.transitions[1].label == definition.transitions[0].label


# --- safety ------------------------------------------------------------------------------------


def test_a_python_tag_is_refused_and_never_run(tmp_path: Path) -> None:
    target = tmp_path / "created-by-yaml"
    text = minimal().replace("version: 1", f"version: !!python/object/apply:os.mkdir ['{target}']")
    assert problems_of(text) == [
        "s.yaml:2: invalid YAML: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.mkdir'"
    ]
    assert not target.exists()


def test_aliases_that_multiply_are_refused_before_they_expand() -> None:
    text = minimal() + "bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]\n"
    for n in range(1, 7):
        text += f"bomb{n}: &b{n} [" + ", ".join([f"*b{n - 1}"] * 10) + "]\n"
    assert problems_of(text) == [
        "s.yaml:1: the document expands to more than 100000 values (aliases within aliases)"
    ]


def test_nesting_too_deep_is_a_problem_not_a_crash() -> None:
    assert problems_of("[" * 5000 + "]" * 5000) == ["s.yaml:1: invalid YAML: nested too deeply"]


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sample.yaml"
    path.write_bytes(minimal().encode("utf-8").replace("样例".encode(), "样例".encode("gbk")))
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert caught.value.problems == [f"{path}:3: not UTF-8 text"]


# --- directories and sets ----------------------------------------------------------------------


def test_one_bad_file_refuses_the_whole_directory(tmp_path: Path) -> None:
    copy_shipped(tmp_path)
    (tmp_path / "sample.yaml").write_text(minimal().replace("[issuer]", "[nobody]"), "utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_directory(tmp_path)
    assert caught.value.problems == [
        f"{tmp_path}/sample.yaml:12: transitions[0].roles: unknown role 'nobody' "
        "(expected one of issuer, inspector, handler, leader, admin)"
    ]


def test_problems_of_several_files_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(minimal("one").replace("version: 1", "version: 0"), "utf-8")
    (tmp_path / "two.yaml").write_text(minimal("three"), "utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_directory(tmp_path)
    assert caught.value.problems == [
        f"{tmp_path}/one.yaml:2: version: must be 1 or more, got 0",
        f"{tmp_path}/two.yaml:1: kind: 'three' does not match the file name 'two.yaml'; "
        "a definition's file is named after its kind",
    ]


def test_only_yaml_files_directly_in_the_directory_are_read(tmp_path: Path) -> None:
    copy_shipped(tmp_path)
    (tmp_path / "assessments").mkdir()
    (tmp_path / "assessments" / "quarterly.yaml").write_text("criteria: [not, a, list]\n")
    (tmp_path / "notes.txt").write_text("not yaml: [")
    assert sorted(d.kind for d in load_directory(tmp_path)) == [
        "rectification",
        "responsibility",
        "task",
    ]


def test_a_fourth_kind_needs_only_its_yaml(tmp_path: Path) -> None:
    copy_shipped(tmp_path)
    (tmp_path / "meeting.yaml").write_text(readme_example(), encoding="utf-8")
    by_kind = {d.kind: d for d in load_directory(tmp_path)}
    assert sorted(by_kind) == ["meeting", "rectification", "responsibility", "task"]
    meeting = by_kind["meeting"]
    machine = compile_machine(meeting)
    state = meeting.initial
    for trigger in ("record", "check", "send_back", "record", "check", "close"):
        state = fire(machine, state, trigger)
    assert state == "closed"


def test_recurrence_must_generate_a_kind_in_the_set(tmp_path: Path) -> None:
    text = (SHIPPED / "responsibility.yaml").read_text(encoding="utf-8")
    (tmp_path / "responsibility.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_directory(tmp_path)
    line = line_of(text, "generates: task")
    assert caught.value.problems == [
        f"{tmp_path}/responsibility.yaml:{line}: recurrence.generates: unknown kind 'task' "
        "(expected one of responsibility)"
    ]


def test_spawning_rectification_needs_the_rectification_kind(tmp_path: Path) -> None:
    text = (SHIPPED / "task.yaml").read_text(encoding="utf-8")
    (tmp_path / "task.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_directory(tmp_path)
    index = [t.trigger for t in load_definition(SHIPPED / "task.yaml").transitions].index(
        "fail_review"
    )
    assert caught.value.problems == [
        f"{tmp_path}/task.yaml:{line_of(text, '[spawn_rectification]')}: "
        f"transitions[{index}].effects: effect 'spawn_rectification' needs a definition of "
        "kind 'rectification' loaded with it"
    ]


def test_a_single_file_may_refer_to_kinds_beside_it() -> None:
    loaded = load_paths([SHIPPED / "responsibility.yaml", SHIPPED / "task.yaml"])
    assert [d.kind for d in loaded] == ["responsibility", "task"]


def test_a_kind_defined_twice_in_one_set_is_refused(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "sample.yaml").write_text(minimal(), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_paths([tmp_path / "a", tmp_path / "b" / "sample.yaml"])
    assert caught.value.problems == [
        f"{tmp_path}/b/sample.yaml:1: kind: kind 'sample' is already defined in "
        f"{tmp_path}/a/sample.yaml"
    ]


def test_missing_paths_are_reported_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_paths([tmp_path / "nowhere.yaml", SHIPPED])
    assert caught.value.problems == [f"{tmp_path}/nowhere.yaml: no such file or directory"]
    with pytest.raises(DefinitionError) as caught:
        load_directory(SHIPPED / "task.yaml")
    assert caught.value.problems == [f"{SHIPPED}/task.yaml: not a directory"]
