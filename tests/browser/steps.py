"""What a person does on the item page: open an action's form, fill it in, upload evidence.

Everything is found by its visible name (the action labels come from the list definitions, the
rest from the Chinese catalogue), so a renamed or missing control fails the journey.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.words import exactly, zh
from workflow.demo import DEMO_PASSWORD


def act(page: Any, action: str, *, comment: str | None = None, sign: bool = False) -> None:
    """Open `action`'s form on the item page, fill in what it asks, and send it."""
    form = page.locator("#actions details").filter(
        has=page.locator("summary", has_text=exactly(action)))
    form.locator("summary").click()
    if comment is not None:
        form.get_by_label(zh("Comment")).fill(comment)
    if sign:
        form.get_by_label(zh("Sign with your password")).fill(DEMO_PASSWORD)
    form.get_by_role("button", name=exactly(action)).click()
    confirmed(page, zh("Done: %(action)s.") % {"action": action})


def confirmed(page: Any, message: str) -> None:
    """The page says `message` in its success notice (a polite status, not an alert)."""
    expect(page.get_by_role("status").filter(has_text=message)).to_be_visible()


def upload_evidence(page: Any, *files: tuple[str, bytes, str]) -> None:
    """Attach files (name, content, MIME type) with the evidence form, several at once."""
    section = page.locator("#evidence")
    section.get_by_label(zh("Upload evidence")).set_input_files(
        [{"name": name, "mimeType": mime, "buffer": data} for name, data, mime in files])
    section.get_by_role("button", name=exactly(zh("Upload"))).click()
    for name, _data, _mime in files:
        expect(page.locator("#evidence").get_by_role("link", name=name)).to_be_visible()


def state_is(page: Any, label: str) -> None:
    """The item's current-state badge says `label` (the definition's Chinese state name)."""
    expect(page.locator(".current-state")).to_have_text(exactly(label))


def open_from(page: Any, where: str, title: str) -> None:
    """Go to a list page (a path) and follow the link to the item called `title`."""
    page.goto(where)
    page.get_by_role("link", name=title, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(exactly(title))
