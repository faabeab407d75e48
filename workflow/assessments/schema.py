"""Stage 2 for checklists: marshmallow shapes that build the frozen model, unknown keys refused.

The strict base, the field types and the error walk are the list definitions' own
(`workflow.definitions.schema` / `fields`), so problems read the same in both kinds of file.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, post_load

from workflow.assessments.model import (
    Checklist,
    Criterion,
    Deduction,
    Grade,
    Proposals,
    Rollup,
    Section,
    Yearly,
)
from workflow.definitions.fields import Flag, Identifier, ListOf, Number, Text, Whole
from workflow.definitions.fields import Section as Nested
from workflow.definitions.problems import Problem
from workflow.definitions.schema import LabelSchema, _problems, _Strict


def load_checklist_shape(data: Any) -> tuple[Checklist | None, list[Problem]]:
    """Build the model from parsed YAML, or say everything that is wrong with its shape."""
    schema = ChecklistSchema()
    try:
        return schema.load(data), []
    except ValidationError as exc:
        return None, list(_problems(exc.messages, schema, ()))


def _label(required: bool = True) -> Nested:
    return Nested(LabelSchema, required=required)


def _decimal(value: Any) -> Decimal:
    """Numbers from YAML as exact decimals (0.1 stays 0.1)."""
    return Decimal(str(value))


def _tuples(data: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


class CriterionSchema(_Strict):
    name = Identifier(required=True)
    label = _label()
    max_points = Number(required=True)
    guidance = _label(required=False)
    evidence = Flag(load_default=False)
    veto = _label(required=False)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Criterion:
        data["max_points"] = _decimal(data["max_points"])
        return Criterion(**data)


class SectionSchema(_Strict):
    name = Identifier(required=True)
    label = _label()
    weight = Number(load_default=1)
    criteria = ListOf(Nested(CriterionSchema), required=True)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Section:
        data["weight"] = _decimal(data["weight"])
        return Section(**_tuples(data))


class DeductionSchema(_Strict):
    name = Identifier(required=True)
    label = _label()
    source = Text(required=True)
    points = Number(load_default=0)
    cap = Number(data_key="max")
    section = Identifier()
    level = Whole(low=1)
    more_than = Whole(low=0, load_default=0)
    veto = Flag(load_default=False)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Deduction:
        data["points"] = _decimal(data["points"])
        if data.get("cap") is not None:
            data["cap"] = _decimal(data["cap"])
        return Deduction(**data)


class GradeSchema(_Strict):
    name = Identifier(required=True)
    label = _label()
    min = Number(required=True)
    stars = Whole(low=0, high=5, load_default=0)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Grade:
        data["min"] = _decimal(data["min"])
        return Grade(**data)


class ProposalsSchema(_Strict):
    commend_top = Whole(low=0, load_default=1)
    account_bottom = Whole(low=0, load_default=1)
    bottom_action = Text(load_default="admonish")
    veto_action = Text(load_default="criticise")

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Proposals:
        return Proposals(**data)


class YearlySchema(_Strict):
    quarter_weights = ListOf(Number(), required=True)
    quarters_share = Number(load_default=1)
    items = ListOf(Nested(CriterionSchema), load_default=list)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Yearly:
        data["quarter_weights"] = [_decimal(w) for w in data["quarter_weights"]]
        data["quarters_share"] = _decimal(data["quarters_share"])
        return Yearly(**_tuples(data))


class RollupSchema(_Strict):
    veto = Text(load_default="propagate")

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Rollup:
        return Rollup(**data)


class ChecklistSchema(_Strict):
    shape = "a mapping with name, version, label, cycle, subject, applies_to and sections"
    name = Identifier(required=True)
    version = Whole(required=True, low=1)
    label = _label()
    description = _label(required=False)
    cycle = Text(required=True)
    subject = Text(load_default="unit")
    applies_to = ListOf(Text(), required=True)
    scored_by = ListOf(Text(), load_default=lambda: ["inspector"])
    sections = ListOf(Nested(SectionSchema), required=True)
    deductions = ListOf(Nested(DeductionSchema), load_default=list)
    grades = ListOf(Nested(GradeSchema), load_default=list)
    proposals = Nested(ProposalsSchema, load_default=Proposals)
    yearly = Nested(YearlySchema)
    rollup = Nested(RollupSchema, load_default=Rollup)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Checklist:
        return Checklist(**_tuples(data))
