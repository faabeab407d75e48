"""What the pages say in Chinese, looked up in the app's own catalogue.

The tests find buttons and fields by their visible names, as a person would; taking the Chinese
from messages.mo keeps them independent of wording changes made by translators.
"""

from __future__ import annotations

import re
from functools import cache

from babel import Locale
from babel.support import Translations

from web.i18n import DEFAULT, TRANSLATIONS


@cache
def _catalogue() -> Translations:
    return Translations.load(str(TRANSLATIONS), [Locale.parse(DEFAULT)])


def zh(message: str) -> str:
    """The Chinese the pages show for the English `message` (itself when untranslated)."""
    return _catalogue().gettext(message)


def exactly(text: str) -> re.Pattern[str]:
    """A pattern for a control whose whole visible name is `text` (spaces around allowed)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def label_of(text: str) -> re.Pattern[str]:
    """A pattern for a field labelled `text`, with or without the `*` of a required field."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")
