"""Stage 3: what a well-shaped definition means — names resolve, the graph works, words are known.

Each check is a generator of problems over the model built by the schema, so one run reports
everything. Paths are list positions in the document (`transitions[2].to`), which the loader
turns into lines; `at` points the line at the offending list item where that is more precise.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterator, Sequence

from workflow.definitions.model import Definition
from workflow.definitions.part_checks import part_problems
from workflow.definitions.problems import DocPath, Problem, duplicate_names, unknown, words
from workflow.definitions.vocabulary import CLOCKS, CONDITIONS, EFFECTS, INPUTS, ROLES

#: effects that act on an input, and so need that input required
EFFECT_INPUTS = {"extend_deadline": "due", "reassign": "assignee", "update_fields": "fields"}

#: names the transitions library gives meaning to on models
_RESERVED_PREFIXES = ("to_", "may_", "is_")
_RESERVED_TRIGGERS = {"trigger"}


def check_definition(definition: Definition) -> list[Problem]:
    """Every meaning problem in `definition`, in the order of the checks."""
    checks: tuple[Callable[[Definition], Iterator[Problem]], ...] = (
        _states,
        _initial,
        _transition_ends,
        _trigger_names,
        _transition_words,
        _duplicate_triggers,
        _separation_of_duties,
        _reachable,
        _ways_out,
        part_problems,
    )
    return [problem for check in checks for problem in check(definition)]


def _states(definition: Definition) -> Iterator[Problem]:
    if not definition.states:
        yield Problem(("states",), "a definition needs at least one state")
    yield from duplicate_names([s.name for s in definition.states], "states", "state")
    for index, state in enumerate(definition.states):
        path: DocPath = ("states", index, "clock")
        if state.clock not in CLOCKS:
            yield Problem(path, unknown("clock", state.clock, CLOCKS))
        elif state.final and state.clock != "none":
            yield Problem(path, f"final state '{state.name}' cannot run a clock; write 'none'")


def _initial(definition: Definition) -> Iterator[Problem]:
    names = [s.name for s in definition.states]
    if definition.states and definition.initial not in names:
        yield Problem(("initial",), unknown("state", definition.initial, names))


def _transition_ends(definition: Definition) -> Iterator[Problem]:
    names = [s.name for s in definition.states]
    finals = {s.name for s in definition.states if s.final}
    for index, t in enumerate(definition.transitions):
        base: DocPath = ("transitions", index)
        for position, source in enumerate(t.sources):
            at = base + ("from", position)
            if source not in names:
                yield Problem(base + ("from",), unknown("state", source, names), at=at)
            elif source in finals:
                message = f"final state '{source}' cannot have outgoing transitions"
                yield Problem(base + ("from",), message, at=at)
        if t.dest not in names:
            yield Problem(base + ("to",), unknown("state", t.dest, names))


def _trigger_names(definition: Definition) -> Iterator[Problem]:
    for index, t in enumerate(definition.transitions):
        path: DocPath = ("transitions", index, "trigger")
        if keyword.iskeyword(t.trigger):
            yield Problem(path, f"'{t.trigger}' is a Python keyword; choose another trigger name")
        elif t.trigger in _RESERVED_TRIGGERS or t.trigger.startswith(_RESERVED_PREFIXES):
            yield Problem(
                path,
                f"'{t.trigger}' is reserved by the transitions library (no 'trigger', and no "
                "name starting with to_, may_ or is_); choose another trigger name",
            )


def _transition_words(definition: Definition) -> Iterator[Problem]:
    for index, t in enumerate(definition.transitions):
        base: DocPath = ("transitions", index)
        if not t.roles:
            yield Problem(base + ("roles",), "give at least one role: " + ", ".join(ROLES))
        yield from words(base + ("roles",), t.roles, "role", ROLES)
        yield from words(base + ("requires",), t.requires, "input", INPUTS)
        yield from words(base + ("optional",), t.optional, "input", INPUTS)
        yield from words(base + ("conditions",), t.conditions, "condition", CONDITIONS)
        yield from words(base + ("effects",), t.effects, "effect", EFFECTS)
        yield from _inputs_agree(base, t.requires, t.optional, t.effects)


def _inputs_agree(
    base: DocPath, requires: Sequence[str], optional: Sequence[str], effects: Sequence[str]
) -> Iterator[Problem]:
    for index, name in enumerate(optional):
        if name in requires:
            message = f"'{name}' is already in requires; list an input in one place only"
            yield Problem(base + ("optional",), message, at=base + ("optional", index))
    for index, effect in enumerate(effects):
        needed = EFFECT_INPUTS.get(effect)
        if needed and needed not in requires:
            message = f"effect '{effect}' needs '{needed}' in requires"
            yield Problem(base + ("effects",), message, at=base + ("effects", index))


def _duplicate_triggers(definition: Definition) -> Iterator[Problem]:
    first: dict[tuple[str, str], int] = {}
    for index, t in enumerate(definition.transitions):
        for source in t.sources:
            earlier = first.setdefault((t.trigger, source), index)
            if earlier != index:
                yield Problem(
                    ("transitions", index),
                    f"trigger '{t.trigger}' from state '{source}' is already defined by "
                    f"transitions[{earlier}]",
                )


def _separation_of_duties(definition: Definition) -> Iterator[Problem]:
    triggers = list(dict.fromkeys(t.trigger for t in definition.transitions))
    for index, t in enumerate(definition.transitions):
        path: DocPath = ("transitions", index, "separation_of_duties")
        yield from words(path, t.separation_of_duties, "trigger", triggers)


def _reachable(definition: Definition) -> Iterator[Problem]:
    names = {s.name for s in definition.states}
    if definition.initial not in names:
        return
    reached = {definition.initial}
    frontier = [definition.initial]
    while frontier:
        current = frontier.pop()
        for t in definition.transitions_from(current):
            if t.dest in names and t.dest not in reached:
                reached.add(t.dest)
                frontier.append(t.dest)
    for index, state in enumerate(definition.states):
        if state.name not in reached:
            yield Problem(
                ("states", index),
                f"state '{state.name}' cannot be reached from the initial state "
                f"'{definition.initial}'",
            )


def _ways_out(definition: Definition) -> Iterator[Problem]:
    sources = {source for t in definition.transitions for source in t.sources}
    for index, state in enumerate(definition.states):
        if not state.final and state.name not in sources:
            yield Problem(
                ("states", index),
                f"non-final state '{state.name}' has no way out (add a transition from it, "
                "or mark it final: true)",
            )
