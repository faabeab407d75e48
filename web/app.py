"""The Flask application factory: the composition root of the web and API faces."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, render_template, request, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from workflow.config import Settings
from workflow.errors import ConfigError
from workflow.runtime import Runtime

csrf = CSRFProtect()


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app around one Runtime (made from the environment when not given)."""
    rt = runtime or Runtime(settings or Settings.from_env())
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
    from web import auth, sessions
    from web.views import items

    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(items.bp)
    sessions.init_app(app, app.extensions["sandan"].settings)
    app.context_processor(_template_globals)
    app.add_template_filter(_localtime, "localtime")
    for code in (400, 403, 404, 429):
        app.register_error_handler(code, _error_page)
    from api import init_api

    init_api(app)  # last: the API answers its own errors in JSON under /api/v1


def _template_globals() -> dict[str, Any]:
    lang = request.args.get("lang") or request.cookies.get("lang") or "zh-CN"
    return {"lang": lang, "login_url": url_for("auth.login"), "logout_url": url_for("auth.logout"),
            "home_url": url_for("items.inbox")}


def _localtime(value: datetime) -> str:
    """A UTC moment shown in the configured time zone."""
    rt = current_app.extensions["sandan"]
    return value.astimezone(rt.settings.tz).strftime("%Y-%m-%d %H:%M")


def _error_page(error: Any) -> tuple[str, int]:
    return render_template("error.html", error=error), error.code


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
