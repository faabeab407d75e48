"""Every main page fits a 375-pixel phone screen: nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import one_backend
from tests.browser.live import DRAWN, MAIN_PAGES, LiveServer

PHONE = {"width": 375, "height": 812}


@one_backend
@pytest.mark.parametrize(("name", "endpoint", "account"), MAIN_PAGES,
                         ids=[page[0] for page in MAIN_PAGES])
def test_page_has_no_horizontal_scrolling_at_375_px(
    name: str, endpoint: str, account: str | None, live: LiveServer,
    page_as: Callable[..., Any],
) -> None:
    path = live.page_path(endpoint)
    assert path is not None, f"there is no {name} page (endpoint {endpoint})"
    page = page_as(account, viewport=PHONE, is_mobile=True)
    answer = page.goto(path)
    assert answer is not None and answer.ok, f"{path} answered {answer and answer.status}"
    page.wait_for_function(DRAWN)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        culprits = page.evaluate(_WIDEST)
        pytest.fail(f"{name} page {path} is {width} px wide at 375 px; too wide: {culprits}")


#: the outermost elements whose right edge passes the screen, to say what to fix
_WIDEST = """() => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 0.5 && !out.some(o => o.el.contains(el))) {
      out.push({el, what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                + (el.className && typeof el.className === 'string'
                   ? '.' + el.className.trim().split(/\\s+/).join('.') : ''),
                right: Math.round(r.right)});
    }
  }
  return out.slice(0, 5).map(o => `${o.what} (right edge ${o.right})`);
}"""
