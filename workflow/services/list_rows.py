"""Checking the rows of a list before it is issued: from a form or from a spreadsheet.

Both faces send loosely typed rows (text from a form, cells from Excel) keyed by column. Every
row is checked against the definition, the issuing unit's subtree and the clock, and every
problem is reported with its row and column in Chinese and English, so a user can fix a whole
file at once. Only a plan without problems is issued, through `issue_list`, which checks again
inside its transaction: a plan kept between preview and confirmation cannot go stale silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workflow.access import Scope, in_subtree
from workflow.definitions.model import Definition, Label
from workflow.errors import NotAllowed, NotFound
from workflow.inputs import fields_schema
from workflow.models import Organisation, Person
from workflow.runtime import Runtime
from workflow.services.list_plan import (
    Checked,
    Column,
    ListPlan,
    PreviewRow,
    Problem,
    RawRow,
)
from workflow.services.list_values import (
    BAD,
    TYPE_MESSAGES,
    coerce,
    field_message,
    messages_of,
    parse_date,
    plain,
    shown,
    text_of,
)
from workflow.services.lists import IssuedList, NewItem, issue_list

__all__ = ["Checked", "Column", "ListPlan", "PreviewRow", "Problem", "RawRow", "check_rows",
           "issue_plan", "list_columns", "issuer_units", "default_issuer", "assignable_units"]

_ITEM_COLUMNS = (
    ("title", Label("事项名称", "Title"), "text", True),
    ("unit", Label("承办单位", "Assignee unit"), "unit", True),
    ("due", Label("截止日期", "Due date"), "date", False),
    ("primary", Label("第一责任人", "Primary responsible"), "person", False),
    ("direct", Label("直接责任人", "Direct responsible"), "person", False),
)
_HINTS = {
    "unit": Label("填写单位名称或单位代码", "the unit's name or code"),
    "due": Label("日期，如 2026-04-30；留空则按清单默认期限", "a date such as 2026-04-30; "
                 "empty means the list's default time limit"),
    "primary": Label("用户名或姓名", "username or name"),
    "direct": Label("用户名或姓名", "username or name"),
}


def list_columns(definition: Definition) -> list[Column]:
    """The columns of a list of this kind: the item's own, then the definition's fields."""
    columns = []
    for key, label, kind, required in _ITEM_COLUMNS:
        needed = required or (key == "due" and definition.deadlines.due is None)
        columns.append(Column(key, label, kind, needed, hint=_HINTS.get(key)))
    for spec in definition.fields:
        columns.append(Column(spec.name, spec.label, spec.type, spec.required, spec.choices))
    return columns


def issuer_units(rt: Runtime, actor: Person | Scope) -> list[Organisation]:
    """The open units where the actor may issue lists, in tree order."""
    scope = _scope(actor)
    paths = scope.paths("issuer") + scope.paths("admin")
    if not paths:
        return []
    with rt.read() as session:
        query = select(Organisation).where(
            or_(*[in_subtree(Organisation.path, p) for p in paths]),
            Organisation.closed_at.is_(None)).order_by(Organisation.path)
        return [o for o in session.scalars(query.limit(500))
                if scope.holds("issuer", o.path, o.path)]


def default_issuer(units: Sequence[Organisation]) -> Organisation | None:
    """The unit to issue from when the actor did not say: the only top-most issuing unit."""
    tops = [o for o in units if not any(o.path.startswith(u.path) and o.id != u.id
                                        for u in units)]
    return tops[0] if len(tops) == 1 else None


def assignable_units(rt: Runtime, issuer_org_id: int, *, limit: int = 2000) -> list[Organisation]:
    """Open units inside an issuing unit's subtree (the choices for the assignee)."""
    with rt.read() as session:
        issuer = session.get(Organisation, issuer_org_id)
        if issuer is None:
            return []
        query = select(Organisation).where(in_subtree(Organisation.path, issuer.path),
                                           Organisation.closed_at.is_(None))
        return list(session.scalars(query.order_by(Organisation.path).limit(limit)))


def check_rows(
    rt: Runtime, actor: Person | Scope, *, kind: str, title: str, issuer_org_id: int,
    rows: Sequence[RawRow], period: str | None = None,
) -> Checked:
    """Check every row; the plan is None when any problem was found.

    Raises NotFound (unknown kind or issuing unit) or NotAllowed (no issuer role there): those
    concern the whole list, not a row.
    """
    scope = _scope(actor)
    definition = _definition(rt, kind)
    columns = {c.key: c for c in list_columns(definition)}
    problems: list[Problem] = []
    if not (title or "").strip():
        problems.append(Problem(0, "title", "请填写清单名称。", "give the list a title"))
    if not rows:
        problems.append(Problem(0, "", "没有可下达的条目。", "there are no items to issue"))
    with rt.read() as session:
        issuer = _issuer(session, scope, issuer_org_id)
        lookup = _Lookup.load(session, issuer, rows)
        context = _Context(rt, definition, columns, lookup, problems)
        checked = [context.check(row) for row in rows]
    items = [c[0] for c in checked if c is not None]
    preview = [c[1] for c in checked if c is not None]
    if problems:
        return Checked(None, preview, problems, kind)
    plan = ListPlan(kind, title.strip(), issuer.id, tuple(items), period)
    return Checked(plan, preview, problems, kind)


def issue_plan(rt: Runtime, actor: Person | Scope, plan: ListPlan, *,
               idempotency_key: str | None = None, note: str | None = None) -> IssuedList:
    """Issue a checked plan in one transaction; the same key from the same person issues once."""
    return issue_list(rt, actor, kind=plan.kind, title=plan.title,
                      issuer_org_id=plan.issuer_org_id, items=plan.items, period=plan.period,
                      note=note, idempotency_key=idempotency_key)


@dataclass
class _Lookup:
    """Units and people a list may name, found in two queries for the whole file."""

    units: dict[str, list[Organisation]]
    people: dict[str, list[Person]]
    by_id: dict[int, Organisation]

    @classmethod
    def load(cls, session: Session, issuer: Organisation, rows: Sequence[RawRow]) -> _Lookup:
        unit_ids = {v for r in rows if isinstance(v := r.values.get("unit_id"), int)}
        names = {text_of(r.values.get("unit")) for r in rows} - {None}
        units: dict[str, list[Organisation]] = {}
        query = select(Organisation).where(
            in_subtree(Organisation.path, issuer.path), Organisation.closed_at.is_(None),
            or_(Organisation.name.in_(names), Organisation.code.in_(names),
                Organisation.id.in_(unit_ids)))
        by_id = {}
        for org in session.scalars(query):
            by_id[org.id] = org
            for key in {org.name, org.code} - {None}:
                units.setdefault(str(key), []).append(org)
        wanted = {text_of(r.values.get(k)) for r in rows for k in ("primary", "direct")} - {None}
        people: dict[str, list[Person]] = {}
        query_people = select(Person).join(Organisation, Organisation.id == Person.org_id).where(
            in_subtree(Organisation.path, issuer.path), Person.active.is_(True),
            or_(Person.username.in_(wanted), Person.display_name.in_(wanted)))
        for person in session.scalars(query_people):
            for key in {person.username, person.display_name}:
                people.setdefault(key, []).append(person)
        return cls(units, people, by_id)


@dataclass
class _Context:
    rt: Runtime
    definition: Definition
    columns: dict[str, Column]
    lookup: _Lookup
    problems: list[Problem]

    def bad(self, row: RawRow, key: str, zh: str, en: str) -> None:
        column = self.columns.get(key)
        self.problems.append(Problem(row.number, key, zh, en, row.letters.get(key),
                                     column.label if column else None))

    def check(self, row: RawRow) -> tuple[NewItem, PreviewRow] | None:
        before = len(self.problems)
        title = self.title(row)
        unit = self.unit(row)
        due = self.due(row)
        primary, direct = self.person(row, "primary"), self.person(row, "direct")
        values = self.fields(row)
        if len(self.problems) > before or unit is None:
            return None
        new = NewItem(title=title, assignee_org_id=unit.id, due_at=due, fields=values,
                      primary_person_id=primary.id if primary else None,
                      direct_person_id=direct.id if direct else None)
        texts = {k: shown(v) for k, v in values.items() if v is not None}
        local = due.astimezone(self.rt.settings.tz).strftime("%Y-%m-%d") if due else ""
        return new, PreviewRow(row.number, title, unit.name, local,
                               primary.display_name if primary else "",
                               direct.display_name if direct else "", texts)

    def title(self, row: RawRow) -> str:
        title = text_of(row.values.get("title")) or ""
        if not title:
            self.bad(row, "title", "必填。", "required")
        elif len(title) > 500:
            self.bad(row, "title", "不能超过500个字。", "at most 500 characters")
        return title

    def unit(self, row: RawRow) -> Organisation | None:
        """By name or code (a spreadsheet) or by id (`unit_id`, a form's choice)."""
        if isinstance(unit_id := row.values.get("unit_id"), int):
            if unit_id in self.lookup.by_id:
                return self.lookup.by_id[unit_id]
            self.bad(row, "unit", "不是下达单位所辖的在册单位。",
                     "not an open unit under the issuing unit")
            return None
        name = text_of(row.values.get("unit"))
        if name is None:
            self.bad(row, "unit", "必填。", "required")
            return None
        found = self.lookup.units.get(name, [])
        if not found:
            self.bad(row, "unit", f"“{name}”不是下达单位所辖的在册单位。",
                     f"'{name}' is not an open unit under the issuing unit")
            return None
        if len(found) > 1:
            codes = "、".join(o.code or str(o.id) for o in found)
            self.bad(row, "unit", f"有多个单位叫“{name}”，请改填单位代码（{codes}）。",
                     f"several units are called '{name}': give the code ({codes})")
            return None
        return found[0]

    def due(self, row: RawRow) -> datetime | None:
        raw = row.values.get("due")
        if text_of(raw) is None:
            if self.columns["due"].required:
                self.bad(row, "due", "必填。", "required")
            return None
        day = parse_date(raw)
        if day is None:
            self.bad(row, "due", f"“{raw}”不是日期，请写成 2026-04-30。",
                     f"'{raw}' is not a date; write it as 2026-04-30")
            return None
        tz = self.rt.settings.tz
        moment = datetime.combine(day, time(23, 59, 59), tzinfo=tz).astimezone(UTC)
        if moment <= self.rt.clock.now():
            self.bad(row, "due", f"{day.isoformat()} 已经过去，截止日期须在今天或以后。",
                     f"{day.isoformat()} has passed; the due date must be today or later")
            return None
        return moment

    def person(self, row: RawRow, key: str) -> Person | None:
        name = text_of(row.values.get(key))
        if name is None:
            return None
        found = {p.id: p for p in self.lookup.people.get(name, [])}
        if len(found) == 1:
            return next(iter(found.values()))
        if found:
            self.bad(row, key, f"有多人叫“{name}”，请改填用户名。",
                     f"several people are called '{name}': give the username")
        else:
            self.bad(row, key, f"下达单位所辖范围内没有“{name}”这个人。",
                     f"no one called '{name}' under the issuing unit")
        return None

    def fields(self, row: RawRow) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for spec in self.definition.fields:
            raw = row.values.get(spec.name)
            if text_of(raw) is None:
                continue
            value = coerce(spec, raw)
            if value is BAD:
                zh, en = TYPE_MESSAGES.get(spec.type, ("格式不对。", "wrong format"))
                self.bad(row, spec.name, zh, en)
            else:
                data[spec.name] = value
        try:
            loaded: dict[str, Any] = fields_schema(self.definition).load(data)
        except ValidationError as exc:
            for name, messages in messages_of(exc).items():
                if not any(p.row == row.number and p.column == name for p in self.problems):
                    column = self.columns.get(name)
                    zh, en = field_message(column.choices if column else (), messages)
                    self.bad(row, name, zh, en)
            return {}
        return {k: (v.isoformat() if isinstance(v, date) else plain(v)) for k, v in loaded.items()}


def _issuer(session: Session, scope: Scope, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None or not any(org.path.startswith(p) for p in scope.org_paths()):
        raise NotFound(f"organisation {org_id} not found")
    if not scope.holds("issuer", org.path, org.path):
        raise NotAllowed(f"you do not hold the issuer role at {org.name}")
    return org


def _definition(rt: Runtime, kind: str) -> Definition:
    if kind not in rt.definitions.kinds():
        raise NotFound(f"no list kind '{kind}' (known: {', '.join(rt.definitions.kinds())})")
    return rt.definitions.get(kind)


def _scope(actor: Person | Scope) -> Scope:
    return actor if isinstance(actor, Scope) else Scope.of(actor)
