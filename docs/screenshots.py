"""Render the main pages of the demo county to docs/screenshots/*.png for the README.

    .venv/bin/python docs/screenshots.py [PAGE...]   # or: make screenshots (every page)

Seeds a fresh demo database in a temporary folder, serves it on a free loopback port and takes
the pictures with Debian's Chromium (apt-get install chromium fonts-noto-cjk: without the CJK
fonts Chinese text renders as boxes). Pages are shown in Chinese, as users see them first.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from any folder

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.live import (  # noqa: E402
    DRAWN,
    MAIN_PAGES,
    LiveServer,
    launch,
    seed,
    unavailable,
)
from workflow.config import Settings  # noqa: E402
from workflow.demo import DEMO_PASSWORD  # noqa: E402
from workflow.runtime import Runtime  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
#: pages also taken at phone width
PHONE_PAGES = ("inbox",)
#: pages whose first such link leads to a page worth showing too (name, link selector)
FOLLOW = {"rankings": ("board", "main table a[href*='Q']")}  # a quarter's board


def main(wanted: list[str]) -> int:
    reason = unavailable()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        rt = Runtime(Settings.from_env({"SANDAN_INSTANCE_PATH": tmp,
                                        "SANDAN_DATABASE_URL": f"sqlite:///{tmp}/demo.db"}))
        seed(rt)
        server = LiveServer.start(rt)
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                _shoot_all(browser, server, wanted)
                browser.close()
        finally:
            server.stop()
            rt.dispose()
    return 0


def _shoot_all(browser: object, server: LiveServer, wanted: list[str]) -> None:
    for name, endpoint, account in MAIN_PAGES:
        if wanted and name not in wanted:
            continue
        path = server.page_path(endpoint)
        if path is None:
            print(f"skipped {name}: no page {endpoint} in this build")
            continue
        _shoot(browser, server, account, path, OUT / f"{name}.png", DESKTOP, FOLLOW.get(name))
        if name in PHONE_PAGES:
            _shoot(browser, server, account, path, OUT / f"{name}-phone.png", PHONE)


def _shoot(browser: object, server: LiveServer, account: str | None, path: str, target: Path,
           viewport: dict[str, int], follow: tuple[str, str] | None = None) -> None:
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=server.url, viewport=viewport, is_mobile=viewport is PHONE,
        device_scale_factor=2 if viewport is PHONE else 1, locale="zh-CN")
    page = context.new_page()
    if account:
        page.goto("/login")
        page.fill("#username", account)
        page.fill("#password", DEMO_PASSWORD)
        page.locator("form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
    answer = page.goto(path)
    if answer is None or not answer.ok:
        print(f"skipped {target.name}: {path} answered {answer and answer.status}")
        context.close()
        return
    _picture(page, target)
    if follow:
        page.locator(follow[1]).first.click()
        _picture(page, target.with_name(f"{follow[0]}.png"))
    context.close()


def _picture(page: object, target: Path) -> None:
    page.wait_for_function(DRAWN)  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]  # let charts finish animating
    page.screenshot(path=str(target))  # type: ignore[attr-defined]
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
