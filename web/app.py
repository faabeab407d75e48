"""The Flask application factory: the composition root of the web and API faces."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from workflow.config import Settings, production_problems
from workflow.errors import ConfigError
from workflow.runtime import Runtime

csrf = CSRFProtect()


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app around one Runtime (made from the environment when not given, its
    statements limited to SANDAN_STATEMENT_TIMEOUT)."""
    rt = runtime
    if rt is None:
        settings = settings or Settings.from_env()
        rt = Runtime(settings, statement_timeout=settings.statement_timeout)
    problems = production_problems(rt.settings)
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(rt.settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=rt.settings.environment == "production",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=rt.settings.environment == "production",
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
    )
    app.extensions["sandan"] = rt
    if rt.settings.proxies:
        hops = rt.settings.proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    csrf.init_app(app)
    _register(app)
    return app


def _register(app: Flask) -> None:
    from web import auth, errors, i18n, nav, reads, sessions
    from web.views import items

    reads.init_app(app)
    i18n.init_app(app, app.extensions["sandan"].settings.timezone)
    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(items.bp)
    from web.views import dashboards, review

    app.register_blueprint(dashboards.bp)
    app.register_blueprint(review.bp)
    from web.views import admin, board, definitions, register

    for pages in (board, register, definitions, admin):
        app.register_blueprint(pages.bp)
    from web.views import exports, issuing

    for pages in (issuing, exports):
        app.register_blueprint(pages.bp)
    sessions.init_app(app, app.extensions["sandan"].settings)
    app.add_template_global(nav.nav_links)
    errors.init_app(app)
    _register_operations(app)
    from api import init_api

    init_api(app)  # last: the API answers its own errors in JSON under /api/v1


def _register_operations(app: Flask) -> None:
    """Health, readiness and metrics endpoints; request ids and request metrics."""
    from web import logs, metrics, ops

    app.register_blueprint(ops.bp)
    metrics.init_app(app)
    logs.init_app(app)


def _secret_key(settings: Settings) -> str:
    """The configured key; outside production a per-instance key is made once and kept."""
    if settings.secret_key:
        return settings.secret_key
    if settings.environment == "production":
        raise ConfigError("SANDAN_SECRET_KEY must be set in production")
    path = Path(settings.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
