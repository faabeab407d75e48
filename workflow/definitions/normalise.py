"""The normalised form of a definition: every key present, defaults filled, plain JSON values.

It is what `definitions show --format json` prints and what `Definition.raw` keeps. It uses the
YAML's own keys (`from`, `to`, `min`, `max`), so it loads back into the same definition.
"""

from __future__ import annotations

from typing import Any

from workflow.definitions.model import (
    DeadlineDef,
    Definition,
    EscalationStep,
    FieldDef,
    Label,
    Light,
    Recurrence,
    StateDef,
    TransitionDef,
)
from workflow.durations import Duration


def to_normalised(definition: Definition) -> dict[str, Any]:
    """A JSON-serialisable dict of `definition` with nothing left implicit."""
    return {
        "kind": definition.kind,
        "version": definition.version,
        "label": definition.label.to_dict(),
        "description": _label(definition.description),
        "fields": [_field(f) for f in definition.fields],
        "initial": definition.initial,
        "states": [_state(s) for s in definition.states],
        "transitions": [_transition(t) for t in definition.transitions],
        "deadlines": _deadlines(definition.deadlines),
        "lights": [_light(light) for light in definition.lights],
        "escalation": [_step(step) for step in definition.escalation],
        "recurrence": _recurrence(definition.recurrence),
    }


def _label(label: Label | None) -> dict[str, str] | None:
    return label.to_dict() if label else None


def _text(duration: Duration | None) -> str | None:
    return duration.text if duration else None


def _field(field: FieldDef) -> dict[str, Any]:
    return {
        "name": field.name,
        "type": field.type,
        "label": field.label.to_dict(),
        "required": field.required,
        "choices": list(field.choices),
        "min": field.minimum,
        "max": field.maximum,
        "max_length": field.max_length,
    }


def _state(state: StateDef) -> dict[str, Any]:
    return {
        "name": state.name,
        "label": state.label.to_dict(),
        "final": state.final,
        "clock": state.clock,
    }


def _transition(t: TransitionDef) -> dict[str, Any]:
    return {
        "trigger": t.trigger,
        "from": list(t.sources),
        "to": t.dest,
        "roles": list(t.roles),
        "label": t.label.to_dict(),
        "requires": list(t.requires),
        "optional": list(t.optional),
        "conditions": list(t.conditions),
        "effects": list(t.effects),
        "separation_of_duties": list(t.separation_of_duties),
        "signature": t.signature,
        "response": t.response,
    }


def _deadlines(deadlines: DeadlineDef) -> dict[str, Any]:
    return {
        "due": _text(deadlines.due),
        "remind_before": [d.text for d in deadlines.remind_before],
        "review_within": _text(deadlines.review_within),
        "start_lead": _text(deadlines.start_lead),
    }


def _light(light: Light) -> dict[str, Any]:
    return {
        "name": light.name,
        "label": light.label.to_dict(),
        "color": light.color,
        "within": _text(light.within),
        "overdue": light.overdue,
    }


def _step(step: EscalationStep) -> dict[str, Any]:
    return {
        "level": step.level,
        "action": step.action,
        "label": step.label.to_dict(),
        "notify": list(step.notify),
        "after": _text(step.after),
        "at_percent": step.at_percent,
        "unanswered_for": _text(step.unanswered_for),
        "register": step.register,
        "urgent": step.urgent,
    }


def _recurrence(recurrence: Recurrence | None) -> dict[str, Any] | None:
    if recurrence is None:
        return None
    return {
        "every": recurrence.every.text,
        "generates": recurrence.generates,
        "due_within": recurrence.due_within.text,
    }
