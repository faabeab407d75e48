"""What only a browser shows on the item page: the drawn state diagram, and the evidence form
refusing a file before sending it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import one_backend
from tests.browser.live import DEMO_ITEM, DRAWN, LiveServer
from tests.browser.steps import open_from
from tests.browser.words import exactly, zh


@one_backend
def test_state_diagram_is_drawn_with_the_current_state_highlighted(
    page_as: Callable[..., Any], live: LiveServer,
) -> None:
    page = page_as("zhibu1")
    page.goto(live.page_path("items.show"))
    page.wait_for_function(DRAWN)
    current = page.locator(".current-state").inner_text().strip()
    states = page.locator(".mermaid svg g.node.statediagram-state")
    expect(states.filter(has_text=exactly("已交办"))).to_have_count(1)
    expect(page.locator(".mermaid svg g.node.s_active")).to_have_text(exactly(current))
    assert page.get_by_role("heading", level=1).inner_text() == DEMO_ITEM


@one_backend
def test_evidence_form_names_a_refused_file_type_before_sending_anything(
    page_as: Callable[..., Any],
) -> None:
    branch = page_as("zhibu2", diagrams=False)
    open_from(branch, "/", "规范“三会一课”记录")
    posted: list[str] = []
    branch.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    section = branch.locator("#evidence")
    section.get_by_label(zh("Upload evidence")).set_input_files(
        {"name": "工具.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"})
    refused = zh("%(name)s: files of this type are not accepted.") % {"name": "工具.exe"}
    expect(section.locator(".upload-errors")).to_have_text(refused)
    section.get_by_role("button", name=exactly(zh("Upload"))).click()
    branch.wait_for_load_state("networkidle")  # a request the click started would show now
    expect(section.locator(".upload-errors")).to_have_text(refused)
    expect(section.get_by_role("link", name="工具.exe")).to_have_count(0)
    assert posted == [], "the file was refused in the browser, nothing was sent"
