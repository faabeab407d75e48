"""Stage 3, continued: the parts beside the state graph — fields, traffic lights, escalation."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from workflow.definitions.model import Definition, EscalationStep, FieldDef, Light
from workflow.definitions.problems import DocPath, Problem, duplicate_names, unknown, words
from workflow.definitions.vocabulary import ESCALATION_ACTIONS, FIELD_TYPES, RECIPIENTS

_NUMERIC = ("integer", "decimal")
_TEXTUAL = ("string", "text", "url")
_STEP_TRIGGERS = ("after", "at_percent", "unanswered_for")


def part_problems(definition: Definition) -> Iterator[Problem]:
    """Problems in the fields, lights and escalation ladder of `definition`."""
    yield from _fields(definition.fields)
    yield from _lights(definition.lights)
    yield from _ladder(definition.escalation)


def _fields(fields: Sequence[FieldDef]) -> Iterator[Problem]:
    yield from duplicate_names([f.name for f in fields], "fields", "field")
    for index, field in enumerate(fields):
        base: DocPath = ("fields", index)
        if field.type not in FIELD_TYPES:
            yield Problem(base + ("type",), unknown("field type", field.type, FIELD_TYPES))
            continue
        yield from _choices(base, field)
        yield from _limits(base, field)


def _choices(base: DocPath, field: FieldDef) -> Iterator[Problem]:
    path = base + ("choices",)
    if field.type == "choice" and not field.choices:
        yield Problem(path, "a choice field needs a list of choices")
    elif field.type != "choice" and field.choices:
        yield Problem(path, f"only choice fields have choices (this field is {field.type})")
    seen: set[str] = set()
    for index, choice in enumerate(field.choices):
        if choice in seen:
            yield Problem(path, f"duplicate choice '{choice}'", at=path + (index,))
        seen.add(choice)


def _limits(base: DocPath, field: FieldDef) -> Iterator[Problem]:
    for key, value in (("min", field.minimum), ("max", field.maximum)):
        if value is not None and field.type not in _NUMERIC:
            message = f"only integer and decimal fields have {key} (this field is {field.type})"
            yield Problem(base + (key,), message)
    low, high = field.minimum, field.maximum
    if field.type in _NUMERIC and low is not None and high is not None and low > high:
        yield Problem(base + ("min",), f"min {low} is greater than max {high}")
    if field.max_length is not None and field.type not in _TEXTUAL:
        message = f"only string, text and url fields have max_length (this field is {field.type})"
        yield Problem(base + ("max_length",), message)


def _lights(lights: Sequence[Light]) -> Iterator[Problem]:
    yield from duplicate_names([light.name for light in lights], "lights", "light")
    for index, light in enumerate(lights):
        if light.overdue and light.within is not None:
            message = "a light shows either within a time or when overdue, not both"
            yield Problem(("lights", index), message)
    yield from _only_one(lights, lambda light: light.overdue, "the overdue light")
    yield from _only_one(
        lights,
        lambda light: not light.overdue and light.within is None,
        "the default light (neither within nor overdue)",
    )


def _only_one(
    lights: Sequence[Light], is_it: Callable[[Light], bool], role: str
) -> Iterator[Problem]:
    first: int | None = None
    for index, light in enumerate(lights):
        if not is_it(light):
            continue
        if first is None:
            first = index
        else:
            yield Problem(("lights", index), f"only one light can be {role}; lights[{first}] is")


def _ladder(steps: Sequence[EscalationStep]) -> Iterator[Problem]:
    for index, step in enumerate(steps):
        base: DocPath = ("escalation", index)
        if step.level != index + 1:
            yield Problem(
                base + ("level",),
                f"expected level {index + 1} here (levels run 1, 2, 3, … in order), "
                f"got {step.level}",
            )
        if step.action not in ESCALATION_ACTIONS:
            yield Problem(base + ("action",), unknown("action", step.action, ESCALATION_ACTIONS))
        yield from _step_trigger(base, step)
        yield from _notify(base, step)


def _step_trigger(base: DocPath, step: EscalationStep) -> Iterator[Problem]:
    given = [key for key in _STEP_TRIGGERS if getattr(step, key) is not None]
    if len(given) != 1:
        found = " and ".join(given) if given else "none"
        yield Problem(
            base, f"give exactly one of after, at_percent or unanswered_for (found {found})"
        )
    percent = step.at_percent
    if percent is not None and not 1 <= percent <= 1000:
        yield Problem(base + ("at_percent",), f"must be between 1 and 1000, got {percent}")


def _notify(base: DocPath, step: EscalationStep) -> Iterator[Problem]:
    path = base + ("notify",)
    if not step.notify:
        yield Problem(path, "give at least one recipient: " + ", ".join(RECIPIENTS))
    yield from words(path, step.notify, "recipient", RECIPIENTS)
