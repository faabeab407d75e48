"""Request (`…In`) and response (`…Out`) schemas: explicit fields, one direction each.

Input schemas refuse unknown fields (marshmallow RAISE), so a client can never set what the
server owns — state, version, organisation paths, actor, timestamps — by adding a key. Ids are
bounded to the database's integer range and texts to their column sizes, so no input reaches the
database in a form it would refuse with a server error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from workflow.definitions.vocabulary import ROLES
from workflow.models.accountability import OUTCOMES
from workflow.services.orgs import ORG_KINDS

MAX_ID = 2**31 - 1


class In(Schema):
    class Meta:
        unknown = RAISE


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802 (a field factory reads like a field)
    """A database id in a JSON body: a whole number, 1 to 2³¹-1, never a string."""
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kwargs)


def QueryId(**kwargs: Any) -> fields.Integer:  # noqa: N802
    """A database id in a query string."""
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


def Text(high: int, low: int = 1, **kwargs: Any) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(low, high), **kwargs)


class Moment(fields.AwareDateTime):
    """An ISO 8601 date-time; without an offset it is UTC. Years 1900–9000 only."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", default_timezone=UTC, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        if not 1900 <= moment.year <= 9000:
            raise ValidationError("the year must be between 1900 and 9000")
        return moment.astimezone(UTC)


def _known_kind(kind: str) -> None:
    kinds = current_app.extensions["sandan"].definitions.kinds()
    if kind not in kinds:
        raise ValidationError(f"unknown list kind; known: {', '.join(kinds)}")


class LabelOut(Schema):
    zh = fields.String(required=True, metadata={"example": "已交办"})
    en = fields.String(required=True, metadata={"example": "Issued"})


# --- the current user -------------------------------------------------------------------------

class GrantOut(Schema):
    role = fields.String(required=True, metadata={"example": "handler"})
    org_id = fields.Integer(required=True, metadata={"example": 2})


class MeOut(Schema):
    id = fields.Integer(required=True, metadata={"example": 5})
    username = fields.String(required=True, metadata={"example": "zhibu1"})
    display_name = fields.String(required=True, metadata={"example": "张支书"})
    org_id = fields.Integer(allow_none=True, metadata={"example": 2})
    roles = fields.List(fields.Nested(GrantOut), required=True)
    inspects = fields.List(fields.Integer(), required=True, metadata={
        "description": "Units this person is assigned to inspect."})
    must_change_password = fields.Boolean(required=True)
    csrf_token = fields.String(required=True, metadata={
        "description": "For cookie-authenticated clients: send it as X-CSRFToken on writes."})


# --- definitions --------------------------------------------------------------------------------

class DefinitionSummaryOut(Schema):
    kind = fields.String(required=True, metadata={"example": "task"})
    version = fields.Integer(required=True, metadata={"example": 1})
    label = fields.Nested(LabelOut, required=True)
    description = fields.Nested(LabelOut, allow_none=True)
    versions = fields.List(fields.Integer(), required=True, metadata={"example": [1]})


class DefinitionOut(Schema):
    """The normalised definition: every key present, defaults filled, the YAML's own keys."""

    kind = fields.String(required=True, metadata={"example": "task"})
    version = fields.Integer(required=True)
    label = fields.Nested(LabelOut, required=True)
    description = fields.Nested(LabelOut, allow_none=True)
    fields_ = fields.List(fields.Dict(), data_key="fields", attribute="fields", required=True)
    initial = fields.String(required=True, metadata={"example": "issued"})
    states = fields.List(fields.Dict(), required=True)
    transitions = fields.List(fields.Dict(), required=True)
    deadlines = fields.Dict(required=True)
    lights = fields.List(fields.Dict(), required=True)
    escalation = fields.List(fields.Dict(), required=True)
    recurrence = fields.Dict(allow_none=True)


class DefinitionQuery(In):
    version = fields.Integer(validate=validate.Range(1, 10_000), metadata={
        "description": "A definition version (default: the latest)."})


class DiagramOut(Schema):
    kind = fields.String(required=True)
    version = fields.Integer(required=True)
    mermaid = fields.String(required=True, metadata={
        "description": "A mermaid stateDiagram-v2, drawn by the transitions library.",
        "example": "stateDiagram-v2\n  direction LR\n  ..."})


# --- lists and items ----------------------------------------------------------------------------

class NewItemIn(In):
    title = Text(500, required=True, metadata={"example": "召开专题组织生活会"})
    assignee_org_id = Id(required=True, metadata={"example": 2})
    due_at = Moment(allow_none=True, metadata={"example": "2026-04-30T09:00:00+08:00"})
    planned_start_at = Moment(allow_none=True)
    values = fields.Dict(data_key="fields", load_default=dict, metadata={
        "description": "The item's payload, validated against the definition's fields.",
        "example": {"category": "党建", "description": "按期召开并形成会议记录"}})
    primary_person_id = Id(allow_none=True)
    direct_person_id = Id(allow_none=True)


class ListIn(In):
    kind = fields.String(required=True, validate=_known_kind, metadata={"example": "task"})
    title = Text(500, required=True, metadata={"example": "2026年第一季度党建任务清单"})
    issuer_org_id = Id(required=True, metadata={"example": 1})
    period = Text(40, allow_none=True, metadata={"example": "2026Q1"})
    note = Text(5000, allow_none=True)
    items = fields.List(fields.Nested(NewItemIn), required=True,
                        validate=validate.Length(1, 1000))


class ListOut(Schema):
    list_id = fields.Integer(required=True, metadata={"example": 7})
    item_ids = fields.List(fields.Integer(), required=True, metadata={"example": [31, 32]})
    created = fields.Boolean(required=True, metadata={
        "description": "False when this answers a retry with an Idempotency-Key already used."})


class ChildrenIn(In):
    children = fields.List(fields.Nested(NewItemIn), required=True,
                           validate=validate.Length(1, 1000))


class ChildrenOut(Schema):
    item_ids = fields.List(fields.Integer(), required=True, metadata={"example": [40, 41]})


class IdempotencyHeaders(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key", validate=validate.Regexp(r"^[\x21-\x7e]{1,200}$"),
        metadata={"description": "Any unique string (e.g. a UUID) per logical request: a retry "
                                 "with the same key answers the first result instead of "
                                 "creating again.",
                  "example": "6f1c2d7e-8a8b-4c39-9a51-0f2f7c1d9e44"})


class ItemQuery(In):
    kind = fields.List(fields.String(validate=validate.Length(1, 64)), metadata={
        "description": "List kinds (repeat for several).", "example": ["task"]})
    state = fields.List(fields.String(validate=validate.Length(1, 64)), metadata={
        "description": "States (repeat for several).", "example": ["issued"]})
    unit = QueryId(metadata={"description": "Only items of this unit and the units below it."})
    person = QueryId(metadata={"description": "Primary or direct responsible person."})
    open = fields.Boolean(metadata={"description": "Open (true) or finished (false) items."})
    overdue = fields.Boolean(metadata={"description": "Open items past their due date."})
    escalation_level_min = fields.Integer(validate=validate.Range(0, 100), metadata={
        "description": "At least this escalation level (1: escalated at all)."})
    due_after = Moment(metadata={"description": "Due at or after this moment."})
    due_before = Moment(metadata={"description": "Due before this moment."})
    q = Text(200, metadata={"description": "Words in the title (case-insensitive)."})
    sort = fields.String(load_default="due_at", validate=validate.OneOf(["due_at", "-due_at"]),
                         metadata={"description": "Soonest due first, or latest (-due_at)."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = Text(400, metadata={"description": "next_cursor of the previous page."})


class ItemOut(Schema):
    id = fields.Integer(required=True, metadata={"example": 31})
    list_id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"example": "task"})
    definition_version = fields.Integer(required=True)
    title = fields.String(required=True, metadata={"example": "召开专题组织生活会"})
    fields_ = fields.Dict(data_key="fields", attribute="fields", required=True)
    state = fields.String(required=True, metadata={"example": "in_progress"})
    state_label = fields.Nested(LabelOut, required=True)
    is_open = fields.Boolean(required=True)
    overdue = fields.Boolean(required=True)
    assignee_org_id = fields.Integer(required=True)
    issuer_org_id = fields.Integer(required=True)
    primary_person_id = fields.Integer(allow_none=True)
    direct_person_id = fields.Integer(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    next_deadline_at = fields.DateTime(allow_none=True)
    escalation_level = fields.Integer(required=True)
    version = fields.Integer(required=True, metadata={
        "description": "Send it back with a transition; a stale one answers 409."})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True)


class ItemPageOut(Schema):
    items = fields.List(fields.Nested(ItemOut), required=True)
    next_cursor = fields.String(allow_none=True, metadata={
        "description": "Pass as `cursor` for the next page; null on the last page."})


class ActionOut(Schema):
    trigger = fields.String(required=True, metadata={"example": "submit"})
    label = fields.Nested(LabelOut, required=True)
    to = fields.String(required=True, metadata={"example": "submitted"})
    requires = fields.List(fields.String(), required=True, metadata={"example": ["evidence"]})
    optional = fields.List(fields.String(), required=True, metadata={"example": ["comment"]})
    signature = fields.String(allow_none=True, metadata={
        "description": "Set when the trigger is signed: send `password` with it."})


class EvidenceOut(Schema):
    sha256 = fields.String(required=True)
    filename = fields.String(required=True, metadata={"example": "会议记录.pdf"})
    uploaded_by_id = fields.Integer(allow_none=True)
    uploaded_at = fields.DateTime(required=True)
    item_version = fields.Integer(required=True)


class ItemDetailOut(ItemOut):
    assignee_name = fields.String(required=True, metadata={"example": "甲公司党支部"})
    actions = fields.List(fields.Nested(ActionOut), required=True, metadata={
        "description": "The triggers you may fire now (state, your roles and conditions)."})
    evidence = fields.List(fields.Nested(EvidenceOut), required=True)


class TransitionIn(In):
    trigger = fields.String(required=True, validate=validate.Length(1, 64),
                            metadata={"example": "submit"})
    version = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID),
                             metadata={"description": "The item version you last read.",
                                       "example": 3})
    inputs = fields.Dict(load_default=dict, metadata={
        "description": "The trigger's inputs: comment, reason, evidence (SHA-256 list), due, "
                       "assignee, fields, verdict or score, as the definition requires.",
        "example": {"comment": "已按要求完成", "evidence": ["9f86d081884c7d65..."]}})
    password = fields.String(validate=validate.Length(1, 1024), load_only=True, metadata={
        "description": "Your password again, for signed triggers (approve, close)."})


class TransitionOut(Schema):
    item_id = fields.Integer(required=True)
    trigger = fields.String(required=True)
    from_state = fields.String(required=True, metadata={"example": "in_progress"})
    state = fields.String(required=True, metadata={"example": "submitted"})
    version = fields.Integer(required=True, metadata={"example": 4})
    ledger_hash = fields.String(required=True)
    spawned = fields.List(fields.Integer(), required=True, metadata={
        "description": "Items this transition opened (e.g. a rectification)."})


# --- evidence -----------------------------------------------------------------------------------

class UploadIn(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class AttachedOut(Schema):
    sha256 = fields.String(required=True, metadata={"description": "SHA-256 of the content."})
    size = fields.Integer(required=True)
    filename = fields.String(required=True, metadata={"example": "整改报告.pdf"})
    content_type = fields.String(required=True, metadata={"example": "application/pdf"})
    created = fields.Boolean(required=True, metadata={
        "description": "False when the same file or Idempotency-Key was already attached."})


# --- ledger -------------------------------------------------------------------------------------

class LedgerQuery(In):
    item = QueryId()
    unit = QueryId(metadata={"description": "Entries about this unit and the units below it."})
    actor = QueryId()
    action = Text(40, metadata={"example": "transition"})
    trigger = Text(64, metadata={"example": "approve"})
    since = Moment()
    until = Moment()
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    cursor = Text(400)


class PageQuery(In):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    cursor = Text(400)


class LedgerEntryOut(Schema):
    id = fields.Integer(required=True)
    subject = fields.String(required=True, metadata={"example": "item:31"})
    subject_seq = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor_id = fields.Integer(allow_none=True)
    item_id = fields.Integer(allow_none=True)
    org_id = fields.Integer(allow_none=True)
    action = fields.String(required=True, metadata={"example": "transition"})
    trigger = fields.String(allow_none=True)
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    inputs = fields.Dict(required=True)
    evidence = fields.List(fields.String(), required=True)
    signature = fields.String(allow_none=True)
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class LedgerPageOut(Schema):
    entries = fields.List(fields.Nested(LedgerEntryOut), required=True)
    next_cursor = fields.String(allow_none=True)


class ProblemOut(Schema):
    entry_id = fields.Integer(required=True)
    message = fields.String(required=True)


class VerificationOut(Schema):
    ok = fields.Boolean(required=True)
    count = fields.Integer(required=True)
    head_id = fields.Integer(allow_none=True)
    head_hash = fields.String(allow_none=True)
    sealed_through = fields.Integer(required=True)
    checkpoints = fields.Integer(required=True)
    first_bad = fields.Integer(allow_none=True)
    checkpoint_file_damaged = fields.Boolean(
        metadata={"description": "the checkpoint file itself failed its check"})
    problems = fields.List(fields.Nested(ProblemOut), required=True)


# --- organisations and people -------------------------------------------------------------------

class OrgIn(In):
    name = Text(200, required=True, metadata={"example": "丙公司党支部"})
    kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS),
                         metadata={"example": "branch"})
    parent_id = Id(allow_none=True, metadata={"example": 1})
    code = Text(64, allow_none=True)


class OrgOut(Schema):
    id = fields.Integer(required=True)
    parent_id = fields.Integer(allow_none=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    code = fields.String(allow_none=True)
    depth = fields.Integer(required=True)
    closed_at = fields.DateTime(allow_none=True)


class OrgPageOut(Schema):
    orgs = fields.List(fields.Nested(OrgOut), required=True)
    next_cursor = fields.String(allow_none=True)


class PersonIn(In):
    username = Text(80, required=True, metadata={"example": "zhibu3"})
    display_name = Text(200, required=True, metadata={"example": "王支书"})
    password = fields.String(validate=validate.Length(1, 1024), allow_none=True, load_only=True)
    org_id = Id(allow_none=True)
    must_change_password = fields.Boolean(load_default=True)
    email = Text(200, allow_none=True)
    mobile = Text(40, allow_none=True)
    post = Text(200, allow_none=True)


class PersonOut(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    org_id = fields.Integer(allow_none=True)
    post = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    mobile = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    roles = fields.List(fields.Nested(GrantOut), required=True)
    inspects = fields.List(fields.Integer(), required=True)


class PersonPageOut(Schema):
    people = fields.List(fields.Nested(PersonOut), required=True)
    next_cursor = fields.String(allow_none=True)


class GrantIn(In):
    org_id = Id(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES),
                         metadata={"example": "handler"})


class InspectIn(In):
    org_id = Id(required=True)


# --- accountability register and inbox -------------------------------------------------------

class RegisterQuery(In):
    open = fields.Boolean(load_default=False, metadata={
        "description": "Only entries without an outcome yet."})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class RegisterEntryOut(Schema):
    id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    org_id = fields.Integer(required=True)
    primary_person_id = fields.Integer(allow_none=True)
    direct_person_id = fields.Integer(allow_none=True)
    level = fields.Integer(required=True, metadata={"example": 3})
    action = fields.String(required=True, metadata={"example": "admonish"})
    reason = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    outcome = fields.String(allow_none=True, metadata={"example": "talk_held"})
    outcome_note = fields.String(allow_none=True)
    outcome_by_id = fields.Integer(allow_none=True)
    outcome_at = fields.DateTime(allow_none=True)


class OutcomeIn(In):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = Text(5000, allow_none=True)
    password = fields.String(validate=validate.Length(1, 1024), load_only=True, metadata={
        "description": "Your password again: an outcome is an electronic signature."})


class OutcomeOut(Schema):
    entry_id = fields.Integer(required=True)
    outcome = fields.String(required=True)
    ledger_hash = fields.String(required=True)


class WaiverIn(In):
    reason = Text(5000, required=True)
    until = Moment(required=True)


class WaiverOut(Schema):
    waiver_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)


class InboxQuery(In):
    unread = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class NotificationOut(Schema):
    id = fields.Integer(required=True)
    item_id = fields.Integer(allow_none=True)
    org_id = fields.Integer(allow_none=True)
    template = fields.String(required=True, metadata={"example": "overdue"})
    params = fields.Dict(required=True)
    urgent = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True)


class MarkReadIn(In):
    ids = fields.List(fields.Integer(strict=True, validate=validate.Range(1, 2**63 - 1)),
                      required=True, validate=validate.Length(1, 500))


class MarkReadOut(Schema):
    marked = fields.Integer(required=True)


# --- dashboards -------------------------------------------------------------------------------

class DashboardQuery(In):
    org_id = QueryId(metadata={
        "description": "The unit whose subtree is shown: one you hold a role in or inspect "
                       "(default: the highest such unit).", "example": 1})


class TrendQuery(DashboardQuery):
    period = fields.String(load_default="week", validate=validate.OneOf(["week", "month"]),
                           metadata={"description": "Weeks (from Monday) or calendar months, "
                                                    "in the configured time zone."})
    periods = fields.Integer(load_default=12, validate=validate.Range(1, 52), metadata={
        "description": "How many periods, the current one last."})


class ForecastQuery(DashboardQuery):
    days = fields.Integer(load_default=7, validate=validate.Range(1, 31), metadata={
        "description": "How far ahead to look."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200), metadata={
        "description": "At most this many escalations listed (the counts cover all)."})


class LevelCountOut(Schema):
    level = fields.Integer(required=True, metadata={
        "description": "Escalation level (0: overdue, not escalated yet).", "example": 2})
    count = fields.Integer(required=True, metadata={"example": 4})


class ChildOverdueOut(Schema):
    org_id = fields.Integer(required=True, metadata={"example": 5})
    name = fields.String(required=True, metadata={"example": "甲公司党支部"})
    overdue = fields.Integer(required=True, metadata={
        "description": "Overdue open items of this unit and every unit below it.",
        "example": 7})
    levels = fields.List(fields.Nested(LevelCountOut), required=True)
    items_url = fields.String(required=True, metadata={
        "description": "The drill-down: the item list with exactly these items.",
        "example": "/api/v1/items?unit=5&overdue=true"})


class OverdueBoardOut(Schema):
    org_id = fields.Integer(required=True, metadata={"example": 1})
    name = fields.String(required=True, metadata={"example": "县直属机关工委"})
    as_of = fields.DateTime(required=True)
    total = fields.Integer(required=True, metadata={
        "description": "Overdue open items in the whole subtree.", "example": 9})
    own = fields.Integer(required=True, metadata={
        "description": "Of these, assigned to the unit itself.", "example": 2})
    items_url = fields.String(required=True, metadata={
        "example": "/api/v1/items?unit=1&overdue=true"})
    children = fields.List(fields.Nested(ChildOverdueOut), required=True)
    levels = fields.List(fields.Nested(LevelCountOut), required=True)


class TrendBucketOut(Schema):
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    on_time = fields.Integer(required=True, metadata={
        "description": "Closed on or before the due date.", "example": 12})
    late = fields.Integer(required=True, metadata={"description": "Closed after it.",
                                                   "example": 3})
    rate = fields.Float(allow_none=True, metadata={
        "description": "on_time / (on_time + late); null when nothing closed.", "example": 0.8})


class TrendOut(Schema):
    org_id = fields.Integer(required=True, metadata={"example": 1})
    name = fields.String(required=True)
    period = fields.String(required=True, metadata={"example": "week"})
    buckets = fields.List(fields.Nested(TrendBucketOut), required=True)


class ForecastEntryOut(Schema):
    item_id = fields.Integer(required=True, metadata={"example": 31})
    title = fields.String(required=True, metadata={"example": "规范“三会一课”记录"})
    at = fields.DateTime(required=True, metadata={"description": "When it would escalate."})
    level = fields.Integer(allow_none=True, metadata={"example": 3})
    action = fields.String(allow_none=True, metadata={"example": "admonish"})


class ActionCountOut(Schema):
    action = fields.String(required=True, metadata={"example": "urge"})
    count = fields.Integer(required=True, metadata={"example": 2})


class ForecastOut(Schema):
    org_id = fields.Integer(required=True, metadata={"example": 1})
    name = fields.String(required=True)
    as_of = fields.DateTime(required=True)
    until = fields.DateTime(required=True)
    levels = fields.List(fields.Nested(LevelCountOut), required=True)
    actions = fields.List(fields.Nested(ActionCountOut), required=True)
    items = fields.List(fields.Nested(ForecastEntryOut), required=True)
