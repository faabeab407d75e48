"""Languages, the layout and the error pages: Chinese by default, English on request, every
text translated, and no traceback ever shown."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask

from tests.conftest import World
from tests.web.test_pages import login
from web import i18n
from web.app import create_app


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)
    app.config["TESTING"] = True
    return app


# --- the catalogue (no database needed) ---------------------------------------------------------

def test_every_message_has_a_chinese_translation() -> None:
    assert i18n.untranslated() == [], "run `sandan i18n update` and fill in these msgstr"


def test_the_committed_mo_file_is_compiled_from_the_po_file() -> None:
    assert i18n.COMPILED.read_bytes() == i18n.compiled_bytes(), "run `sandan i18n compile`"


def test_every_marked_text_of_the_pages_is_in_the_catalogue() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        from babel.messages.frontend import CommandLineInterface

        CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(i18n.WEB / "babel.cfg"),
                                    "-k", "lazy_gettext", "-k", "_l", "-o", str(pot),
                                    str(i18n.WEB)])
        with pot.open("rb") as source:
            wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(source) if m.id}
    with i18n.CATALOG.open("rb") as source:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(source) if m.id}
    assert sorted(wanted - known) == [], "run `sandan i18n update`"


def test_an_untranslated_or_fuzzy_entry_is_reported(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                  'msgid "Done"\nmsgstr "完成"\n\nmsgid "Open"\nmsgstr ""\n\n'
                  '#, fuzzy\nmsgid "Close"\nmsgstr "关"\n', encoding="utf-8")
    assert i18n.untranslated(po) == ["Open", "Close"]


# --- choosing the language ----------------------------------------------------------------------

def test_pages_are_chinese_by_default_and_english_after_the_switch(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "用户名" in page and "Username" not in page
    answer = client.get("/login?lang=en")
    page = answer.get_data(as_text=True)
    assert '<html lang="en">' in page and "Username" in page and "用户名" not in page
    assert any(c.startswith("lang=en;") for c in answer.headers.getlist("Set-Cookie"))
    page = client.get("/login").get_data(as_text=True)  # the cookie keeps the choice
    assert "Username" in page
    page = client.get("/login?lang=zh_CN").get_data(as_text=True)
    assert "用户名" in page
    assert "用户名" in client.get("/login").get_data(as_text=True)


def test_an_unknown_language_falls_back_to_chinese(app: Flask) -> None:
    client = app.test_client()
    answer = client.get("/login?lang=fr", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "用户名" in answer.get_data(as_text=True)
    assert not any(c.startswith("lang=") for c in answer.headers.getlist("Set-Cookie"))


def test_the_language_switch_keeps_the_page_and_its_query(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/login?next=/items/3").get_data(as_text=True)
    assert 'href="/login?next=/items/3&amp;lang=en"' in page or \
        'href="/login?next=%2Fitems%2F3&amp;lang=en"' in page
    assert 'aria-current="true">中文' in page


def test_flash_messages_follow_the_language(app: Flask) -> None:
    client = app.test_client()
    client.get("/login?lang=en")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Please sign in." in page
    client.get("/login?lang=zh_CN")
    assert "请先登录" in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_times_are_shown_in_the_configured_zone(app: Flask) -> None:
    from datetime import UTC, datetime

    with app.test_request_context("/"):
        assert i18n.localtime(datetime(2026, 3, 1, 16, 30, tzinfo=UTC)) == "2026-03-02 00:30"
        assert i18n.localtime(None) == "—"


# --- layout and navigation ----------------------------------------------------------------------

def test_layout_has_viewport_skip_link_and_language_switch(app: Flask) -> None:
    page = app.test_client().get("/login").get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert 'href="#main"' in page and 'id="main"' in page
    assert 'hreflang="en"' in page and 'hreflang="zh-CN"' in page
    assert 'for="username"' in page and 'id="username"' in page  # labels belong to fields


def test_navbar_shows_only_existing_pages_the_role_may_use(world: World, app: Flask) -> None:
    client = app.test_client()
    login(client, "handler_a")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/"' in page and "我的待办" in page
    assert "系统管理" not in page  # the admin link: not a handler's, and maybe not built yet
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/").get_data(as_text=True)
    shown = "admin.index" in app.view_functions
    assert ("系统管理" in page) == shown


# --- error pages --------------------------------------------------------------------------------

def test_not_found_page_is_in_the_apps_style_and_language(app: Flask) -> None:
    client = app.test_client()
    answer = client.get("/no/such/page")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404 and "未找到" in page and 'class="navbar' in page
    page = client.get("/no/such/page?lang=en").get_data(as_text=True)
    assert "Not found" in page


def test_method_not_allowed_gets_a_page(app: Flask) -> None:
    answer = app.test_client().delete("/login")
    assert answer.status_code == 405 and "不支持此操作" in answer.get_data(as_text=True)


def test_an_unexpected_error_shows_an_apology_and_no_traceback(app: Flask) -> None:
    def broken() -> str:
        raise RuntimeError("secret internals")

    app.add_url_rule("/broken", "broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    answer = app.test_client().get("/broken")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 500 and "出错了" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_a_statement_the_database_cancelled_gets_a_page_saying_so(app: Flask) -> None:
    from workflow.errors import TimedOut

    def slow() -> str:  # what a page's read raises when the statement timeout cancels it
        raise TimedOut("the database cancelled a statement")

    app.add_url_rule("/slow", "slow", slow)
    answer = app.test_client().get("/slow")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503 and "响应超时" in page and "未作任何更改" in page


def test_the_api_keeps_its_json_errors(app: Flask) -> None:
    answer = app.test_client().get("/api/v1/no-such-thing")
    assert answer.status_code == 404 and answer.is_json and answer.json["code"] == "not_found"


def test_a_link_to_a_page_that_does_not_exist_is_left_out(world: World, app: Flask,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from web import nav

    planned = nav.NavLink("planned.index", "规划中的页面", "star")
    monkeypatch.setattr(nav, "NAV", (*nav.NAV, planned))
    client = app.test_client()
    login(client, "admin")
    page = client.get("/").get_data(as_text=True)
    assert "规划中的页面" not in page and "我的待办" in page


def test_an_oversized_request_gets_the_too_large_page(world: World, app: Flask) -> None:
    client = app.test_client()
    login(client, "handler_a")
    body = io.BytesIO(b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    answer = client.post("/items/1/evidence", data={"files": (body, "big.pdf")},
                         content_type="multipart/form-data")
    assert answer.status_code == 413 and "内容过大" in answer.get_data(as_text=True)
