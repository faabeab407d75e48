"""Signing in and out, changing one's password, and how a request finds its user.

A browser session's user id is `person:generation:signed_in_at`. The generation is the person's
`session_generation`, which sign-out, a password change or reset and disabling advance, so every
older session and remember-me cookie (whose value is the same id) stops working at once. The
sign-in time bounds the session and its remember-me cookie to SANDAN_SESSION_HOURS on the server
side, whatever the browser does with cookie expiry.

A request carrying `Authorization: Bearer <token>` is authenticated by that token alone (any
session cookie is ignored); web/sessions.py exempts exactly those requests from CSRF checks.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from web.forms import translate
from workflow.errors import NotAllowed, SandanError
from workflow.models import Person
from workflow.services import accounts, orgs, tokens

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"

FAILED = _l("Wrong username or password, or the account is locked for a while (10 failures in a "
            "row lock it for 15 minutes).")


class SessionUser:
    """What login_user stores: the person plus the moment they signed in (the session's id)."""

    def __init__(self, person: Person, signed_in_at: int) -> None:
        self.person = person
        self.signed_in_at = signed_in_at
        self.is_active = person.is_active
        self.is_authenticated = True
        self.is_anonymous = False

    def get_id(self) -> str:
        return f"{self.person.id}:{self.person.session_generation}:{self.signed_in_at}"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"


def _rt() -> Any:
    return current_app.extensions["sandan"]


def now_seconds() -> int:
    """The Runtime's clock in whole seconds (tests move it; sessions compare against it)."""
    return int(_rt().clock.now().timestamp())


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header, if the request carries one."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


@login_manager.user_loader
def _load(user_id: str) -> Person | None:
    """The session's person while its generation is current and its lifetime not over."""
    if "Authorization" in request.headers:
        return _load_from_token(request)  # a request naming its credentials uses those alone
    parts = user_id.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    person_id, generation, signed_in_at = (int(p) for p in parts)
    age = now_seconds() - signed_in_at
    if age < -60 or age > _rt().settings.session_hours * 3600:
        return None  # signed in longer ago than the absolute session lifetime (or forged)
    person = orgs.load_person(_rt(), person_id)
    if person is None or not person.active or person.session_generation != generation:
        return None
    return person


@login_manager.request_loader
def _load_from_token(_request: Any) -> Person | None:
    """Bearer tokens: the token's owner, acting with exactly the owner's roles."""
    token = bearer_token()
    if token is None:
        return None
    person = tokens.authenticate_token(_rt(), token)
    if person is not None:
        g.sandan_auth = "token"
    return person


@login_manager.unauthorized_handler
def _unauthorized() -> Response:
    """401 with a JSON body for API and token clients; the sign-in page for browsers."""
    if "Authorization" in request.headers or request.path.startswith("/api/"):
        answer = jsonify(code="not_authenticated", message="a valid bearer token or session is "
                         "required")
        answer.status_code = 401
        answer.headers["WWW-Authenticate"] = 'Bearer realm="sandan"'
        return answer
    flash(_("Please sign in."), "info")
    return redirect(url_for("auth.login", next=request.path))


def start_session(person: Person, *, remember: bool) -> None:
    """Begin a fresh browser session for `person` (nothing from before sign-in survives)."""
    session.clear()
    login_user(SessionUser(person, now_seconds()), remember=remember)
    session["_seen"] = now_seconds()


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("items.inbox"))
    if request.method == "POST":
        form = request.form
        person = accounts.authenticate(_rt(), form.get("username", ""), form.get("password", ""))
        if person is not None:
            start_session(person, remember=form.get("remember") == "yes")
            if person.must_change_password:
                return redirect(url_for("auth.password"))
            return redirect(_safe_next(request.args.get("next")))
        flash(str(FAILED), "error")
    return render_template("auth/login.html")


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Sign out here and everywhere: the person's session generation moves on."""
    accounts.sign_out(_rt(), current_user.id, current_user.session_generation)
    logout_user()  # also marks the remember-me cookie for deletion, so the session stays
    session.pop("_seen", None)
    flash(_("Signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> str | Response:
    """Change one's own password (also the page a forced first-sign-in change lands on)."""
    if request.method != "POST":
        return render_template("auth/password.html", errors={})
    form = request.form
    if form.get("new_password", "") != form.get("confirm", ""):
        errors = {"confirm": [_("The new passwords do not match.")]}
        return render_template("auth/password.html", errors=errors)
    try:
        person = accounts.change_password(_rt(), current_user._get_current_object(),
                                          form.get("old_password", ""),
                                          form.get("new_password", ""))
    except NotAllowed:
        errors = {"old_password": [_("The current password is wrong (or the account is locked "
                                     "for a while).")]}
        return render_template("auth/password.html", errors=errors)
    except SandanError as exc:
        return render_template("auth/password.html",
                               errors={"new_password": [translate(exc.message)]})
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    start_session(person, remember=remembered in request.cookies)
    flash(_("Password changed; every other session was ended."), "success")
    return redirect(url_for("items.inbox"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (another host, `//evil`) goes to the inbox."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("items.inbox")


__all__ = ["bearer_token", "bp", "current_user", "init_app", "now_seconds", "start_session"]
