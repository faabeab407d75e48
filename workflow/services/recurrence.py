"""Standing items that recur: a responsibility generates its periodic task items.

A responsibility whose definition has a `recurrence` generates, for each period (P1M: every
calendar month in the configured zone), one item of the generated kind for the same unit and
responsible people: issued `start_lead` ahead of the period (the generated kind's), planned to
start when the period starts and due `due_within` after it. Fields with the same name are copied;
the title names the period. The new item is linked back (`recurs_from`), its handlers are told,
and the sweep records `recur` on the responsibility's ledger chain with the new item's id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from workflow.access import Scope
from workflow.deadlines import period_label
from workflow.models import ItemLink, ItemList, Organisation
from workflow.notify.outbox import Message
from workflow.services.lists import NewItem, _create_item
from workflow.services.sweep_events import Context


def generate(ctx: Context, row: Row[Any], period: datetime) -> tuple[int, str]:
    """Issue the item of `row`'s recurrence for the period starting at `period`."""
    rt, session = ctx.rt, ctx.session
    owner = rt.definitions.get(row.kind, row.definition_version)
    assert owner.recurrence is not None
    definition = rt.definitions.get(owner.recurrence.generates)
    label = period_label(owner.recurrence.every, period, rt.calendar.tz)
    start = max(period, ctx.as_of)  # a period caught up late still gets its full time
    due = owner.recurrence.due_within.after(start, rt.calendar)
    item_list = ItemList(kind=definition.kind, title=f"{row.title}（{label}）",
                         issuer_org_id=row.issuer_org_id, issuer_path=row.issuer_path,
                         issued_by_id=None, issued_at=ctx.as_of, period=label)
    session.add(item_list)
    session.flush()
    fields = {k: v for k, v in (row.fields or {}).items() if definition.field_def(k)}
    new = NewItem(title=f"{row.title}（{label}）", assignee_org_id=row.assignee_org_id,
                  due_at=due, fields=fields, primary_person_id=row.primary_person_id,
                  direct_person_id=row.direct_person_id, planned_start_at=period)
    org = session.get_one(Organisation, row.assignee_org_id)
    item_id = _create_item(rt, session, Scope.system(), definition, item_list, org, new,
                           ctx.as_of, row="recurrence", partial=True,
                           extra={"recurs_from": row.id, "period": label})
    session.add(ItemLink(from_item_id=item_id, to_item_id=row.id, kind="recurs_from",
                         created_at=ctx.as_of))
    session.flush()
    people = ctx.recipients.resolve(("handler", "direct_responsible"), row)
    ctx.outbox.add(Message(f"item:{item_id}:recur", "recur",
                           {"title": new.title, "item": item_id, "due": due.isoformat(),
                            "unit": ctx.unit_name(row.assignee_org_id)},
                           item_id=item_id, org_id=row.assignee_org_id, org_path=row.org_path),
                   people)
    return item_id, label
