"""One pooled database connection per request for all its reads.

A request reads at least twice: the sign-in (a bearer token or the session's person) and the
view. Each `rt.read()` would otherwise take its own connection from the pool and give it back;
inside `Runtime.shared_reads()` they take one between them (workflow/runtime.py), which saves a
checkout and its bookkeeping per request. Writes keep their own connection and transaction.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from flask import Flask, current_app, g, request_started


def init_app(app: Flask) -> None:
    """Open shared reads when a request starts, before every `before_request` hook (sign-in
    runs in those, and faces prepend their own hooks), and close them when it ends."""
    request_started.connect(_open, app)
    app.teardown_request(_close)


def _open(_sender: Flask, **_extra: Any) -> None:
    reads = ExitStack()
    reads.enter_context(current_app.extensions["sandan"].shared_reads())
    g.sandan_reads = reads


def _close(_error: BaseException | None) -> None:
    reads = g.pop("sandan_reads", None)
    if reads is not None:
        reads.close()
