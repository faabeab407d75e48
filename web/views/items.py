"""The inbox and the item page: see items, fire the actions the definition allows."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from workflow.access import Scope
from workflow.errors import NotFound, SandanError
from workflow.machine import diagram
from workflow.queries import inbox_items, item_detail, light
from workflow.services.items import fire_transition

bp = Blueprint("items", __name__)


def _rt() -> Any:
    return current_app.extensions["sandan"]


@bp.get("/")
@login_required
def inbox() -> str:
    rt = _rt()
    items = inbox_items(rt, Scope.of(current_user), limit=200)
    now = rt.clock.now()
    rows = [(item, light(rt.definitions.get(item.kind, item.definition_version), item, now))
            for item in items]
    return render_template("items/inbox.html", rows=rows, now=now,
                           definitions=rt.definitions)


@bp.get("/items/<int:item_id>")
@login_required
def show(item_id: int) -> str:
    rt = _rt()
    try:
        detail = item_detail(rt, Scope.of(current_user), item_id)
    except NotFound:
        abort(404)
    chart = diagram(detail.definition, highlight=detail.item.state)
    return render_template("items/show.html", d=detail, chart=chart,
                           light=light(detail.definition, detail.item, rt.clock.now()))


@bp.post("/items/<int:item_id>/fire")
@login_required
def fire(item_id: int) -> Response:
    form = request.form
    inputs = {k: v for k in ("comment", "reason", "due") if (v := form.get(k, "").strip())}
    if form.getlist("evidence"):
        inputs["evidence"] = form.getlist("evidence")
    try:
        fire_transition(_rt(), current_user._get_current_object(), item_id,
                        form.get("trigger", ""), inputs,
                        expected_version=int(form.get("version", "0") or 0),
                        password=form.get("password") or None)
        flash("操作已完成。 Done.", "success")
    except NotFound:
        abort(404)
    except SandanError as exc:
        flash(exc.message, "error")
    return redirect(url_for("items.show", item_id=item_id))
