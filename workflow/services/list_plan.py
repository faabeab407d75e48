"""What checking a list's rows produces: columns, problems, the preview and the plan to issue.

Plain data, so a face can show it and keep a plan between two requests (`ListPlan.to_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow.definitions.model import Label
from workflow.errors import InvalidInput
from workflow.services.lists import NewItem


@dataclass(frozen=True)
class Column:
    """One column of a list's rows: the item's own (title, unit, …) or a definition field."""

    key: str
    label: Label
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    hint: Label | None = None


@dataclass(frozen=True)
class Problem:
    """What is wrong with one cell (or the whole file, when `row` is 0)."""

    row: int
    column: str
    zh: str
    en: str
    letter: str | None = None
    label: Label | None = None

    def text(self, lang: str = "zh") -> str:
        en = lang.startswith("en")
        message = self.en if en else self.zh
        if not self.row:
            return message
        if en:
            where = f"row {self.row}"
            if self.label is not None:
                letter = f"column {self.letter} " if self.letter else ""
                where += f", {letter}({self.label.en})"
            return f"{where}: {message}"
        where = f"第{self.row}行"
        if self.label is not None:
            where += f" {self.letter}列" if self.letter else ""
            where += f" {self.label.zh}"
        return f"{where}：{message}"


@dataclass(frozen=True)
class RawRow:
    """A row as the user gave it; `values` by column key, `letters` where each came from."""

    number: int
    values: dict[str, Any]
    letters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PreviewRow:
    """What one checked row will create, in words a person can compare with the file."""

    number: int
    title: str
    unit: str
    due: str
    primary: str
    direct: str
    fields: dict[str, str]


@dataclass(frozen=True)
class ListPlan:
    """A checked list, ready to issue; plain data so a face can keep it between two requests."""

    kind: str
    title: str
    issuer_org_id: int
    items: tuple[NewItem, ...]
    period: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "issuer": self.issuer_org_id,
                "period": self.period, "items": [_item_dict(i) for i in self.items]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ListPlan:
        try:
            items = tuple(_item_from(i) for i in data["items"])
            return cls(str(data["kind"]), str(data["title"]), int(data["issuer"]), items,
                       data.get("period"))
        except (KeyError, TypeError, ValueError):
            raise InvalidInput("the prepared list is damaged; upload the file again") from None


@dataclass
class Checked:
    """The outcome of checking: what would be created and every problem found."""

    plan: ListPlan | None
    preview: list[PreviewRow]
    problems: list[Problem]
    kind: str | None = None

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.problems


def _item_dict(item: NewItem) -> dict[str, Any]:
    return {"title": item.title, "unit": item.assignee_org_id,
            "due": item.due_at.isoformat() if item.due_at else None, "fields": item.fields,
            "primary": item.primary_person_id, "direct": item.direct_person_id}


def _item_from(data: dict[str, Any]) -> NewItem:
    due = datetime.fromisoformat(data["due"]) if data.get("due") else None
    return NewItem(title=str(data["title"]), assignee_org_id=int(data["unit"]), due_at=due,
                   fields=dict(data.get("fields") or {}),
                   primary_person_id=_optional_int(data.get("primary")),
                   direct_person_id=_optional_int(data.get("direct")))


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
