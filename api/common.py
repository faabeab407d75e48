"""What every API module shares: the prefix, the blueprint factory, the actor, status docs.

Authentication is flask-login's `current_user`, however it was established (a session cookie
from the web sign-in, or an `Authorization: Bearer` token through web/auth.py's request
loader); the API never looks at credentials itself. Cookie-authenticated writes pass Flask-WTF's
CSRF check (the `X-CSRFToken` header), which the web face applies app-wide.
"""

from __future__ import annotations

import base64
import binascii
import http
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import current_app, request
from flask_login import current_user
from flask_smorest import Blueprint

from api.errors import register_blueprint_errors
from workflow.access import Scope
from workflow.errors import InvalidInput, NotAuthenticated
from workflow.models import Person
from workflow.runtime import Runtime

PREFIX = "/api/v1"
F = TypeVar("F", bound=Callable[..., Any])


def make_blueprint(name: str, description: str) -> Blueprint:
    """A blueprint under /api/v1 whose every route needs a signed-in user and clean text."""
    bp = Blueprint(name, __name__, url_prefix=PREFIX, description=description)
    bp.before_request(_refuse_unstorable_text)
    register_blueprint_errors(bp)
    return bp


def require_user(blueprints: frozenset[str]) -> Callable[[], None]:
    """A check that every request to these blueprints comes from a signed-in user.

    init_api runs it before the app's other request hooks, so that a request without any
    credentials answers 401 rather than failing the CSRF check (400) first.
    """

    def check() -> None:
        if request.blueprint in blueprints and not current_user.is_authenticated:
            raise NotAuthenticated("sign in, or send Authorization: Bearer <token>")

    return check


def _refuse_unstorable_text() -> None:
    """NUL characters and lone surrogates cannot be stored (PostgreSQL refuses NUL): 422.

    Query strings and JSON bodies are checked here; upload file names by the engine.
    """
    values: list[Any] = list(request.args.values())
    if request.is_json:
        values.append(request.get_json(silent=True))
    for text in _strings(values):
        if "\x00" in text or not _encodable(text):
            raise InvalidInput("text must not contain NUL characters or lone surrogates",
                               fields={"_body": ["unstorable character"]})


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["sandan"]
    return rt


def actor() -> Person:
    person: Person = current_user._get_current_object()
    return person


def scope() -> Scope:
    return Scope.of(actor())


def statuses(bp: Blueprint, *codes: int) -> Callable[[F], F]:
    """Document error statuses with the shared error response components."""

    def decorate(view: F) -> F:
        for code in codes:
            view = bp.alt_response(code, response=http.HTTPStatus(code).name)(view)
        return view

    return decorate


def encode_cursor(*position: Any) -> str:
    """An opaque cursor for a keyset position (clients must not build or parse it)."""
    values = [v.isoformat() if isinstance(v, datetime) else v for v in position]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The position a cursor stands for; InvalidInput when it was not made by encode_cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise InvalidInput("cursor: not a cursor this API gave out",
                           fields={"cursor": ["invalid"]})
    return values

#: an item id in a path: 1 to 2³¹-1 (anything else does not match the route: 404)
ITEM = "/items/<int(min=1, max=2147483647):item_id>"
