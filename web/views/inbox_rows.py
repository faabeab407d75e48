"""The inbox's read model for the page: filters from the query string, keyset cursors, and each
item's traffic light, countdown and escalation level grouped by urgency.

Colours and thresholds come from each definition's `lights` (green on time, yellow when the due
date is within the definition's `within`, red when overdue), so they follow the organisation's
own practice; an item without a due date, or a closed one, has no light.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import format_timedelta
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from web.i18n import label_text
from workflow.definitions.model import Definition
from workflow.models import Item
from workflow.queries import ItemFilter, Position, light

#: items per page (and per "more" click)
PAGE = 50


@dataclass(frozen=True)
class Filters:
    """What the filter form asked for, as typed (to refill the form) and as an ItemFilter."""

    q: str = ""
    kind: str = ""
    state: str = ""
    unit: int | None = None
    level: int | None = None
    overdue: bool = False
    mine: bool = False
    closed: bool = False

    def item_filter(self, person_id: int | None) -> ItemFilter:
        return ItemFilter(
            kinds=(self.kind,) if self.kind else (), states=(self.state,) if self.state else (),
            unit_id=self.unit, person_id=person_id if self.mine else None,
            is_open=None if self.closed else True, overdue=True if self.overdue else None,
            escalation_level_min=self.level, text=self.q or None)

    def query(self) -> dict[str, Any]:
        """The non-empty filters as query arguments (for the "more" link)."""
        values = {"q": self.q, "kind": self.kind, "state": self.state, "unit": self.unit,
                  "level": self.level, "overdue": "1" if self.overdue else None,
                  "mine": "1" if self.mine else None, "closed": "1" if self.closed else None}
        return {k: v for k, v in values.items() if v not in (None, "")}


def read_filters(args: MultiDict[str, str]) -> Filters:
    return Filters(
        q=args.get("q", "").strip()[:200], kind=args.get("kind", "").strip(),
        state=args.get("state", "").strip(), unit=_whole(args.get("unit")),
        level=_whole(args.get("level")), overdue=bool(args.get("overdue")),
        mine=bool(args.get("mine")), closed=bool(args.get("closed")))


def _whole(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise BadRequest("not a whole number")
    return int(text)


def cursor(item: Item) -> str:
    """The keyset position after `item`: its due date (ISO, or empty) and id."""
    return f"{item.due_at.isoformat() if item.due_at else ''}~{item.id}"


def read_cursor(text: str | None) -> Position | None:
    if not text:
        return None
    due, _sep, ident = text.rpartition("~")
    try:
        return (datetime.fromisoformat(due) if due else None, int(ident))
    except ValueError:
        raise BadRequest("bad position") from None


@dataclass(frozen=True)
class Row:
    """One inbox line."""

    item: Item
    definition: Definition
    group: str  # the light's name, or "none"
    group_label: str
    color: str | None
    countdown: str
    overdue: bool
    level_label: str | None


def make_row(item: Item, definition: Definition, now: datetime) -> Row:
    lamp = light(definition, item, now)
    overdue = bool(item.is_open and item.due_at is not None and item.due_at <= now)
    if lamp is None:
        group, label, color = "none", _("No traffic light"), None
    else:
        group, color = lamp["name"], lamp["color"]
        label = label_text(lamp["label"])
    return Row(item, definition, group, label, color, countdown(item.due_at, now, item.is_open),
               overdue, level_label(definition, item.escalation_level))


def countdown(due: datetime | None, now: datetime, is_open: bool = True) -> str:
    """"3 days left" / "2 hours overdue" in the page's language; empty without a due date."""
    if due is None or not is_open:
        return ""
    delta = due - now
    if delta > timedelta(0):
        return _("%(time)s left", time=format_timedelta(delta, granularity="minute"))
    return _("%(time)s overdue", time=format_timedelta(-delta, granularity="minute"))


def level_label(definition: Definition, level: int) -> str | None:
    """The escalation rung's label ("催办"), None at level 0."""
    if level <= 0:
        return None
    for step in definition.escalation:
        if step.level == level:
            return label_text(step.label)
    return _("Level %(n)s", n=level)
