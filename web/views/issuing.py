"""Issuing a list: a form for a few items to several units, or an Excel file from the template.

The Excel path is upload → preview (every row, or every problem with its row and column) →
confirm. Between preview and confirmation the checked list travels in the page as a signed,
time-limited token (itsdangerous, the app's secret key): any web node can confirm it, nothing is
kept in one process's memory, and a forged or stale token is refused. The engine checks the list
again when it issues it; the token's hash is the idempotency key, so a double-click on confirm
issues once. The form path carries a random key for the same reason.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from web.i18n import current_language
from web.views.downloads import xlsx_response
from web.views.support import actor, runtime
from workflow.definitions.model import Definition
from workflow.errors import NotAllowed, NotFound, SandanError
from workflow.excel.list_import import check_workbook
from workflow.excel.list_template import list_template, template_filename
from workflow.services.list_rows import (
    Checked,
    ListPlan,
    Problem,
    RawRow,
    assignable_units,
    check_rows,
    default_issuer,
    issue_plan,
    issuer_units,
    list_columns,
)
from workflow.services.lists import IssuedList

bp = Blueprint("issue", __name__, url_prefix="/issue")
TOKEN_MAX_AGE = 2 * 3600
MAX_FORM_ROWS = 20


@bp.get("/")
@login_required
def index() -> str:
    return _form_page()


@bp.post("/")
@login_required
def submit() -> Response | tuple[str, int]:
    """Issue the form's items: each row to each unit chosen for it."""
    form = request.form
    definition = _definition(form.get("kind"))
    issuer = _issuer_id(form.get("issuer"))
    rows = _form_rows(definition, _row_count(form.get("rows")))
    try:
        checked = check_rows(runtime(), actor(), kind=definition.kind,
                             title=form.get("title", ""), issuer_org_id=issuer, rows=rows,
                             period=form.get("period", "").strip() or None)
        if checked.plan is None:
            return _form_page(errors=_form_errors(checked.problems), status=422)
        issued = issue_plan(runtime(), actor(), checked.plan,
                            idempotency_key="form:" + form.get("key", secrets.token_hex(8)))
    except (NotFound, NotAllowed):
        abort(404)
    except SandanError as exc:
        return _form_page(errors={"_": [exc.message]}, status=422)
    return _issued(issued)


@bp.get("/template/<kind>.xlsx")
@login_required
def template(kind: str) -> Response:
    definition = _definition(kind)
    rt = runtime()
    if not issuer_units(rt, actor()):
        abort(404)
    data = list_template(rt, actor(), definition.kind, request.args.get("issuer", type=int))
    return xlsx_response(data, template_filename(rt, definition.kind))


@bp.post("/upload")
@login_required
def upload() -> str | tuple[str, int]:
    """Check an uploaded workbook and show what it would issue, or each problem in it."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _form_page(errors={"file": [_("Choose the filled-in template to upload.")]},
                          status=422)
    try:
        checked = check_workbook(runtime(), actor(), upload.read(), upload.filename)
    except NotFound:
        abort(404)
    except SandanError as exc:
        return _form_page(errors={"file": [exc.message]}, status=422)
    return _preview(checked, upload.filename)


@bp.post("/confirm")
@login_required
def confirm() -> Response:
    """Issue the previewed list named by its signed token; the token's hash keeps it single."""
    token = request.form.get("token", "")
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
        if data.get("by") != actor().id:
            raise BadSignature("prepared for someone else")
        plan = ListPlan.from_dict(data)
        issued = issue_plan(runtime(), actor(), plan,
                            idempotency_key="xlsx:" + hashlib.sha256(token.encode()).hexdigest())
    except BadSignature:
        flash(_("The preview has expired or was changed. Upload the file again."), "error")
        return redirect(url_for("issue.index"))
    except (NotFound, NotAllowed):
        abort(404)
    except SandanError as exc:
        flash(exc.message, "error")
        return redirect(url_for("issue.index"))
    return _issued(issued)


def _issued(issued: IssuedList) -> Response:
    if issued.created:
        flash(_("The list is issued: %(n)s item(s).", n=len(issued.item_ids)), "success")
    else:
        flash(_("This list was already issued; nothing new was created."), "info")
    return redirect(url_for("items.inbox"))


def _preview(checked: Checked, filename: str) -> str | tuple[str, int]:
    lang = current_language()
    token = None
    if checked.ok and checked.plan:
        token = _serializer().dumps({**checked.plan.to_dict(), "by": actor().id})
    definition = runtime().definitions.get(checked.kind) if checked.kind else None
    page = render_template(
        "issuing/preview.html", checked=checked, token=token, filename=filename,
        problems=[p.text(lang) for p in checked.problems], definition=definition,
        columns=list_columns(definition) if definition else [])
    return page if token else (page, 422)


def _form_page(errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    rt, person = runtime(), actor()
    issuers = issuer_units(rt, person)
    if not issuers:
        abort(404)
    source = request.form if request.method == "POST" else request.args
    kinds = rt.definitions.kinds()
    definition = _definition(source.get("kind") or ("task" if "task" in kinds else kinds[0]))
    chosen = source.get("issuer", type=int)
    issuer = next((o for o in issuers if o.id == chosen), None) or default_issuer(issuers) \
        or issuers[0]
    page = render_template(
        "issuing/index.html", definitions=rt.definitions.latest(), definition=definition,
        columns=_field_columns(definition), issuers=issuers, issuer=issuer,
        units=assignable_units(rt, issuer.id), rows=_row_count(source.get("rows")),
        values=request.form, errors=errors or {},
        key=request.form.get("key") or secrets.token_hex(16))
    return page if status == 200 else (page, status)


_INPUTS = {"text": "textarea", "date": "date", "integer": "number", "decimal": "number",
           "url": "url"}


def _field_columns(definition: Definition) -> list[dict[str, Any]]:
    """The definition's fields as form controls: choices as (value, text) pairs, input types."""
    shown = []
    for column in list_columns(definition)[5:]:
        pairs = [(c, c) for c in column.choices]
        if column.type == "boolean":
            pairs = [("yes", _("Yes")), ("no", _("No"))]
        shown.append({"key": column.key, "label": column.label, "required": column.required,
                      "type": column.type, "choices": bool(pairs), "pairs": pairs,
                      "input": _INPUTS.get(column.type, "text")})
    return shown


def _form_rows(definition: Definition, count: int) -> list[RawRow]:
    """One row per (form row, chosen unit); empty rows are skipped."""
    form, rows = request.form, []
    keys = ["title", "due", "primary", "direct"] + [f.name for f in definition.fields]
    for number in range(1, count + 1):
        values = {k: form.get(f"items-{number}-{k}", "").strip() or None for k in keys}
        units = [int(u) for u in form.getlist(f"items-{number}-units") if u.isdigit()]
        if not any(values.values()) and not units:
            continue
        for unit in units or [None]:
            rows.append(RawRow(number, {**values, "unit_id": unit}))
    return rows


def _form_errors(problems: list[Problem]) -> dict[str, list[str]]:
    english = current_language() == "en"
    errors: dict[str, list[str]] = {}
    for problem in problems:
        message = problem.en if english else problem.zh
        if not problem.row:
            key = "title" if problem.column == "title" else "_"
        else:
            column = "units" if problem.column == "unit" else problem.column
            key = f"items-{problem.row}-{column}"
        if message not in errors.setdefault(key, []):
            errors[key].append(message)
    return errors


def _definition(kind: str | None) -> Definition:
    rt = runtime()
    if not kind or kind not in rt.definitions.kinds():
        abort(404)
    return rt.definitions.get(kind)


def _issuer_id(value: str | None) -> int:
    if not value or not value.isdigit():
        abort(400)
    return int(value)


def _row_count(value: str | None) -> int:
    try:
        return max(1, min(MAX_FORM_ROWS, int(value or 1)))
    except ValueError:
        return 1


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sandan.issue-list")
