"""Signing in and out with flask-login; the session id carries the person's session generation."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from workflow.models import Person
from workflow.services import accounts, orgs

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"


@login_manager.user_loader
def _load(user_id: str) -> Person | None:
    """Load the person only while the session's generation is still theirs."""
    person_id, _, generation = user_id.partition(":")
    if not person_id.isdigit() or not generation.isdigit():
        return None
    person = orgs.load_person(current_app.extensions["sandan"], int(person_id))
    if person is None or not person.active or person.session_generation != int(generation):
        return None
    return person


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if request.method == "POST":
        rt = current_app.extensions["sandan"]
        username = request.form.get("username", "")
        person = accounts.authenticate(rt, username, request.form.get("password", ""))
        if person is not None:
            login_user(person)
            return redirect(url_for("items.inbox"))
        flash("用户名或密码错误，或账号已被锁定。 Wrong username or password, or the account is locked.",
              "error")
    return render_template("auth/login.html")


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("auth.login"))


__all__ = ["bp", "current_user", "init_app"]
