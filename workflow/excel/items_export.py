"""Exports of items: any filtered list (as the inbox filters) and the ledger book (台账).

Both read through `find_items`, so nothing outside the actor's scope is ever written; both page
through the whole result with the keyset, so a large export never holds one giant query open.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from workflow.access import Scope
from workflow.excel.cells import add_row, new_workbook, open_table, to_bytes
from workflow.excel.names import (
    QUIET,
    action_label,
    list_titles,
    org_names,
    person_names,
    state_label,
)
from workflow.models import Item, ItemEvidence, LedgerEntry, Person
from workflow.queries import ItemFilter, find_items
from workflow.runtime import Runtime

PAGE = 500
MAX_EXPORT_ITEMS = 100_000


@dataclass(frozen=True)
class Export:
    """A finished workbook and the name to offer it under."""

    filename: str
    data: bytes
    rows: int


ITEM_HEADERS = ("编号", "清单", "类型", "事项名称", "承办单位", "第一责任人", "直接责任人",
                "状态", "截止时间", "是否逾期", "督办等级", "下达时间", "销号时间", "内容")
ITEM_NOTES = ("id", "list", "kind", "title", "assignee unit", "primary responsible",
              "direct responsible", "state", "due", "overdue", "escalation level", "issued",
              "closed", "fields")


def visible_items(rt: Runtime, scope: Scope, where: ItemFilter) -> Iterator[list[Item]]:
    """Every visible item matching `where`, one keyset page at a time.

    The first page is read at once, so a hidden `unit_id` raises NotFound here, before the
    caller starts writing a workbook.
    """
    first = find_items(rt, scope, where, limit=PAGE)
    return _pages(rt, scope, where, first)


def _pages(rt: Runtime, scope: Scope, where: ItemFilter, page: list[Item]) -> Iterator[list[Item]]:
    total = 0
    while page and total < MAX_EXPORT_ITEMS:
        total += len(page)
        yield page
        page = find_items(rt, scope, where, limit=PAGE, after=(page[-1].due_at, page[-1].id))


def export_items(rt: Runtime, actor: Person | Scope, where: ItemFilter) -> Export:
    """The items the actor may see that match `where`, one row each."""
    scope, tz, now = _scope(actor), rt.settings.tz, rt.clock.now()
    pages = visible_items(rt, scope, where)
    book = new_workbook(write_only=True)
    sheet = open_table(book, "事项清单", ITEM_HEADERS, notes=ITEM_NOTES,
                       widths=(8, 24, 10, 36, 18, 12, 12, 10, 18, 8, 8, 18, 18, 50))
    count = 0
    for page in pages:
        with rt.read() as session:
            orgs = org_names(session, (i.assignee_org_id for i in page))
            people = person_names(session, [p for i in page for p in (i.primary_person_id,
                                                                      i.direct_person_id)])
            lists = list_titles(session, (i.list_id for i in page))
        for item in page:
            definition = rt.definitions.get(item.kind, item.definition_version)
            overdue = item.is_open and item.due_at is not None and item.due_at <= now
            add_row(sheet, [item.id, lists.get(item.list_id), definition.label.zh, item.title,
                            orgs.get(item.assignee_org_id),
                            people.get(item.primary_person_id or 0),
                            people.get(item.direct_person_id or 0),
                            state_label(definition, item.state), item.due_at,
                            "是" if overdue else "否", item.escalation_level, item.created_at,
                            item.closed_at, _fields(definition, item.fields)], tz)
        count += len(page)
    stamp = now.astimezone(tz).strftime("%Y%m%d")
    return Export(f"事项清单_{stamp}.xlsx", to_bytes(book), count)


LEDGER_HEADERS = ("序号", "编号", "清单名称", "清单类型", "事项名称", "承办单位", "第一责任人",
                  "直接责任人", "下达时间", "截止时间", "当前状态", "办理过程", "佐证材料（份）",
                  "督办等级", "销号时间")
LEDGER_NOTES = ("no.", "item id", "list", "kind", "title", "assignee unit",
                "primary responsible", "direct responsible", "issued", "due", "state",
                "key steps with dates", "evidence files", "escalation level", "closed (销号)")
ENTRY_HEADERS = ("记录号", "时间", "事项编号", "事项名称", "承办单位", "操作人", "动作",
                 "原状态", "新状态", "说明", "佐证材料", "哈希")
ENTRY_NOTES = ("entry id", "at", "item id", "item", "unit", "by", "action", "from state",
               "to state", "comment or reason", "evidence (SHA-256)", "entry hash")


def export_ledger(rt: Runtime, actor: Person | Scope, where: ItemFilter) -> Export:
    """The ledger book: sheet 台账 one row per item, sheet 台账明细 every entry of those items."""
    scope, tz = _scope(actor), rt.settings.tz
    pages = visible_items(rt, scope, where)
    book = new_workbook(write_only=True)
    summary = open_table(book, "台账", LEDGER_HEADERS, notes=LEDGER_NOTES,
                         widths=(6, 8, 24, 10, 36, 18, 12, 12, 18, 18, 10, 60, 10, 8, 18))
    entries = open_table(book, "台账明细", ENTRY_HEADERS, notes=ENTRY_NOTES,
                         widths=(8, 18, 8, 30, 18, 12, 14, 10, 10, 40, 30, 20))
    count = 0
    for page in pages:
        _ledger_page(rt, page, _Sheets(summary, entries, count))
        count += len(page)
    stamp = rt.clock.now().astimezone(tz).strftime("%Y%m%d")
    return Export(f"台账_{stamp}.xlsx", to_bytes(book), count)


@dataclass(frozen=True)
class _Sheets:
    """The ledger book's two sheets, and how many items sheet 台账 holds so far."""

    summary: Any
    entries: Any
    written: int


def _ledger_page(rt: Runtime, page: list[Item], sheets: _Sheets) -> None:
    ids = [i.id for i in page]
    by_id = {i.id: i for i in page}
    with rt.read() as session:
        found = list(session.scalars(select(LedgerEntry).where(LedgerEntry.item_id.in_(ids))
                                     .order_by(LedgerEntry.item_id, LedgerEntry.id)))
        counts: dict[int, int] = {row[0]: row[1] for row in session.execute(
            select(ItemEvidence.item_id, func.count()).where(ItemEvidence.item_id.in_(ids))
            .group_by(ItemEvidence.item_id))}
        orgs = org_names(session, (i.assignee_org_id for i in page))
        people = person_names(session, [p for i in page for p in (
            i.primary_person_id, i.direct_person_id)] + [e.actor_id for e in found])
        lists = list_titles(session, (i.list_id for i in page))
    steps: dict[int, list[str]] = {}
    tz = rt.settings.tz
    for entry in found:
        item = by_id[entry.item_id or 0]
        definition = rt.definitions.get(item.kind, item.definition_version)
        label = action_label(entry, definition)
        if entry.action not in QUIET:
            steps.setdefault(item.id, []).append(f"{entry.at.astimezone(tz):%m-%d} {label}")
        add_row(sheets.entries, [
            entry.id, entry.at, item.id, item.title, orgs.get(item.assignee_org_id),
            people.get(entry.actor_id or 0, "系统" if not entry.actor_id else ""), label,
            state_label(definition, entry.from_state), state_label(definition, entry.to_state),
            entry.reason, "、".join(h[:12] for h in entry.evidence or []), entry.hash[:16]], tz)
    for number, item in enumerate(page, start=sheets.written + 1):
        definition = rt.definitions.get(item.kind, item.definition_version)
        add_row(sheets.summary, [
            number, item.id, lists.get(item.list_id), definition.label.zh, item.title,
            orgs.get(item.assignee_org_id), people.get(item.primary_person_id or 0),
            people.get(item.direct_person_id or 0), item.created_at, item.due_at,
            state_label(definition, item.state), "；".join(steps.get(item.id, [])),
            counts.get(item.id, 0), item.escalation_level, item.closed_at], tz)


def _fields(definition: Any, values: dict[str, Any]) -> str:
    labels = {f.name: f.label.zh for f in definition.fields}
    return "；".join(f"{labels.get(k, k)}：{v}" for k, v in values.items() if v not in (None, ""))


def _scope(actor: Person | Scope) -> Scope:
    return actor if isinstance(actor, Scope) else Scope.of(actor)
