"""The state machine of a score: draft → submitted → reviewed → locked.

Written in the list definitions' own format and run by their own pieces (the staged loader, a
shared `transitions` machine, `machine.fire`), so it is validated and drawn like any definition.
It is the engine's, not configuration, so it lives here rather than in `definitions/`.
"""

from __future__ import annotations

import functools

from transitions import Machine

from workflow.definitions.loader import load_definition_text
from workflow.definitions.model import Definition, TransitionDef
from workflow.errors import InvalidInput, InvalidTransition
from workflow.machine import compile_machine, diagram, fire

SOURCE = "workflow/assessments/machine.py"

SCORE_MACHINE = """\
kind: assessment_score
version: 1
label: {zh: 考核评分, en: Assessment score}
initial: draft
states:
  - {name: draft, label: {zh: 评分中, en: Draft}, clock: none}
  - {name: submitted, label: {zh: 待复核, en: Submitted}, clock: none}
  - {name: reviewed, label: {zh: 已复核, en: Reviewed}, clock: none}
  - {name: locked, label: {zh: 已锁定, en: Locked}, final: true}
transitions:
  # who may submit is narrowed further by the checklist's scored_by
  - trigger: submit
    from: draft
    to: submitted
    roles: [inspector, handler]
    label: {zh: 提交评分, en: Submit}
    optional: [comment]
  - trigger: send_back
    from: [submitted, reviewed]
    to: draft
    roles: [issuer]
    label: {zh: 退回重评, en: Send back}
    requires: [reason]
  - trigger: review
    from: submitted
    to: reviewed
    roles: [issuer]
    label: {zh: 复核, en: Review}
    optional: [comment]
    separation_of_duties: [submit]
  - trigger: lock
    from: reviewed
    to: locked
    roles: [issuer]
    label: {zh: 锁定, en: Lock}
    optional: [comment]
"""


@functools.cache
def score_definition() -> Definition:
    return load_definition_text(SCORE_MACHINE, SOURCE)


@functools.cache
def _machine() -> Machine:
    return compile_machine(score_definition())


def step(state: str, trigger: str, reason: str | None) -> tuple[TransitionDef, str]:
    """The transition `trigger` takes from `state`, and where it lands.

    Raises InvalidTransition (naming the allowed triggers) or InvalidInput (a reason is needed).
    """
    definition = score_definition()
    found = definition.transition(state, trigger)
    if found is None:
        allowed = [t.trigger for t in definition.transitions_from(state)]
        label = definition.state(state).label.zh
        hint = ", ".join(allowed) or "none: a locked score changes only by a correction"
        raise InvalidTransition(f"'{trigger}' is not allowed on a score in state '{state}' "
                                f"({label}); allowed: {hint}", state=state, allowed=allowed)
    if "reason" in found.requires and not (reason or "").strip():
        raise InvalidInput(f"'{trigger}' needs a reason", fields={"reason": ["required"]})
    return found, fire(_machine(), state, trigger)


def score_diagram(lang: str = "zh") -> str:
    """The mermaid state diagram of a score."""
    return diagram(score_definition(), lang=lang)
