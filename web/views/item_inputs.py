"""A transition form's fields turned into the engine's inputs, and the engine's complaints
turned back into messages next to those fields.

The form asks exactly the inputs the definition declares for the trigger (TransitionDef.inputs);
names are the engine's (`comment`, `reason`, `due`, `score`, `verdict`, `assignee`, `evidence`),
item fields of a `fields` input are `fields.<name>`. Empty fields are left out, so the engine
reports a missing required input by its own rules.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from web.forms import GENERAL, field_errors
from workflow.definitions.model import Definition, FieldDef, TransitionDef
from workflow.errors import NotAllowed, SandanError

TEXT_INPUTS = ("comment", "reason", "score", "verdict")


def read_inputs(form: MultiDict[str, str], step: TransitionDef, definition: Definition,
                tz: ZoneInfo) -> dict[str, Any]:
    """The inputs of `step` found in the submitted form."""
    inputs: dict[str, Any] = {}
    for name in step.inputs:
        if name in TEXT_INPUTS and (value := form.get(name, "").strip()):
            inputs[name] = value
        elif name == "due" and (value := form.get("due", "").strip()):
            inputs["due"] = _end_of_day(value, tz)
        elif name == "assignee" and (value := form.get("assignee", "").strip()):
            inputs["assignee"] = int(value) if value.isdigit() else value
        elif name == "evidence" and (hashes := form.getlist("evidence")):
            inputs["evidence"] = hashes
        elif name == "fields" and (values := _fields(form, definition)):
            inputs["fields"] = values
    return inputs


def _end_of_day(text: str, tz: ZoneInfo) -> str:
    """A date picked on the page means the end of that day where the users are."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text  # the engine names what is wrong with it
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz).isoformat()


def _fields(form: MultiDict[str, str], definition: Definition) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in definition.fields:
        raw = form.get(f"fields.{spec.name}", "").strip()
        if raw:
            values[spec.name] = _typed(spec, raw)
    return values


def _typed(spec: FieldDef, raw: str) -> Any:
    if spec.type == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if spec.type == "boolean":
        return raw in ("1", "yes", "true", "on")
    return raw


def input_errors(error: SandanError, step: TransitionDef,
                 definition: Definition) -> dict[str, list[str]]:
    """Messages by form field name (item fields as `fields.<name>`), general ones under "_"."""
    found = field_errors(error)
    if isinstance(error, NotAllowed) and "signature password" in error.message:
        return {"password": [_("The password is wrong; nothing was signed.")]}
    names = {spec.name for spec in definition.fields} if "fields" in step.inputs else set()
    shown = set(step.inputs) | {"password"}
    placed: dict[str, list[str]] = {}
    for key, messages in found.items():
        name = f"fields.{key}" if key in names else key
        if name in shown or name.startswith("fields.") or name == GENERAL:
            placed.setdefault(name, []).extend(messages)
        else:  # a complaint about something the form does not show goes on top
            placed.setdefault(GENERAL, []).extend(f"{key}: {m}" for m in messages)
    return placed
