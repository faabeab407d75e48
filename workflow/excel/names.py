"""Names for ids and labels for actions, looked up in batches for exported rows."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definitions.model import Definition
from workflow.models import ItemList, LedgerEntry, Organisation, Person

ACTIONS = {
    "issue": ("下达", "issued"), "decompose": ("分解", "decomposed"),
    "evidence": ("上传佐证材料", "evidence uploaded"), "waive": ("暂缓督办", "escalation waived"),
    "remind_due": ("到期提醒", "due reminder"), "remind_start": ("开始提醒", "start reminder"),
    "overdue": ("逾期", "overdue"), "escalate": ("升级督办", "escalated"),
    "review_overdue": ("审核超时", "review overdue"), "recur": ("周期生成", "recurred"),
    "register.open": ("列入问责台账", "entered in the register"),
    "register.talk_held": ("已约谈", "talk held"),
    "register.notice_published": ("已通报", "notice published"),
    "register.waived": ("免予问责", "waived"),
    "spot_check.verdict": ("抽查结论", "spot-check verdict"),
}
#: actions that are not steps of the work itself (reminders; evidence is counted on its own)
QUIET = {"remind_due", "remind_start", "evidence"}


def org_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(Organisation.id, Organisation.name)
                           .where(Organisation.id.in_(wanted)))
    return {row.id: row.name for row in rows}


def person_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(Person.id, Person.display_name).where(Person.id.in_(wanted)))
    return {row.id: row.display_name for row in rows}


def list_titles(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(ItemList.id, ItemList.title).where(ItemList.id.in_(wanted)))
    return {row.id: row.title for row in rows}


def action_label(entry: LedgerEntry, definition: Definition | None, lang: str = "zh") -> str:
    """What an entry did, in words: the transition's label, or the engine action's."""
    index = 1 if lang.startswith("en") else 0
    if entry.action == "transition" and entry.trigger and definition is not None:
        found = next((t for t in definition.transitions if t.trigger == entry.trigger), None)
        if found is not None:
            return found.label.get(lang)
    if entry.action in ACTIONS:
        return ACTIONS[entry.action][index]
    return entry.trigger or entry.action


def state_label(definition: Definition | None, state: str | None, lang: str = "zh") -> str:
    if not state:
        return ""
    if definition is None:
        return state
    try:
        return definition.state(state).label.get(lang)
    except KeyError:
        return state
