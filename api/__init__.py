"""The JSON API under /api/v1 (flask-smorest): thin over the engine's services.

`init_api(app)` is called once by web/app.py, the composition root, after the web face has set
up sign-in, CSRF and its error pages. It serves the OpenAPI document at /api/v1/openapi.json and
an interactive page at /api/v1/docs whose Swagger UI assets come from the vendored copy in
web/static/vendor/swagger-ui-dist/ (never a CDN), so it works without internet.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api, Blueprint

from api import (
    accountability,
    dashboards,
    definitions,
    evidence,
    inbox,
    items,
    ledger,
    lists,
    me,
    orgs,
)
from api.common import PREFIX, require_user
from api.errors import ErrorOut, register_errors

BLUEPRINTS: tuple[Blueprint, ...] = (
    me.bp, definitions.bp, lists.bp, items.bp, evidence.bp, ledger.bp, accountability.bp,
    inbox.bp, orgs.bp, dashboards.bp,
)

DESCRIPTION = """\
Sandan (三单): task, responsibility and rectification lists, their items' state machines,
evidence and the tamper-evident ledger (台账).

**Authentication.** Either a session cookie from the web sign-in, or a personal token:
`Authorization: Bearer sdn_…` (`sandan tokens create`). A token acts with its owner's roles.

**CSRF.** Cookie-authenticated writes (POST) must send the `X-CSRFToken` header; `GET /me`
returns the token. Bearer requests need no CSRF token.

**Errors.** Every error answers `{"code", "message", "details"}`: 400 malformed request or
failed CSRF check, 401 not authenticated, 403 not allowed to do this, 404 not found or not
visible to you, 409 version conflict (`details.current_version`), 413 upload too large,
422 invalid input or a trigger not allowed in this state (`details.allowed`).

**Concurrency.** Items carry a `version`; send the one you read with a transition.

**Idempotency.** `POST /lists` and evidence uploads accept an `Idempotency-Key` header: a retry
with the same key answers the first result (`created: false`) instead of creating again.

**Pagination.** Lists answer `next_cursor`; pass it back as `cursor` (opaque, keyset-based).
"""


class SandanApi(Api):
    """flask-smorest's Api with the project's error shape installed instead of its own."""

    ERROR_SCHEMA = ErrorOut

    def _register_error_handlers(self) -> None:
        register_errors(self._app, PREFIX)


def init_api(app: Flask) -> SandanApi:
    """Register the API blueprints, the OpenAPI document and the docs page on `app`."""
    app.config.update(
        API_TITLE="Sandan API",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # relative to /api/v1/docs, so it also works when the app is mounted under a prefix
        OPENAPI_SWAGGER_UI_URL="../../static/vendor/swagger-ui-dist/",
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        },
    )
    api = SandanApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "A personal token."})
    api.spec.components.security_scheme(
        "cookieAuth", {"type": "apiKey", "in": "cookie", "name": "session",
                       "description": "The web session; writes also need X-CSRFToken."})
    for bp in BLUEPRINTS:
        api.register_blueprint(bp)
    # first of the app's request hooks: the upload cap before anything reads a body, and no
    # credentials at all is a 401 before any CSRF check
    names = frozenset(bp.name for bp in BLUEPRINTS)
    app.before_request_funcs.setdefault(None, [])[:0] = [evidence.cap_upload, require_user(names)]
    return api
