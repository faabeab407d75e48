"""Definitions as frozen objects: built once by the loader, read by everything else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflow.durations import Duration


@dataclass(frozen=True)
class Label:
    """A text in Chinese and English; Chinese is the default language."""

    zh: str
    en: str

    def get(self, lang: str = "zh") -> str:
        return self.en if lang.startswith("en") else self.zh

    def to_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class FieldDef:
    """One field of an item's payload."""

    name: str
    type: str
    label: Label
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class StateDef:
    """One state; `clock` says which deadline runs while an item is in it."""

    name: str
    label: Label
    final: bool = False
    clock: str = "due"


@dataclass(frozen=True)
class TransitionDef:
    """One trigger from one or more states to one state, and everything firing it needs."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: tuple[str, ...]
    label: Label
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    #: the actor must not be the one who last fired any of these triggers on the item
    separation_of_duties: tuple[str, ...] = ()
    #: the meaning of an electronic signature (e.g. "approved"); None when none is asked for
    signature: str | None = None
    #: firing it counts as the handler's response to escalation (stops the "unanswered" clock)
    response: bool = False

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.requires + self.optional


@dataclass(frozen=True)
class Light:
    """A traffic light: shown when the due date is within `within` (or passed, if `overdue`)."""

    name: str
    label: Label
    color: str
    within: Duration | None = None
    overdue: bool = False


@dataclass(frozen=True)
class DeadlineDef:
    """Default allowed time, reminders before due, and the inspectors' review time limit."""

    due: Duration | None = None
    remind_before: tuple[Duration, ...] = ()
    review_within: Duration | None = None
    start_lead: Duration | None = None


@dataclass(frozen=True)
class EscalationStep:
    """One rung of the accountability ladder. Exactly one of the three triggers is set."""

    level: int
    action: str
    label: Label
    notify: tuple[str, ...]
    after: Duration | None = None
    at_percent: int | None = None
    unanswered_for: Duration | None = None
    register: bool = False
    urgent: bool = False


@dataclass(frozen=True)
class Recurrence:
    """A responsibility item that recurs generates an item of `generates` every `every`."""

    every: Duration
    generates: str
    due_within: Duration


@dataclass(frozen=True)
class Definition:
    """One version of one list kind."""

    kind: str
    version: int
    label: Label
    initial: str
    states: tuple[StateDef, ...]
    transitions: tuple[TransitionDef, ...]
    fields: tuple[FieldDef, ...] = ()
    description: Label | None = None
    deadlines: DeadlineDef = field(default_factory=DeadlineDef)
    lights: tuple[Light, ...] = ()
    escalation: tuple[EscalationStep, ...] = ()
    recurrence: Recurrence | None = None
    source: str = ""
    source_hash: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def state(self, name: str) -> StateDef:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)

    def is_final(self, state: str) -> bool:
        return self.state(state).final

    def transitions_from(self, state: str) -> tuple[TransitionDef, ...]:
        return tuple(t for t in self.transitions if state in t.sources)

    def transition(self, state: str, trigger: str) -> TransitionDef | None:
        for candidate in self.transitions:
            if candidate.trigger == trigger and state in candidate.sources:
                return candidate
        return None

    def field_def(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)
