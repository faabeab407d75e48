"""Validation of what callers send: item fields per definition, and transition inputs.

Schemas are marshmallow, built from the definition once per (kind, version[, trigger]) and cached.
Unknown keys are refused with a message naming what is accepted, so a client can never slip in a
server-owned value (state, version, actor) through an input.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from workflow.definitions.model import Definition, FieldDef, TransitionDef
from workflow.errors import InvalidInput

_SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="not a SHA-256 hash (64 lowercase hex digits)")


class AwareDateTime(fields.Field):
    """A date or date-time; a bare date means the end of that day (UTC when no offset is given)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, date):
            parsed = datetime.combine(value, time(23, 59, 59))
        elif isinstance(value, str):
            parsed = _parse_moment(value)
        else:
            raise ValidationError("expected an ISO 8601 date or date-time")
        # far-off years overflow when shifted to UTC; no deadline is that far away
        if not 1900 <= parsed.year <= 9000:
            raise ValidationError("the year must be between 1900 and 9000")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_moment(text: str) -> datetime:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(23, 59, 59))
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"'{text}' is not an ISO 8601 date or date-time") from None


def _field(spec: FieldDef, partial: bool) -> fields.Field:
    required = spec.required and not partial
    common: dict[str, Any] = {"required": required, "allow_none": not spec.required}
    if spec.type in ("string", "text", "url"):
        length = spec.max_length or (200 if spec.type == "string" else 5000)
        checks = [validate.Length(max=length)]
        if spec.required:
            checks.append(validate.Length(min=1, error="must not be empty"))
        cls = fields.Url if spec.type == "url" else fields.String
        return cls(validate=checks, **common)
    if spec.type in ("integer", "decimal"):
        rng = validate.Range(min=spec.minimum, max=spec.maximum)
        if spec.type == "integer":
            return fields.Integer(strict=True, validate=rng, **common)
        return fields.Decimal(as_string=True, validate=rng, **common)
    if spec.type == "boolean":
        return fields.Boolean(**common)
    if spec.type == "date":
        return fields.Date(**common)
    return fields.String(validate=validate.OneOf(spec.choices), **common)


_CACHE: dict[tuple[str, int, str, str], Schema] = {}


def _cached(definition: Definition, name: str, build: Any) -> Schema:
    key = (definition.kind, definition.version, definition.source_hash, name)
    schema = _CACHE.get(key)
    if schema is None:
        schema = _CACHE[key] = build()
    return schema


def fields_schema(definition: Definition, partial: bool = False) -> Schema:
    """The schema of an item's payload; `partial` for updates that change some fields only."""
    return _cached(definition, f"fields:{partial}", lambda: _build_fields(definition, partial))


def _build_fields(definition: Definition, partial: bool) -> Schema:
    declared = {spec.name: _field(spec, partial) for spec in definition.fields}
    return Schema.from_dict(declared, name=f"{definition.kind}_v{definition.version}_fields")(
        unknown=RAISE
    )


def _input_fields() -> dict[str, fields.Field]:
    return {
        "comment": fields.String(validate=validate.Length(min=1, max=5000)),
        "reason": fields.String(validate=validate.Length(min=1, max=5000)),
        "evidence": fields.List(fields.String(validate=_SHA256), validate=validate.Length(min=1)),
        "score": fields.Decimal(as_string=True, validate=validate.Range(min=-1000, max=1000)),
        "due": AwareDateTime(),
        "assignee": fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1)),
        "fields": fields.Dict(),
        "verdict": fields.String(
            validate=validate.OneOf(["compliant", "partly_compliant", "non_compliant"])
        ),
    }


def inputs_schema(definition: Definition, transition: TransitionDef) -> Schema:
    """The schema of one trigger's inputs: its required and optional inputs, nothing else."""
    key = f"{transition.trigger}:{','.join(transition.sources)}"
    return _cached(definition, key, lambda: _build_inputs(transition))


def _build_inputs(transition: TransitionDef) -> Schema:
    available = _input_fields()
    declared = {}
    for name in transition.inputs:
        field = available[name]
        field.required = name in transition.requires
        declared[name] = field
    return Schema.from_dict(declared, name=f"{transition.trigger}_inputs")(
        unknown=RAISE
    )


def load_inputs(definition: Definition, transition: TransitionDef, data: Any) -> dict[str, Any]:
    """Validate a transition's inputs; InvalidInput names each bad or missing input."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput("inputs must be an object")
    try:
        loaded: dict[str, Any] = inputs_schema(definition, transition).load(data)
    except ValidationError as exc:
        raise InvalidInput(_describe(exc, transition), fields=exc.messages) from None
    if "fields" in loaded:
        loaded["fields"] = load_fields(definition, loaded["fields"], partial=True)
    return loaded


def load_fields(definition: Definition, data: Any, *, partial: bool = False) -> dict[str, Any]:
    """Validate an item's payload against its definition."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput("fields must be an object")
    try:
        loaded: dict[str, Any] = fields_schema(definition, partial).load(data)
    except ValidationError as exc:
        raise InvalidInput(
            "invalid fields: " + _flatten(exc.messages), fields=exc.messages
        ) from None
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in loaded.items()}


def _describe(exc: ValidationError, transition: TransitionDef) -> str:
    text = _flatten(exc.messages)
    if "Unknown field" in text:
        accepted = ", ".join(transition.inputs) or "no inputs"
        text += f" ('{transition.trigger}' accepts: {accepted})"
    return f"invalid inputs for '{transition.trigger}': {text}"


def _flatten(messages: Any, prefix: str = "") -> str:
    if isinstance(messages, dict):
        return "; ".join(_flatten(v, f"{prefix}{k}.") for k, v in messages.items())
    if isinstance(messages, list):
        return f"{prefix.rstrip('.')}: " + " ".join(str(m) for m in messages)
    return f"{prefix.rstrip('.')}: {messages}"
