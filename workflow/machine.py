"""Compile a definition into one shared `transitions` machine and fire triggers through it.

One `Machine(model=None, auto_transitions=False)` per (kind, version), never one per item: items
are plain rows, and firing hands the machine a small object holding the row's state. Conditions
and effects are not given to `transitions` (it would resolve names to callables); the engine checks
them itself before firing, from its own vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transitions import Machine, MachineError
from transitions.extensions import GraphMachine

from workflow.definitions.model import Definition
from workflow.errors import InvalidTransition


@dataclass
class _Token:
    """What the machine moves: just a state."""

    state: str


def compile_machine(definition: Definition) -> Machine:
    """Build the shared machine for one definition version."""
    return Machine(
        model=None,
        states=[s.name for s in definition.states],
        transitions=_transition_specs(definition),
        initial=definition.initial,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )


def fire(machine: Machine, state: str, trigger: str) -> str:
    """Run `trigger` from `state` through the machine and return the state it lands in."""
    token = _Token(state)
    event = machine.events.get(trigger)
    if event is None:
        raise InvalidTransition(f"unknown trigger '{trigger}'", trigger=trigger)
    try:
        event.trigger(token)
    except MachineError as exc:
        raise InvalidTransition(f"'{trigger}' cannot be fired from state '{state}'") from exc
    return token.state


def diagram(definition: Definition, highlight: str | None = None, lang: str = "zh") -> str:
    """The state diagram as mermaid text, from the library's own renderer.

    `highlight` marks a state (an item's current one) the way the library marks the active state.
    """
    token = _Token(highlight or definition.initial)
    graph_machine = GraphMachine(
        model=token,
        states=[{"name": s.name} for s in definition.states],
        transitions=_transition_specs(definition, lang),
        initial=definition.initial,
        auto_transitions=False,
        graph_engine="mermaid",
        title=f"{definition.label.get(lang)} v{definition.version}",
        show_state_attributes=False,
    )
    if highlight:
        graph_machine.set_state(highlight, token)
    graph = token.get_graph(force_new=True)  # type: ignore[attr-defined]
    text: str = graph.draw(None)
    return _label_states(text, definition, lang)


def _transition_specs(definition: Definition, lang: str | None = None) -> list[dict[str, Any]]:
    specs = []
    for t in definition.transitions:
        spec: dict[str, Any] = {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest}
        if lang:
            spec["label"] = t.label.get(lang)
        specs.append(spec)
    return specs


def _label_states(text: str, definition: Definition, lang: str) -> str:
    """Show each state's label instead of its code name (`state "已交办" as assigned`)."""
    for state in definition.states:
        label = state.label.get(lang).replace('"', "'")
        text = text.replace(f'state "{state.name}" as {state.name}',
                            f'state "{label}" as {state.name}')
    return text
