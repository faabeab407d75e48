"""Session policy for every request: CSRF, idle timeout, forced password change, cookie flags,
and the sign-in rate limit.

CSRF: Flask-WTF's automatic check is switched off (WTF_CSRF_CHECK_DEFAULT = False) and made here
instead, for every request except those authenticated by a bearer token. Such a request cannot
be forged by another site: a browser never adds an `Authorization` header on its own, and the
header makes web/auth.py ignore the session cookie. Do not use `csrf.exempt` anywhere (it is
deliberately not consulted): a blueprint exempted that way would accept forged cookie-session
requests too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Flask,
    Request,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user, user_loaded_from_cookie
from limits import parse_many
from werkzeug.wrappers import Response

from web import ops
from web.auth import bearer_token, login_manager, now_seconds
from workflow.config import Settings
from workflow.errors import ConfigError

#: endpoints a person who must change their password may still reach
_WHILE_FORCED = {"auth.password", "auth.logout", "static"}


def init_app(app: Flask, settings: Settings) -> None:
    """Apply the policy to `app` (after the auth blueprint is registered)."""
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,
        REMEMBER_COOKIE_DURATION=timedelta(hours=settings.session_hours),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
    )
    try:
        parse_many(settings.login_rate_limit)
    except ValueError:
        raise ConfigError(f"SANDAN_LOGIN_RATE_LIMIT {settings.login_rate_limit!r} is not a rate "
                          "limit such as '10 per minute;100 per hour'") from None
    limiter = Limiter(get_remote_address, app=app, storage_uri=settings.ratelimit_storage,
                      default_limits=[], headers_enabled=True)
    # failed sign-ins count (a success redirects); the lockout in the database is per account,
    # this limit is per address, so one address cannot try many accounts quickly either
    # only the sign-in form has a limit: every other request skips the limiter's lookups (they
    # were about 4 % of an API read's CPU)
    limiter.request_filter(lambda: request.endpoint != "auth.login")
    app.view_functions["auth.login"] = limiter.limit(
        settings.login_rate_limit, methods=["POST"],
        deduct_when=lambda response: response.status_code != 302,
    )(app.view_functions["auth.login"])
    app.session_interface = NoSessionForTokens()
    app.before_request(_guard)
    # after_request functions run last-registered-first; put this one first in the list so it
    # runs after flask-login's, which sets the remember-me cookie
    app.after_request_funcs.setdefault(None, []).insert(0, _secure_cookies)
    user_loaded_from_cookie.connect(_restored, app)


class NoSessionForTokens(SecureCookieSessionInterface):
    """A request that sends `Authorization` gets an empty session and sets no cookie.

    Token clients often keep a cookie jar; a session cookie picked up on one request would
    otherwise ride along on the next and trip flask-login's session protection (or mix a cookie
    identity into a token request). Flask-Login's documentation recommends this for token APIs.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if "Authorization" in request.headers:
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure in production, and on any request that arrived over HTTPS."""
        return bool(super().get_cookie_secure(app) or request.is_secure)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if "Authorization" in request.headers:
            return
        super().save_session(app, session, response)


def end_session() -> None:
    """Sign the browser out, keeping flask-login's order to delete the remember-me cookie."""
    logout_user()
    session.pop("_seen", None)


def _guard() -> Response | None:
    if request.endpoint in (None, "static") or request.endpoint in ops.ENDPOINTS:
        return None
    if "Authorization" in request.headers:
        if bearer_token() is not None and current_user.is_authenticated \
                and g.get("sandan_auth") == "token":
            return None  # token requests: no CSRF (see above), no cookie session to time out
        return login_manager.unauthorized()  # bad credentials go no further: 401
    writes = request.method in current_app.config["WTF_CSRF_METHODS"]
    if writes and request.path.startswith("/api/") and not current_user.is_authenticated:
        return login_manager.unauthorized()  # an anonymous API write: 401 rather than 400
    current_app.extensions["csrf"].protect()
    if "_user_id" in session:
        timed_out = _idle_timeout()
        if timed_out is not None:
            return timed_out
    if current_user.is_authenticated and current_user.must_change_password \
            and request.endpoint not in _WHILE_FORCED:
        return _change_password_first()
    return None


def _change_password_first() -> Response:
    """Pages lead to the change page; the API answers 403 in its JSON error shape."""
    if request.path.startswith("/api/"):
        answer = jsonify(code="password_change_required", details={},
                         message="change your initial password first (on the web page)")
        answer.status_code = 403
        return answer
    flash(_("Please change your initial password first."), "warning")
    return redirect(url_for("auth.password"))


def _idle_timeout() -> Response | None:
    """End a session left alone longer than SANDAN_IDLE_MINUTES; otherwise note the activity."""
    now = now_seconds()
    seen = session.get("_seen")
    idle = current_app.extensions["sandan"].settings.idle_minutes * 60
    if isinstance(seen, int) and now - seen > idle:
        end_session()
        if request.path.startswith("/api/"):
            return login_manager.unauthorized()  # the API answers 401 in its JSON shape
        flash(_("You were signed out after a period of inactivity. Please sign in again."),
              "warning")
        return redirect(url_for("auth.login", next=request.path))
    session["_seen"] = now
    return None


def _restored(_app: Any, user: Any = None, **_extra: Any) -> None:
    """A session restored from a remember-me cookie starts its idle clock now."""
    session["_seen"] = now_seconds()


def _secure_cookies(response: Response) -> Response:
    """Over HTTPS (directly, or behind SANDAN_PROXIES trusted proxies) every cookie is Secure."""
    if not request.is_secure:
        return response
    cookies = response.headers.getlist("Set-Cookie")
    if any("; Secure" not in cookie for cookie in cookies):
        del response.headers["Set-Cookie"]
        for cookie in cookies:
            response.headers.add("Set-Cookie", cookie if "; Secure" in cookie
                                 else f"{cookie}; Secure")
    return response
