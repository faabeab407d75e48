"""Every API error in one JSON shape, `{"code", "message", "details"}`, mapped in one place.

`STATUS` maps the engine's exception tree to HTTP statuses (the most specific class wins);
`HTTP_CODES` names the errors Flask, Flask-WTF and webargs raise themselves (malformed JSON,
CSRF, unknown route, wrong method, body too large, invalid arguments). Nothing a client sends
should become a 500: an unexpected exception is a bug, and still answers in this shape.
"""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, fields
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from workflow.errors import (
    DefinitionError,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    SandanError,
    TimedOut,
    TooLarge,
    VersionConflict,
)

#: the engine's errors and their statuses; a class not listed takes its nearest listed base
STATUS: dict[type[SandanError], int] = {
    NotAuthenticated: 401,
    NotAllowed: 403,
    NotFound: 404,
    VersionConflict: 409,
    TooLarge: 413,
    TimedOut: 503,
    InvalidInput: 422,
    InvalidTransition: 422,
    DefinitionError: 422,
    SandanError: 500,
}

#: machine-readable codes for errors raised outside the engine, by status
HTTP_CODES = {
    400: "malformed_request",
    401: "not_authenticated",
    403: "not_allowed",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "unavailable",
}


class ErrorOut(Schema):
    """The body of every error answer."""

    code = fields.String(required=True, metadata={
        "description": "Stable machine-readable code, e.g. not_found, version_conflict, "
                       "invalid_transition, invalid_input, too_large, csrf_failed.",
        "example": "invalid_transition"})
    message = fields.String(required=True, metadata={
        "description": "A human-readable explanation (may be Chinese or English).",
        "example": "'close' is not allowed in state 'submitted' (待审核); allowed: approve"})
    details = fields.Dict(required=True, metadata={
        "description": "Machine-readable specifics: `fields` (input errors by field), "
                       "`current_version` (409), `allowed` (422 for a trigger), `limit` (413).",
        "example": {"state": "submitted", "allowed": ["send_back", "fail_review", "approve"]}})


def status_of(error: SandanError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    answer = jsonify(code=code, message=message, details=details or {})
    answer.status_code = status
    answer.headers.update(headers or {})
    return answer


def sandan_error(error: SandanError) -> Response:
    """An engine error raised by an API view (or its before_request checks)."""
    status = status_of(error)
    headers = {"WWW-Authenticate": 'Bearer realm="sandan"'} if status == 401 else None
    if status == 503:  # the database cancelled a slow statement: say so, and when to retry
        headers = {"Retry-After": "5"}
    told = status < 500 or status == 503
    return error_response(status, error.code, error.message if told else "internal error",
                          error.details if told else {}, headers)


def integrity_error(error: IntegrityError) -> Response:
    """Two requests raced to create the same thing (e.g. one Idempotency-Key): retry once."""
    text = str(error.orig).lower()
    if "unique" not in text and "duplicate key" not in text:
        raise error
    return error_response(409, "conflict", "a concurrent request created the same thing; "
                          "retry this request to get its result")


def http_error(error: HTTPException) -> Response:
    """An error Flask, Flask-WTF or webargs raised, in the common shape."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if isinstance(error, CSRFError):
        return error_response(400, "csrf_failed", f"CSRF check failed: {error.description}. "
                              "Cookie-authenticated writes need the X-CSRFToken header "
                              "(GET /api/v1/me gives the token); bearer requests do not.")
    if status == 400 and messages:
        return error_response(400, "malformed_request", "the request body is not valid JSON",
                              {"fields": messages})
    if status == 422 and messages:
        return error_response(422, "invalid_input", "invalid input: " + _flatten(messages),
                              {"fields": messages})
    code = HTTP_CODES.get(status, "internal_error" if status >= 500 else "http_error")
    message = _describe(error, status)
    return error_response(status, code, message, headers=dict(data.get("headers") or {}))


def _describe(error: HTTPException, status: int) -> str:
    if status >= 500:
        return "internal error; it has been logged"
    if status == 405:
        return f"{request.method} is not allowed here; allowed: " + ", ".join(
            sorted(getattr(error, "valid_methods", None) or []))
    return error.description or http.HTTPStatus(status).phrase


def _flatten(messages: Any, prefix: str = "") -> str:
    if isinstance(messages, dict):
        return "; ".join(_flatten(v, f"{prefix}{k}.") for k, v in messages.items())
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return f"{prefix.rstrip('.')}: " + " ".join(messages)
    if isinstance(messages, list):
        return "; ".join(_flatten(v, f"{prefix}{n}.") for n, v in enumerate(messages))
    return f"{prefix.rstrip('.')}: {messages}"


def register_blueprint_errors(bp: Blueprint) -> None:
    """Engine errors raised by an API blueprint's views answer in the common shape."""
    bp.register_error_handler(SandanError, sandan_error)
    bp.register_error_handler(IntegrityError, integrity_error)


def register_errors(app: Flask, prefix: str) -> None:
    """Install the mapping of HTTP errors once, app-wide, in JSON under `prefix` only.

    HTTP errors outside `prefix` keep the web face's pages: the handlers it registered for
    single statuses (which Flask prefers over this class-wide one) are wrapped so that they
    answer in JSON under `prefix`. Call it after the web face has registered its error pages.
    """

    def under_api() -> bool:
        return request.path == prefix or request.path.startswith(prefix + "/")

    def api_first(web: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda error: http_error(error) if under_api() else web(error)

    for code, handlers in app.error_handler_spec[None].items():
        if code is not None:
            for cls, web in list(handlers.items()):
                handlers[cls] = api_first(web)
    app.register_error_handler(HTTPException, api_first(lambda error: error))
