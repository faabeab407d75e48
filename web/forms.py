"""Engine errors shown next to form fields, in the user's language.

The engine speaks English (its messages are also the API's). Pages show a field's errors in the
page's language: the messages marshmallow and the engine use are mapped here to translated
texts; an unknown message is shown as it is rather than hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workflow.errors import InvalidInput, NotAllowed, SandanError, TooLarge, VersionConflict

#: key under which errors not tied to one field are collected
GENERAL = "_"

_EXACT = {
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field is required."),
    "must not be empty": _l("This field is required."),
    "Unknown field.": _l("This field is not accepted here."),
    "Not a valid string.": _l("Enter text."),
    "Not a valid integer.": _l("Enter a whole number."),
    "Not a valid number.": _l("Enter a number."),
    "Not a valid decimal.": _l("Enter a number."),
    "Not a valid date.": _l("Enter a date such as 2026-05-01."),
    "Not a valid boolean.": _l("Choose yes or no."),
    "Not a valid URL.": _l("Enter a web address starting with http:// or https://."),
    "expected an ISO 8601 date or date-time": _l("Enter a date such as 2026-05-01."),
    "the year must be between 1900 and 9000": _l("The year must be between 1900 and 9000."),
    "too large": _l("The file is too large."),
    "type not allowed": _l("Files of this type are not accepted."),
    "empty": _l("The file is empty."),
    "no file name": _l("The file needs a name."),
    "required to sign": _l("Enter your password to sign."),
    "bad file name": _l("The file name contains characters that are not allowed."),
    "the new password must differ from the current one":
        _l("The new password must differ from the current one."),
    "the password must contain letters and digits":
        _l("The password must contain letters and digits."),
    "the password must not contain the username":
        _l("The password must not contain the username."),
}

_PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"Longer than maximum length (\d+)\."),
     lambda m: _("At most %(n)s characters.", n=m.group(1))),
    (re.compile(r"Shorter than minimum length (\d+)\."),
     lambda m: _("At least %(n)s characters.", n=m.group(1))),
    (re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\."),
     lambda m: _("Enter a value from %(low)s to %(high)s.", low=m.group(1), high=m.group(2))),
    (re.compile(r"Must be one of: (.*)\."),
     lambda m: _("Choose one of: %(choices)s.", choices=m.group(1))),
    (re.compile(r"the password must have at least (\d+) characters"),
     lambda m: _("The password must have at least %(n)s characters.", n=m.group(1))),
    (re.compile(r"'.*' is not an ISO 8601 date or date-time"),
     lambda m: _("Enter a date such as 2026-05-01.")),
)


def translate(message: str) -> str:
    """One engine or marshmallow message in the page's language (as it is when unknown)."""
    if message in _EXACT:
        return str(_EXACT[message])
    for pattern, render in _PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return str(render(match))
    return message


def field_errors(error: SandanError) -> dict[str, list[str]]:
    """Translated messages by field name; what belongs to no field under GENERAL."""
    fields = error.details.get("fields") if isinstance(error, InvalidInput) else None
    found: dict[str, list[str]] = {}
    if isinstance(fields, dict):
        for name, messages in fields.items():
            found[str(name)] = [translate(m) for m in _flat(messages)]
    if not found:
        found[GENERAL] = [general_message(error)]
    return found


def general_message(error: SandanError) -> str:
    """A sentence for the top of a form or a flash message."""
    if isinstance(error, VersionConflict):
        return _("Someone changed this item while you were looking at it. Nothing was saved: "
                 "review the current state below and try again.")
    if isinstance(error, TooLarge):
        return _("The file is too large.")
    if isinstance(error, InvalidInput):
        return _("Please correct the marked fields. Nothing was saved.")
    if isinstance(error, NotAllowed):
        return _("You may not do this: %(reason)s", reason=error.message)
    return error.message


def _flat(messages: Any) -> Iterable[str]:
    if isinstance(messages, str):
        yield messages
    elif isinstance(messages, dict):
        for value in messages.values():
            yield from _flat(value)
    elif isinstance(messages, list | tuple):
        for value in messages:
            yield from _flat(value)
    else:
        yield str(messages)
