"""Stage 2: the shape of a definition, as marshmallow schemas that build the frozen model.

Every schema refuses unknown keys. A key left empty in YAML (`min:`) counts as not given, unless
the key is required. Vocabulary (roles, effects, …) and cross-references are stage 3, `checks.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load

from workflow.definitions.fields import (
    Colour,
    DurationField,
    Flag,
    Identifier,
    ListOf,
    Number,
    OneOrMany,
    Section,
    Text,
    Whole,
)
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
from workflow.definitions.problems import DocPath, Problem, describe, unknown

#: marshmallow's message for an unknown key, recognised when errors are turned into problems.
UNKNOWN_KEY = "unknown key"


def load_shape(data: Any) -> tuple[Definition | None, list[Problem]]:
    """Build the model from parsed YAML, or say everything that is wrong with its shape."""
    schema = DefinitionSchema()
    try:
        return schema.load(data), []
    except ValidationError as exc:
        return None, list(_problems(exc.messages, schema, ()))


def _problems(messages: Any, node: Any, path: DocPath) -> Iterator[Problem]:
    """Walk marshmallow's nested messages beside the schema, so unknown keys get suggestions."""
    if isinstance(messages, list):
        yield from (Problem(path, str(message)) for message in messages)
        return
    for key, sub in messages.items():
        if key == "_schema":
            yield from _problems(sub, None, path)
        elif sub == [UNKNOWN_KEY]:
            schema = _as_schema(node)
            known = keyed_fields(schema) if schema else {}
            yield Problem(path, unknown("key", key, known), at=path + (key,))
        else:
            yield from _problems(sub, _child(node, key), path + (key,))


def _as_schema(node: Any) -> Schema | None:
    if isinstance(node, fields.Nested):
        node = node.schema
    return node if isinstance(node, Schema) else None


def _child(node: Any, key: str | int) -> Any:
    schema = _as_schema(node)
    if schema is not None:
        return keyed_fields(schema).get(str(key))
    if isinstance(node, fields.List):
        return node.inner
    return None


class _Strict(Schema):
    """Base: a mapping, unknown keys refused, empty optional keys treated as absent."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": UNKNOWN_KEY}
    #: how the expected value is described when something else is found
    shape = "a mapping"

    @pre_load
    def _mapping(self, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ValidationError(f"expected {self.shape}, got {describe(data)}")
        by_key = keyed_fields(self)
        return {
            key: value
            for key, value in data.items()
            if value is not None or key not in by_key or by_key[key].required
        }


def keyed_fields(schema: Schema) -> dict[str, Any]:
    """The schema's fields by the key YAML uses (`from`, not `sources`)."""
    return {f.data_key or name: f for name, f in schema.load_fields.items()}


class LabelSchema(_Strict):
    shape = "a label such as {zh: 已签收, en: Received}"
    zh = Text(required=True)
    en = Text(required=True)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Label:
        return Label(**data)


def _label(required: bool = True) -> Section:
    return Section(LabelSchema, required=required)


def _names() -> ListOf:
    return ListOf(Text(), load_default=list)


class FieldSchema(_Strict):
    name = Identifier(required=True)
    type = Text(required=True)
    label = _label()
    required = Flag(load_default=False)
    choices = ListOf(Text())
    minimum = Number(data_key="min")
    maximum = Number(data_key="max")
    max_length = Whole(low=1)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> FieldDef:
        return FieldDef(**_tuples(data))


class StateSchema(_Strict):
    name = Identifier(required=True)
    label = _label()
    final = Flag(load_default=False)
    clock = Text()

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> StateDef:
        data.setdefault("clock", "none" if data["final"] else "due")
        return StateDef(**data)


class TransitionSchema(_Strict):
    trigger = Identifier(required=True)
    sources = OneOrMany(Identifier(), data_key="from", required=True)
    dest = Identifier(data_key="to", required=True)
    roles = ListOf(Text(), required=True)
    label = _label()
    requires = _names()
    optional = _names()
    conditions = _names()
    effects = _names()
    separation_of_duties = _names()
    signature = Identifier()
    response = Flag(load_default=False)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> TransitionDef:
        return TransitionDef(**_tuples(data))


class DeadlinesSchema(_Strict):
    due = DurationField()
    remind_before = ListOf(DurationField(), load_default=list)
    review_within = DurationField()
    start_lead = DurationField()

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> DeadlineDef:
        return DeadlineDef(**_tuples(data))


class LightSchema(_Strict):
    name = Identifier(required=True)
    label = _label()
    color = Colour(required=True)
    within = DurationField()
    overdue = Flag(load_default=False)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Light:
        return Light(**data)


class StepSchema(_Strict):
    level = Whole(required=True)
    action = Text(required=True)
    label = _label()
    notify = ListOf(Text(), required=True)
    after = DurationField()
    at_percent = Whole()
    unanswered_for = DurationField()
    register = Flag(load_default=False)
    urgent = Flag(load_default=False)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> EscalationStep:
        return EscalationStep(**_tuples(data))


class RecurrenceSchema(_Strict):
    every = DurationField(required=True)
    generates = Identifier(required=True)
    due_within = DurationField(required=True)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Recurrence:
        return Recurrence(**data)


class DefinitionSchema(_Strict):
    shape = "a mapping with kind, version, label, initial, states and transitions"
    kind = Identifier(required=True)
    version = Whole(required=True, low=1)
    label = _label()
    description = _label(required=False)
    # not called `fields`, which is the attribute where marshmallow keeps a schema's fields
    item_fields = ListOf(Section(FieldSchema), data_key="fields", load_default=list)
    initial = Identifier(required=True)
    states = ListOf(Section(StateSchema), required=True)
    transitions = ListOf(Section(TransitionSchema), required=True)
    deadlines = Section(DeadlinesSchema, load_default=DeadlineDef)
    lights = ListOf(Section(LightSchema), load_default=list)
    escalation = ListOf(Section(StepSchema), load_default=list)
    recurrence = Section(RecurrenceSchema)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Definition:
        data["fields"] = data.pop("item_fields")
        return Definition(**_tuples(data))


def _tuples(data: dict[str, Any]) -> dict[str, Any]:
    """The model is frozen all the way down: lists become tuples."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
