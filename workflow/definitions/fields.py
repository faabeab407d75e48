"""Strict marshmallow fields for definition YAML: no coercion, and messages written for people.

marshmallow's own fields coerce (`"1"` becomes 1, `1` becomes True) and say "Not a valid
integer."; a definition is written by hand, so a wrong type is a mistake worth naming precisely.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, types

from workflow.definitions.problems import describe
from workflow.durations import Duration

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class _Messages:
    """Message overrides shared by every field below (mixed in before the marshmallow class)."""

    default_error_messages: types.ErrorMessages = {
        "required": "required key is missing",
        "null": "needs a value",
    }


class Text(_Messages, fields.Field):  # type: ignore[type-arg]
    """Non-empty text."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        if not isinstance(value, str):
            raise ValidationError(f"expected text, got {describe(value)}")
        if not value.strip():
            raise ValidationError("must not be empty")
        return value


class Identifier(Text):
    """A code name: lower-case letters, digits and underscores, starting with a letter."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not _IDENTIFIER.match(text):
            raise ValidationError(
                f"'{text}' is not a valid name: use lower-case letters, digits and underscores, "
                "starting with a letter"
            )
        return text


class Colour(Text):
    """A colour as `#rrggbb`; colours are data, so a typo must not reach the page."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not _COLOUR.match(text):
            raise ValidationError(f"'{text}' is not a colour: write it as '#rrggbb' ('#2e7d32')")
        return text


class Whole(_Messages, fields.Field):  # type: ignore[type-arg]
    """A whole number within optional bounds (a yes/no value is not a number)."""

    def __init__(self, *, low: int | None = None, high: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.low = low
        self.high = high

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"expected a whole number, got {describe(value)}")
        if self.low is not None and value < self.low:
            raise ValidationError(_bounds_message(self.low, self.high, value))
        if self.high is not None and value > self.high:
            raise ValidationError(_bounds_message(self.low, self.high, value))
        return value


def _bounds_message(low: int | None, high: int | None, value: int) -> str:
    if high is None:
        return f"must be {low} or more, got {value}"
    return f"must be between {low} and {high}, got {value}"


class Number(_Messages, fields.Field):  # type: ignore[type-arg]
    """A whole or decimal number."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(f"expected a number, got {describe(value)}")
        return value


class Flag(_Messages, fields.Field):  # type: ignore[type-arg]
    """true or false, nothing that merely looks like it."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(f"expected true or false, got {describe(value)}")
        return value


class DurationField(_Messages, fields.Field):  # type: ignore[type-arg]
    """An ISO 8601 duration or working days, parsed (and explained) by `Duration.parse`."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Duration:
        try:
            return Duration.parse(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class ListOf(_Messages, fields.List):  # type: ignore[type-arg]
    """A YAML list (a single string is not a list of one)."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> list[Any]:
        if not isinstance(value, list):
            raise ValidationError(f"expected a list, got {describe(value)}")
        return super()._deserialize(value, attr, data, **kwargs)


class OneOrMany(ListOf):
    """One name or a list of them, always loaded as a list (`from: issued` or `from: [a, b]`)."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> list[Any]:
        if isinstance(value, str):
            value = [value]
        elif not isinstance(value, list):
            raise ValidationError(f"expected a name or a list of names, got {describe(value)}")
        return super()._deserialize(value, attr, data, **kwargs)


class Section(_Messages, fields.Nested):
    """A nested mapping checked by its own schema."""
