"""The language switch: Chinese by default, English once chosen, remembered across pages."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import one_backend, sign_in
from tests.browser.live import LiveServer


def _language_link(page: Any, name: str) -> Any:
    return page.get_by_role("navigation").get_by_role("link", name=name, exact=True)


@one_backend
def test_pages_are_chinese_until_english_is_chosen_and_then_stay_english(
        context: Any, live: LiveServer) -> None:
    page = context.new_page()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()

    _language_link(page, "English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(page, "admin")  # a new page load: the choice is remembered, not carried in the URL
    assert "lang=" not in page.url
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation").get_by_role("link", name="My inbox")).to_be_visible()
    page.goto(live.path("auth.password"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(_LATIN_ONLY)

    _language_link(page, "中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("navigation").get_by_role("link", name="我的待办")).to_be_visible()


_LATIN_ONLY = re.compile(r"^[^\u4e00-\u9fff]+$")
