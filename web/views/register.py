"""The accountability register (问责台账): escalations held against units and their responsible
people, filtered; the committee records each outcome with an electronic signature (password
re-entered) and may waive an item's escalation for a while."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response

from web.views.support import actor, form_errors, runtime
from workflow.errors import InvalidInput, NotFound, SandanError
from workflow.models.accountability import OUTCOMES
from workflow.queries import visible_orgs
from workflow.services.register import record_outcome, waive_escalation
from workflow.services.register_reads import RegisterFilter, register_view
from workflow.services.supervision import scope_of

bp = Blueprint("register", __name__, url_prefix="/register")
OUTCOME_LABELS = {"talk_held": _l("Admonishment talk held"),
                  "notice_published": _l("Criticism notice published"),
                  "waived": _l("Waived")}
#: endpoints that export the register to Excel, if the app has one
EXPORTS = ("exports.register", "excel.register", "exports.accountability")


@bp.get("/")
@login_required
def index() -> str | tuple[str, int]:
    return _page()


@bp.post("/<int:entry_id>/outcome")
@login_required
def outcome(entry_id: int) -> Response | tuple[str, int]:
    form = request.form
    try:
        record_outcome(runtime(), actor(), entry_id, form.get("outcome", ""),
                       form.get("note"), password=form.get("password") or None)
    except NotFound:
        abort(404)
    except SandanError as exc:
        return _page(errors={entry_id: form_errors(exc)}, status=422)
    flash(_("The outcome is signed and recorded in the ledger."), "success")
    return redirect(_filtered("register.index"))


@bp.post("/items/<int:item_id>/waiver")
@login_required
def waive(item_id: int) -> Response | tuple[str, int]:
    form = request.form
    try:
        until = _end_of_day(form.get("until", ""))
        waive_escalation(runtime(), actor(), item_id, reason=form.get("reason", ""), until=until)
    except NotFound:
        abort(404)
    except SandanError as exc:
        return _page(errors={f"item{item_id}": form_errors(exc)}, status=422)
    flash(_("The escalation is waived; the ledger records who did it and why."), "success")
    return redirect(_filtered("register.index"))


def _page(errors: dict[Any, dict[str, list[str]]] | None = None,
          status: int = 200) -> tuple[str, int]:
    args = request.args
    flt = RegisterFilter(outcome=args.get("outcome") or None,
                         level=args.get("level", type=int),
                         org_id=args.get("org_id", type=int))
    rt, me = runtime(), actor()
    try:
        rows = register_view(rt, me, flt)
    except InvalidInput:
        abort(404)
    units = visible_orgs(rt, scope_of(me), limit=500)
    return render_template("register/index.html", rows=rows, flt=flt, units=units,
                           outcomes=OUTCOME_LABELS, choices=OUTCOMES, errors=errors or {},
                           export_url=_export_url(), now=rt.clock.now()), status


def _end_of_day(text: str) -> datetime:
    """A date typed in the form means the end of that day in the configured time zone."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput("until: enter a date such as 2026-05-01",
                           fields={"until": ["not a date"]}) from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=runtime().settings.tz)


def _filtered(endpoint: str) -> str:
    """`endpoint` with the register's current filters."""
    query = request.query_string.decode()
    return url_for(endpoint) + (f"?{query}" if query else "")


def _export_url() -> str | None:
    for endpoint in EXPORTS:
        if endpoint in current_app.view_functions:
            return _filtered(endpoint)
    return None
