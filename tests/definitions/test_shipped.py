"""The three shipped definitions load, compile, fire every transition and model the practice."""

from __future__ import annotations

import re

import pytest

from workflow.config import PROJECT_ROOT
from workflow.definitions.loader import load_definition, load_directory
from workflow.definitions.model import Definition, Label
from workflow.durations import Duration
from workflow.machine import compile_machine, fire

SHIPPED = PROJECT_ROOT / "definitions"
KINDS = ["rectification", "responsibility", "task"]
LADDER = ["remind", "urge", "admonish", "criticise"]
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def shipped() -> dict[str, Definition]:
    return {d.kind: d for d in load_directory(SHIPPED)}


def test_the_directory_holds_the_three_lists(shipped: dict[str, Definition]) -> None:
    assert sorted(shipped) == KINDS
    assert {d.version for d in shipped.values()} == {1}


@pytest.mark.parametrize("kind", KINDS)
def test_each_file_loads_alone_as_in_the_set(shipped: dict[str, Definition], kind: str) -> None:
    alone = load_definition(SHIPPED / f"{kind}.yaml")
    assert alone == shipped[kind]
    assert alone.source_hash == shipped[kind].source_hash


@pytest.mark.parametrize("kind", KINDS)
def test_every_transition_fires_from_each_source(shipped: dict[str, Definition], kind: str) -> None:
    definition = shipped[kind]
    machine = compile_machine(definition)
    for t in definition.transitions:
        for source in t.sources:
            assert fire(machine, source, t.trigger) == t.dest, (t.trigger, source)


@pytest.mark.parametrize("kind", KINDS)
def test_labels_are_chinese_and_english_the_right_way_round(
    shipped: dict[str, Definition], kind: str
) -> None:
    for label in _labels(shipped[kind]):
        assert _CHINESE.search(label.zh), label
        assert label.en.isascii(), label


@pytest.mark.parametrize("kind", KINDS)
def test_the_ladder_is_the_accountability_ladder(shipped: dict[str, Definition], kind: str) -> None:
    ladder = shipped[kind].escalation
    assert [step.action for step in ladder] == LADDER
    assert [step.label.zh for step in ladder] == ["提醒", "催办", "约谈", "通报批评"]
    assert all(step.register for step in ladder[2:]), "admonishment and criticism are registered"


@pytest.mark.parametrize("kind", KINDS)
def test_final_states_stop_the_clock_and_reviews_run_the_review_clock(
    shipped: dict[str, Definition], kind: str
) -> None:
    definition = shipped[kind]
    assert {s.clock for s in definition.states if s.final} == {"none"}
    for state in ("submitted", "returned", "extension_requested"):
        if any(s.name == state for s in definition.states):
            assert definition.state(state).clock == "review", state


def test_a_task_goes_from_issue_to_close_through_review(shipped: dict[str, Definition]) -> None:
    task = shipped["task"]
    machine = compile_machine(task)
    state = task.initial
    for trigger in ("sign_for", "start", "report_progress", "submit", "approve", "close"):
        state = fire(machine, state, trigger)
    assert state == "closed" and task.is_final(state)


def test_a_failed_review_opens_rectification_and_waits_for_it(
    shipped: dict[str, Definition],
) -> None:
    task = shipped["task"]
    failed = task.transition("submitted", "fail_review")
    assert failed is not None and failed.effects == ("spawn_rectification",)
    resubmit = task.transition("rectifying", "resubmit")
    assert resubmit is not None and resubmit.conditions == ("linked_rectifications_closed",)
    assert resubmit.requires == ("evidence",)


def test_approval_and_closing_are_signed_by_someone_other_than_the_submitter(
    shipped: dict[str, Definition],
) -> None:
    task = shipped["task"]
    approve = task.transition("submitted", "approve")
    close = task.transition("approved", "close")
    assert approve is not None and close is not None
    assert (approve.signature, close.signature) == ("approved", "closed")
    assert approve.separation_of_duties == close.separation_of_duties == ("submit", "resubmit")
    assert approve.roles == ("inspector",) and close.roles == ("issuer",)
    assert "pin_approval" in approve.effects and "all_children_closed" in close.conditions


@pytest.mark.parametrize("kind", ["task", "rectification"])
def test_an_extension_is_requested_with_a_date_and_granted_by_the_issuer(
    shipped: dict[str, Definition], kind: str
) -> None:
    definition = shipped[kind]
    request = next(t for t in definition.transitions if t.trigger == "request_extension")
    approve = definition.transition("extension_requested", "approve_extension")
    refuse = definition.transition("extension_requested", "refuse_extension")
    assert set(request.requires) == {"reason", "due"} and request.roles == ("handler",)
    assert approve is not None and approve.effects == ("extend_deadline",)
    assert refuse is not None and refuse.requires == ("reason",)
    assert approve.dest == refuse.dest == request.sources[0]


def test_a_wrongly_assigned_task_is_returned_then_reassigned_or_withdrawn(
    shipped: dict[str, Definition],
) -> None:
    task = shipped["task"]
    returned = task.transition("issued", "return_to_issuer")
    assert returned is not None and returned.requires == ("reason",)
    assert {t.trigger for t in task.transitions_from("returned")} == {"reassign", "withdraw"}
    assert task.is_final("withdrawn")


def test_lights_are_data_rectification_uses_its_own_colours(
    shipped: dict[str, Definition],
) -> None:
    task_lights = [(light.name, light.color) for light in shipped["task"].lights]
    rect_lights = [(light.name, light.color) for light in shipped["rectification"].lights]
    assert [name for name, _ in task_lights] == ["green", "yellow", "red"]
    assert [name for name, _ in rect_lights] == ["blue", "yellow", "red"]
    assert shipped["rectification"].lights[0].label.zh == "蓝灯"


def test_rectification_climbs_its_ladder_faster_than_a_task(
    shipped: dict[str, Definition],
) -> None:
    task, rect = shipped["task"].escalation, shipped["rectification"].escalation
    assert _seconds(rect[1].after) < _seconds(task[1].after)
    assert _seconds(rect[2].unanswered_for) < _seconds(task[2].unanswered_for)
    assert (rect[3].at_percent or 0) < (task[3].at_percent or 0)
    assert shipped["rectification"].deadlines.due != shipped["task"].deadlines.due


def test_rectification_fields_name_where_the_problem_was_found(
    shipped: dict[str, Definition],
) -> None:
    source = shipped["rectification"].field_def("source")
    problem = shipped["rectification"].field_def("problem")
    assert source is not None and source.choices == ("月抽查", "季度考核", "巡察反馈", "上级交办")
    assert problem is not None and problem.required and problem.type == "text"


def test_a_responsibility_recurs_monthly_as_tasks(shipped: dict[str, Definition]) -> None:
    responsibility = shipped["responsibility"]
    recurrence = responsibility.recurrence
    assert recurrence is not None
    assert (recurrence.every.text, recurrence.generates, recurrence.due_within.text) == (
        "P1M",
        "task",
        "P20D",
    )
    assert {f.name for f in responsibility.fields} >= {"duty", "post", "frequency"}


def test_a_responsibility_is_reported_on_suspended_resumed_and_retired(
    shipped: dict[str, Definition],
) -> None:
    duty = shipped["responsibility"]
    report = duty.transition("active", "report_fulfilment")
    assert report is not None and report.dest == "active" and report.response
    assert report.requires == ("comment",) and report.optional == ("evidence",)
    machine = compile_machine(duty)
    state = duty.initial
    for trigger in ("acknowledge", "suspend", "resume", "retire"):
        state = fire(machine, state, trigger)
    assert state == "retired" and duty.is_final(state)
    for trigger in ("suspend", "resume", "retire"):
        assert all(t.roles == ("issuer",) for t in duty.transitions if t.trigger == trigger)


def _labels(definition: Definition) -> list[Label]:
    parts = [*definition.states, *definition.transitions, *definition.fields]
    parts += [*definition.lights, *definition.escalation]
    extra = [definition.label] + ([definition.description] if definition.description else [])
    return extra + [part.label for part in parts]


def _seconds(duration: Duration | None) -> float:
    assert duration is not None
    return duration.approx_seconds()
