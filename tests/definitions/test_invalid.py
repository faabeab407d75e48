"""Every invalid definition in `invalid/` is refused with exactly the message pinned here.

One file per kind of problem, each a small valid definition with one thing wrong (its first line
says what). A file's `kind` is its file name, as the loader requires, so only the fault shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.definitions.loader import load_definition, load_directory
from workflow.errors import DefinitionError

INVALID = Path(__file__).parent / "invalid"

# file:line: path: message, relative to invalid/
EXPECTED = [
    (
        "bad_colour.yaml:25: lights[0].color: 'green' is not a colour: write it as "
        "'#rrggbb' ('#2e7d32')"
    ),
    (
        "bad_duration.yaml:23: deadlines.due: '30 days' is not a duration: write ISO "
        "8601 such as 'P3D', 'PT12H', 'P1M', or working days such as 'P5WD'"
    ),
    (
        "bad_name.yaml:10: states[1].name: 'In_Progress' is not a valid name: use "
        "lower-case letters, digits and underscores, starting with a letter"
    ),
    "choices_missing.yaml:6: fields[0].choices: a choice field needs a list of choices",
    (
        "choices_on_text.yaml:6: fields[0].choices: only choice fields have choices "
        "(this field is text)"
    ),
    (
        "dead_end_state.yaml:12: states[3]: non-final state 'waiting' has no way out "
        "(add a transition from it, or mark it final: true)"
    ),
    "duplicate_field.yaml:7: fields[1].name: duplicate field 'note' (already at fields[0])",
    "duplicate_key.yaml:4: duplicate key 'version' (first on line 3)",
    "duplicate_light.yaml:27: lights[2].name: duplicate light 'green' (already at lights[0])",
    "duplicate_state.yaml:12: states[3].name: duplicate state 'assigned' (already at states[0])",
    (
        "duplicate_trigger.yaml:23: transitions[2]: trigger 'close' from state "
        "'in_progress' is already defined by transitions[1]"
    ),
    (
        "effect_without_input.yaml:19: transitions[0].effects: effect 'extend_deadline' "
        "needs 'due' in requires"
    ),
    (
        "empty_file.yaml:1: expected a mapping with kind, version, label, initial, "
        "states and transitions, got nothing"
    ),
    "empty_label.yaml:17: transitions[0].label.zh: must not be empty",
    (
        "empty_notify.yaml:28: escalation[0].notify: give at least one recipient: "
        "handler, primary_responsible, direct_responsible, unit_head, inspector, issuer, "
        "leader"
    ),
    (
        "empty_roles.yaml:21: transitions[1].roles: give at least one role: issuer, "
        "inspector, handler, leader, admin"
    ),
    (
        "escalation_level_gap.yaml:29: escalation[1].level: expected level 2 here "
        "(levels run 1, 2, 3, … in order), got 3"
    ),
    (
        "escalation_no_trigger.yaml:28: escalation[0]: give exactly one of after, "
        "at_percent or unanswered_for (found none)"
    ),
    "escalation_percent.yaml:28: escalation[0].at_percent: must be between 1 and 1000, got 0",
    (
        "escalation_two_triggers.yaml:28: escalation[0]: give exactly one of after, "
        "at_percent or unanswered_for (found after and at_percent)"
    ),
    "final_clock.yaml:11: states[2].clock: final state 'closed' cannot run a clock; write 'none'",
    (
        "final_with_exit.yaml:23: transitions[2].from: final state 'closed' cannot have "
        "outgoing transitions"
    ),
    (
        "input_twice.yaml:19: transitions[0].optional: 'comment' is already in requires; "
        "list an input in one place only"
    ),
    (
        "keyword_trigger.yaml:18: transitions[1].trigger: 'pass' is a Python keyword; "
        "choose another trigger name"
    ),
    (
        "kind_mismatch.yaml:2: kind: 'tasks' does not match the file name "
        "'kind_mismatch.yaml'; a definition's file is named after its kind"
    ),
    (
        "label_not_mapping.yaml:4: label: expected a label such as {zh: 已签收, en: "
        "Received}, got the text '测试清单'"
    ),
    (
        "light_within_and_overdue.yaml:26: lights[1]: a light shows either within a time "
        "or when overdue, not both"
    ),
    "min_above_max.yaml:7: fields[1].min: min 10 is greater than max 5",
    (
        "min_on_text.yaml:6: fields[0].min: only integer and decimal fields have min "
        "(this field is text)"
    ),
    "missing_label_en.yaml:10: states[1].label.en: required key is missing",
    "missing_required.yaml:18: transitions[1].roles: required key is missing",
    "missing_top_level.yaml:1: states: required key is missing",
    "not_a_list.yaml:16: transitions[0].roles: expected a list, got the text 'handler'",
    (
        "not_a_mapping.yaml:1: expected a mapping with kind, version, label, initial, "
        "states and transitions, got a list"
    ),
    "null_required.yaml:7: initial: needs a value",
    (
        "python_tag.yaml:3: invalid YAML: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'"
    ),
    (
        "reserved_trigger.yaml:18: transitions[1].trigger: 'to_closed' is reserved by "
        "the transitions library (no 'trigger', and no name starting with to_, may_ or "
        "is_); choose another trigger name"
    ),
    (
        "two_default_lights.yaml:26: lights[1]: only one light can be the default light "
        "(neither within nor overdue); lights[0] is"
    ),
    "two_overdue_lights.yaml:27: lights[2]: only one light can be the overdue light; lights[1] is",
    "unknown_action.yaml:28: escalation[0].action: unknown action 'remnd' (did you mean 'remind'?)",
    "unknown_clock.yaml:10: states[1].clock: unknown clock 'dew' (did you mean 'due'?)",
    (
        "unknown_condition.yaml:23: transitions[1].conditions: unknown condition "
        "'all_done' (expected one of all_children_closed, linked_rectifications_closed, "
        "has_evidence)"
    ),
    (
        "unknown_effect.yaml:23: transitions[1].effects: unknown effect 'send_email' "
        "(expected one of spawn_rectification, extend_deadline, reassign, pin_approval, "
        "update_fields)"
    ),
    "unknown_field_type.yaml:6: fields[0].type: unknown field type 'txt' (did you mean 'text'?)",
    "unknown_initial.yaml:7: initial: unknown state 'asigned' (did you mean 'assigned'?)",
    (
        "unknown_input.yaml:18: transitions[0].requires: unknown input 'evidance' (did "
        "you mean 'evidence'?)"
    ),
    "unknown_key.yaml:5: unknown key 'desciption' (did you mean 'description'?)",
    (
        "unknown_nested_key.yaml:23: transitions[1]: unknown key 'signiture' (did you "
        "mean 'signature'?)"
    ),
    (
        "unknown_recipient.yaml:28: escalation[0].notify: unknown recipient 'hander' "
        "(did you mean 'handler'?)"
    ),
    (
        "unknown_role.yaml:21: transitions[1].roles: unknown role 'inspecter' (did you "
        "mean 'inspector'?)"
    ),
    (
        "unknown_sod_trigger.yaml:23: transitions[1].separation_of_duties: unknown "
        "trigger 'strat' (did you mean 'start'?)"
    ),
    (
        "unknown_source_state.yaml:14: transitions[0].from: unknown state 'asigned' (did "
        "you mean 'assigned'?)"
    ),
    (
        "unknown_target_state.yaml:23: transitions[2].to: unknown state 'closd' (did you "
        "mean 'closed'?)"
    ),
    (
        "unreachable_state.yaml:12: states[3]: state 'archived' cannot be reached from "
        "the initial state 'assigned'"
    ),
    "version_zero.yaml:3: version: must be 1 or more, got 0",
    "wrong_type.yaml:3: version: expected a whole number, got the text '1'",
    (
        "yaml_syntax.yaml:22: invalid YAML: expected ',' or ']', but got ':' (while "
        "parsing a flow sequence started on line 21)"
    ),
]


def _file(line: str) -> str:
    return line.split(":", 1)[0]


@pytest.mark.parametrize("expected", EXPECTED, ids=_file)
def test_each_invalid_file_is_refused_with_its_message(expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(INVALID / _file(expected))
    assert caught.value.problems == [f"{INVALID}/{expected}"]


def test_the_table_covers_every_fixture_and_nothing_else() -> None:
    files = sorted(path.name for path in INVALID.glob("*.yaml"))
    assert sorted(_file(line) for line in EXPECTED) == files


def test_the_corpus_is_refused_whole_and_every_problem_is_reported() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_directory(INVALID)
    assert sorted(caught.value.problems) == sorted(f"{INVALID}/{line}" for line in EXPECTED)
