"""Typed-in text and spreadsheet cells as the values a definition expects, and marshmallow's
complaints about them in Chinese and English.

A cell may hold a number where text was meant (a code 101), a date or a date-time (Excel's own
dates), an Excel serial day number, or text such as 2026/4/30 or 2026年4月30日: each is read as
a person would read it, and anything else is reported, never guessed.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError

from workflow.definitions.model import FieldDef

BAD = object()
TYPE_MESSAGES = {
    "integer": ("须为整数。", "must be a whole number"),
    "decimal": ("须为数字。", "must be a number"),
    "date": ("须为日期，如 2026-04-30。", "must be a date such as 2026-04-30"),
    "boolean": ("请填“是”或“否”。", "write yes or no"),
}
_YES = {"是", "yes", "true", "y", "1", "对"}
_NO = {"否", "no", "false", "n", "0", "不"}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def coerce(spec: FieldDef, raw: Any) -> Any:
    """A cell or form value as the definition's schema expects it (text stays text)."""
    if spec.type == "integer":
        number = _number(raw)
        return int(number) if number is not None and number == int(number) else BAD
    if spec.type == "decimal":
        number = _number(raw)
        return str(number) if number is not None else BAD
    if spec.type == "date":
        day = parse_date(raw)
        return day.isoformat() if day else BAD
    if spec.type == "boolean":
        text = str(raw).strip().lower()
        return True if text in _YES else False if text in _NO else BAD
    return text_of(raw)


def _number(raw: Any) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    try:
        return Decimal(str(raw).strip())
    except InvalidOperation:
        return None


def parse_date(raw: Any) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 1 < raw < 2958466:
        return date(1899, 12, 30) + timedelta(days=int(raw))  # an Excel serial day number
    match = _DATE.match(str(raw).strip())
    if match is None:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def field_message(choices: tuple[str, ...], messages: list[str]) -> tuple[str, str]:
    """marshmallow's complaint about a field, in Chinese and English."""
    text = " ".join(messages)
    if "Missing data" in text or "must not be empty" in text:
        return "必填。", "required"
    if "Must be one of" in text and choices:
        return f"只能填：{'、'.join(choices)}。", f"must be one of {', '.join(choices)}"
    if "Longer than maximum length" in text:
        return "内容太长。", "too long"
    if "greater than or equal" in text or "less than or equal" in text:
        return f"超出范围（{text}）。", text
    if "Unknown field" in text:
        return "不是这类清单的字段。", "not a field of this kind of list"
    return f"格式不对（{text}）。", text


def messages_of(exc: ValidationError) -> dict[str, list[str]]:
    found = exc.messages if isinstance(exc.messages, dict) else {"": exc.messages}
    return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in found.items()}


def text_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
