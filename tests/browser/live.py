"""A live Sandan server on a seeded demo database, and Debian's Chromium to drive it.

Shared by the browser tests and `docs/screenshots.py`. The browser is the system's Chromium
(Debian's `chromium` package), started by Playwright through `executable_path`: Playwright's own
browser downloads are never used, so nothing is fetched at test time.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from workflow.runtime import Runtime

#: flags for a headless browser that talks to nothing but the server under test
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
INSTALL_HINT = ("install Debian's chromium (apt-get install -y chromium fonts-noto-cjk) "
                "or set SANDAN_CHROMIUM")


#: the main pages: a name, the Flask endpoint, and the demo account that mostly uses it
#: (None: signed out). The item page shows the demo's item with the longest history.
MAIN_PAGES = (
    ("login", "auth.login", None),
    ("inbox", "items.inbox", "zhibu2"),
    ("item", "items.show", "zhibu1"),
    ("issue", "issue.index", "zuzhibu"),
    ("dashboard", "dashboard.index", "lingdao"),
    ("review", "review.queue", "ducha"),
    ("rankings", "board.index", "lingdao"),
    ("register", "register.index", "lingdao"),
    ("definitions", "definitions.index", "zhibu1"),
    ("admin", "admin.index", "admin"),
)
DEMO_ITEM = "召开专题组织生活会"
#: true once the page's scripts have drawn it: state diagrams rendered, dashboard charts loaded
DRAWN = """() => document.readyState === 'complete'
  && !document.querySelector('.mermaid:not([data-processed])')
  && !document.querySelector('[data-testid="dashboard"][data-state="loading"]')"""


def chromium_path() -> str | None:
    """The Chromium executable: SANDAN_CHROMIUM if set, else `chromium` on the PATH."""
    configured = os.environ.get("SANDAN_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("chromium")


def unavailable() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "browser tests skipped: the playwright package is missing (pip install -e '.[test]')"
    if chromium_path() is None:
        return f"browser tests skipped: no Chromium found; {INSTALL_HINT}"
    return None


def launch(playwright: Any) -> Any:
    """Start headless Chromium with a fresh temporary profile."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                      args=CHROMIUM_ARGS)


def seed(rt: Runtime) -> None:
    """Migrate, load the definitions and seed the demo county, as `sandan demo` does."""
    from web.commands.db import prepare, seal
    from workflow.demo import seed_demo

    prepare(rt)
    seed_demo(rt)
    seal(rt)


@dataclass
class LiveServer:
    """The real app served by werkzeug in a thread on 127.0.0.1, on a free port."""

    rt: Runtime
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread
    #: signed-in browser state per username, so each account signs in through the form once
    sessions: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @classmethod
    def start(cls, rt: Runtime) -> LiveServer:
        from web.app import create_app

        app = create_app(runtime=rt)
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="sandan-live", daemon=True)
        thread.start()
        return cls(rt, app, server, thread)

    def path(self, endpoint: str, **values: Any) -> str | None:
        """The path of a page by its Flask endpoint; None when this build has no such page."""
        from flask import url_for
        from werkzeug.routing import BuildError

        with self.app.test_request_context():
            try:
                return url_for(endpoint, **values)
            except BuildError:
                return None

    def page_path(self, endpoint: str) -> str | None:
        """The path of one of MAIN_PAGES (the item page shows DEMO_ITEM)."""
        if endpoint == "items.show":
            return self.path(endpoint, item_id=demo_item_id(self.rt))
        return self.path(endpoint)

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


class _QuietHandler(WSGIRequestHandler):
    """Logs errors only: a line per request would bury a failing test's own output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def demo_item_id(rt: Runtime) -> int:
    """The demo item that went all the way to closed (evidence, signatures, a full ledger)."""
    from sqlalchemy import select

    from workflow.models import Item

    with rt.read() as session:
        found = session.scalar(select(Item.id).where(Item.title == DEMO_ITEM).order_by(Item.id))
    assert found is not None, f"the demo has no item {DEMO_ITEM!r}"
    return found
