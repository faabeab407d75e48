"""Browser fixtures: one live server per backend on a seeded demo county, one Chromium per run,
a fresh browser context (cookies, storage, viewport) per test.

The journeys and the dashboard run on SQLite and on PostgreSQL, like the rest of the suite; the
phone-width and language tests check layout and cookies, which no database changes, so they run
on the first backend only (`one_backend`): the browser tests are the slowest part of the suite.
Without Chromium (or Playwright) each test is skipped with the reason, and the run's header says
so.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.browser.live import LiveServer, launch, seed, unavailable
from tests.conftest import BACKENDS, RUN_ID, _pg_admin, _pg_url, _settings
from workflow.demo import DEMO_PASSWORD
from workflow.runtime import Runtime

UNAVAILABLE = unavailable()
DESKTOP = {"width": 1280, "height": 900}
#: how long a step may wait for the page; generous, as CI shares two cores with the database
TIMEOUT_MS = 15_000


def _skip_without_chromium() -> None:
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole browser package."""
    _skip_without_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@contextmanager
def _demo_database(backend: str, templates: dict[str, str], root: Path) -> Iterator[str]:
    """A migrated, empty database of its own for one live server, dropped afterwards."""
    if backend == "sqlite":
        path = root / "demo.db"
        shutil.copy(templates["sqlite"], path)
        yield f"sqlite:///{path}"
        return
    name = f"sandan_b_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{templates["postgresql"]}"')
    try:
        yield _pg_url(name)
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


#: for tests of layout and language, which do not depend on the database: the first backend
#: only (the journeys and the dashboard run on every backend)
one_backend = pytest.mark.parametrize("live", BACKENDS[:1], indirect=True)


@pytest.fixture(scope="package", params=BACKENDS)
def live(request: pytest.FixtureRequest, templates: dict[str, str],
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app on the demo county, served on a free loopback port (wall clock)."""
    _skip_without_chromium()
    root = tmp_path_factory.mktemp(f"live-{request.param}")
    instance = root / "instance"
    instance.mkdir()
    with _demo_database(request.param, templates, root) as url:
        rt = Runtime(_settings(instance, url))
        seed(rt)
        server = LiveServer.start(rt)
        yield server
        server.stop()
        rt.dispose()


@pytest.fixture
def context(browser: Any, live: LiveServer) -> Iterator[Any]:
    """A fresh browser context for this test, pointed at the live server."""
    ctx = browser.new_context(base_url=live.url, viewport=DESKTOP)
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/login")
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("^(密码|Password)")).fill(password)
    page.get_by_role("button", name=re.compile("登录|Sign in")).click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def page_as(browser: Any, live: LiveServer) -> Iterator[Callable[..., Any]]:
    """page_as("zhibu1") -> a page in its own context, signed in as that demo account
    (page_as(None): signed out).

    Each account signs in through the form once per server; later contexts reuse its cookies.
    `diagrams=False` leaves state diagrams as their text source, for journeys that never look
    at them; other options go to Playwright's new_context (viewport, is_mobile...).
    """
    contexts: list[Any] = []

    def open_page(username: str | None, *, diagrams: bool = True, **options: Any) -> Any:
        state = live.sessions.get(username) if username else None
        ctx = browser.new_context(base_url=live.url, viewport=options.pop("viewport", DESKTOP),
                                  storage_state=state, **options)
        ctx.set_default_timeout(TIMEOUT_MS)
        if not diagrams:  # the 5 MB mermaid bundle costs a second of CPU on every item page
            ctx.route("**/vendor/mermaid/**", lambda route: route.abort())
        contexts.append(ctx)
        page = ctx.new_page()
        if username and username not in live.sessions:
            sign_in(page, username)
            live.sessions[username] = ctx.storage_state()
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()
