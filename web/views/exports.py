"""Excel downloads of what the signed-in person may see, and the printable assessment sheet.

Each endpoint reads the same filters as the page it is linked from (the inbox's query string,
the board's round, the register's filter) and calls one engine export; the engine filters by
the person's scope, so a download never holds more than the page could show.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import login_required
from werkzeug.wrappers import Response

from web.views.downloads import xlsx_response
from web.views.inbox_rows import read_filters
from web.views.support import actor, runtime
from workflow.errors import InvalidInput, NotFound
from workflow.excel.board_export import export_rankings, export_register
from workflow.excel.items_export import export_items, export_ledger
from workflow.services.register_reads import RegisterFilter
from workflow.services.score_reads import score_detail

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.get("/items.xlsx")
@login_required
def items() -> Response:
    """The inbox's items under its filters (all pages, not only the first)."""
    person = actor()
    try:
        where = read_filters(request.args).item_filter(person.id)
        result = export_items(runtime(), person, where)
    except NotFound:
        abort(404)
    return xlsx_response(result.data, result.filename)


@bp.get("/ledger.xlsx")
@login_required
def ledger() -> Response:
    """The ledger book (台账) of the items under the inbox's filters."""
    person = actor()
    try:
        where = read_filters(request.args).item_filter(person.id)
        result = export_ledger(runtime(), person, where)
    except NotFound:
        abort(404)
    return xlsx_response(result.data, result.filename)


@bp.get("/rankings.xlsx")
@login_required
def rankings() -> Response:
    args = request.args
    org_id = args.get("org_id", type=int)
    if not args.get("checklist") or not args.get("period") or org_id is None:
        abort(404)
    try:
        result = export_rankings(runtime(), actor(), checklist=args["checklist"],
                                 period=args["period"], org_id=org_id,
                                 level=args.get("level") or None)
    except (NotFound, InvalidInput):
        abort(404)
    return xlsx_response(result.data, result.filename)


@bp.get("/register.xlsx")
@login_required
def register() -> Response:
    """The register under the register page's filters (outcome, level, unit)."""
    args = request.args
    flt = RegisterFilter(outcome=args.get("outcome") or None, level=args.get("level", type=int),
                         org_id=args.get("org_id", type=int))
    try:
        result = export_register(runtime(), actor(), flt)
    except InvalidInput:
        abort(404)
    return xlsx_response(result.data, result.filename)


@bp.get("/scores/<int:score_id>/print")
@login_required
def assessment_print(score_id: int) -> str:
    """A unit's quarterly assessment on one printable page (criteria, deductions, signatures)."""
    try:
        detail = score_detail(runtime(), actor(), score_id)
    except NotFound:
        abort(404)
    checklist = detail.checklist
    labels = {c.name: c.label for c in (*checklist.sections, *checklist.criteria,
                                        *checklist.deductions, *checklist.grades)}
    notes = {c.criterion: c.note for c in detail.criteria if c.note}
    return render_template("exports/assessment_print.html", d=detail, labels=labels, notes=notes)
