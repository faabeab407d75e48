"""Languages of the web pages: Chinese (zh_CN) by default, English on request.

How to add or change a text (everyone who writes a page):

1. Write the message in ENGLISH and mark it:
   - templates: ``{{ _("Due date") }}``, with values ``{{ _("%(n)s items", n=count) }}``;
     plurals ``{{ ngettext("%(num)d item", "%(num)d items", count) }}``; a block of text
     ``{% trans %}…{% endtrans %}``;
   - Python (views, forms): ``from flask_babel import gettext as _`` inside a request, or
     ``lazy_gettext`` for module-level constants (messages flashed or rendered later).
   Never hard-code Chinese in web/; labels that come from definitions (Label.zh / Label.en) are
   shown with the ``|label`` filter: ``{{ definition.label|label }}``.
2. Run ``sandan i18n update`` (or ``make translations``): it extracts every marked message of
   web/ (babel.cfg), merges them into the catalogue
   web/translations/zh_Hans_CN/LC_MESSAGES/messages.po and compiles messages.mo beside it. New
   messages arrive with an empty ``msgstr``. (Babel calls zh_CN by its CLDR name zh_Hans_CN and
   looks for that directory.)
3. Fill in each empty ``msgstr`` in messages.po with the Chinese, then ``sandan i18n compile``.
   Commit both messages.po and messages.mo. tests/web/test_i18n.py fails on an empty or fuzzy
   translation and on a messages.mo that does not match messages.po.

The merge rewrites messages.po as a whole: run it when no one else is running it, and re-read
the file before editing it by hand.

Choosing the language: ``?lang=en`` or ``?lang=zh_CN`` on any page switches and is remembered in
the ``lang`` cookie (a year); without either, pages are Chinese. Browser preferences
(Accept-Language) are deliberately not consulted: the users' browsers are often set to English
while the organisation works in Chinese. Times are shown in the configured time zone
(SANDAN_TIMEZONE) with the ``|localtime`` filter.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, request, url_for
from flask_babel import Babel, get_locale
from werkzeug.wrappers import Response

WEB = Path(__file__).resolve().parent
TRANSLATIONS = WEB / "translations"
#: Babel names Simplified Chinese of China `zh_Hans_CN` (CLDR) and looks for that directory, so
#: the catalogue lives there although the language is called zh_CN everywhere else
CATALOG = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
COMPILED = CATALOG.with_suffix(".mo")
DEFAULT = "zh_CN"
#: the languages offered, in the order the switch shows them, with their own names
LANGUAGES = {"zh_CN": "中文", "en": "English"}
_ALIASES = {"zh": "zh_CN", "zh-cn": "zh_CN", "zh_cn": "zh_CN", "en": "en", "en-us": "en",
            "en_us": "en", "en-gb": "en"}
COOKIE = "lang"

babel = Babel()


def init_app(app: Flask, timezone: str) -> None:
    """Install Flask-Babel, the language switch, the time filter and the template helpers."""
    app.config.update(BABEL_DEFAULT_LOCALE=DEFAULT, BABEL_DEFAULT_TIMEZONE=timezone,
                      BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_remember_choice)
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(label_text, "label")
    app.add_template_global(lang_url)
    app.context_processor(lambda: {"lang": html_lang(), "languages": LANGUAGES})


def normalise(code: str | None) -> str | None:
    """One of LANGUAGES for a code such as `zh-CN` or `en`; None when not offered."""
    return _ALIASES.get((code or "").strip().lower())


def select_locale() -> str:
    """`?lang=` first (the switch), then the cookie, then Chinese."""
    return (normalise(request.args.get("lang")) or normalise(request.cookies.get(COOKIE))
            or DEFAULT)


def _remember_choice(response: Response) -> Response:
    """Keep a page's `?lang=` in the cookie (token clients of the API get no cookie)."""
    chosen = normalise(request.args.get("lang"))
    if "Authorization" in request.headers:
        return response
    if chosen and chosen != normalise(request.cookies.get(COOKIE)):
        response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=request.is_secure)
    return response


def current_language() -> str:
    """`en` or `zh_CN`: the language of this request."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else DEFAULT


def html_lang() -> str:
    """The value for `<html lang>`: `zh-CN` or `en`."""
    return "en" if current_language() == "en" else "zh-CN"


def label_text(label: Any) -> str:
    """A definition's Label (zh/en) in the page's language; other values as they are."""
    if label is None:
        return ""
    if hasattr(label, "zh") and hasattr(label, "en"):
        return str(label.en if current_language() == "en" else label.zh)
    if isinstance(label, dict) and {"zh", "en"} <= label.keys():
        return str(label["en"] if current_language() == "en" else label["zh"])
    return str(label)


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment shown in the configured time zone (SANDAN_TIMEZONE); `—` for none."""
    if value is None:
        return "—"
    return value.astimezone(current_app.extensions["sandan"].settings.tz).strftime(fmt)


def lang_url(code: str) -> str:
    """This page's address with `lang=code`, keeping its other query arguments."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    if request.endpoint is None:
        return f"{request.script_root}{request.path}?lang={code}"
    return url_for(request.endpoint, **{**(request.view_args or {}), **args})


# --- maintaining the catalogue -----------------------------------------------------------------

def compiled_bytes(po_path: Path = CATALOG) -> bytes:
    """What messages.mo must contain for `po_path` (fuzzy entries are left out, as gettext does)."""
    with po_path.open("rb") as source:
        catalog = read_po(source, locale="zh_Hans_CN")
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_catalog() -> None:
    COMPILED.write_bytes(compiled_bytes())


def update_catalog(pot: Path) -> None:
    """Extract web/'s messages into `pot` and merge them into the zh_CN catalogue."""
    pybabel = CommandLineInterface()
    pybabel.run(["pybabel", "-q", "extract", "-F", str(WEB / "babel.cfg"), "-k", "lazy_gettext",
                 "-k", "_l", "--no-location", "--sort-output", "--project", "Sandan",
                 "-o", str(pot), str(WEB)])
    if not CATALOG.exists():
        pybabel.run(["pybabel", "-q", "init", "-i", str(pot), "-d", str(TRANSLATIONS), "-l",
                     "zh_Hans_CN", "--width", "100"])
    pybabel.run(["pybabel", "-q", "update", "-i", str(pot), "-d", str(TRANSLATIONS), "-l",
                 "zh_Hans_CN", "--no-fuzzy-matching", "--ignore-obsolete", "--width", "100"])


def untranslated(po_path: Path = CATALOG) -> list[str]:
    """Messages of the catalogue without a (non-fuzzy) Chinese translation."""
    with po_path.open("rb") as source:
        catalog = read_po(source, locale="zh_Hans_CN")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


@click.group("i18n")
def i18n_command() -> None:
    """Maintain the Chinese translation of the web pages (see web/i18n.py)."""


@i18n_command.command("update")
def update_command() -> None:
    """Extract messages from web/, merge them into messages.po and compile messages.mo."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        update_catalog(Path(tmp) / "messages.pot")
    compile_catalog()
    _report()


@i18n_command.command("compile")
def compile_command() -> None:
    """Compile messages.po into messages.mo."""
    compile_catalog()
    _report()


def _report() -> None:
    missing = untranslated()
    click.echo(f"{CATALOG.relative_to(WEB.parent)}: {len(missing)} untranslated")
    for msgid in missing:
        click.echo(f"  {msgid}")


__all__ = ["LANGUAGES", "current_language", "init_app", "label_text", "localtime"]
