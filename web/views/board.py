"""Rankings and the public board (公示栏): each round's ranking with points, grades, stars, the
per-criterion breakdown (for the units the viewer may see), the commendation and accountability
bands, and the committee's proposals. The engine decides what is public (workflow/services/
board.py): locked scores, for everyone related to the round's organisation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from web.views.support import ORG_KIND_LABELS, actor, form_errors, runtime
from workflow.assessments.model import Checklist
from workflow.definitions.model import Label
from workflow.errors import InvalidInput, NotFound, SandanError
from workflow.services.board import board_rounds, round_board
from workflow.services.orgs import ORG_KINDS
from workflow.services.proposals import decide_proposal, propose_outcomes
from workflow.services.rankings import Ranking

bp = Blueprint("board", __name__, url_prefix="/board")
ROUND = "/<string(maxlength=64):checklist>/<string(maxlength=20):period>/<int:org_id>"
#: endpoints that export a ranking to Excel, if the app has one (the first found is linked)
EXPORTS = ("exports.rankings", "excel.rankings", "exports.ranking")


@bp.get("/")
@login_required
def index() -> str:
    return render_template("board/index.html", rounds=board_rounds(runtime(), actor()))


@bp.get(ROUND)
@login_required
def show(checklist: str, period: str, org_id: int) -> str:
    level = request.args.get("level") or None
    try:
        board = round_board(runtime(), actor(), checklist=checklist, period=period,
                            org_id=org_id, level=level)
    except (NotFound, InvalidInput):
        abort(404)
    return render_template("board/show.html", b=board, r=board.ranking,
                           names=_labels(board.checklist),
                           levels=_levels(board.checklist), kinds=ORG_KIND_LABELS,
                           export_url=_export_url(board.ranking),
                           round_args={"checklist": checklist, "period": period,
                                       "org_id": org_id})


@bp.post(ROUND + "/proposals")
@login_required
def propose(checklist: str, period: str, org_id: int) -> Response:
    level = request.form.get("level") or None
    try:
        made = propose_outcomes(runtime(), actor(), checklist=checklist, period=period,
                                org_id=org_id, level=level)
        flash(_("%(n)s proposals drawn from the ranking.", n=len(made)), "success")
    except NotFound:
        abort(404)
    except SandanError as exc:
        flash(form_errors(exc)["_"][0], "error")
    return redirect(url_for("board.show", checklist=checklist, period=period, org_id=org_id,
                            level=level))


@bp.post("/proposals/<int:proposal_id>")
@login_required
def decide(proposal_id: int) -> Response:
    form = request.form
    back = url_for("board.show", checklist=form.get("checklist", ""),
                   period=form.get("period", ""), org_id=form.get("org_id", 0, type=int),
                   level=form.get("level") or None)
    try:
        decide_proposal(runtime(), actor(), proposal_id, decision=form.get("decision", ""),
                        reason=form.get("reason"), password=form.get("password"))
        flash(_("The decision is recorded in the ledger."), "success")
    except NotFound:
        abort(404)
    except SandanError as exc:
        errors = form_errors(exc)
        flash(" ".join(errors.get("reason") or errors.get("password") or errors["_"]), "error")
    return redirect(back)


def _levels(spec: Checklist) -> tuple[str, ...]:
    """The levels a round can be ranked at: its members (if it scores members) or any kind of
    unit (the subjects' means roll up to it)."""
    return ("member", *ORG_KINDS) if spec.subject == "member" else ORG_KINDS


def _labels(spec: Checklist) -> dict[str, Label]:
    """The labels of a checklist's sections, criteria, deductions and grades by code name."""
    yearly = spec.yearly.items if spec.yearly else ()
    named: tuple[Any, ...] = (*spec.sections, *spec.criteria, *yearly, *spec.deductions,
                              *spec.grades)
    return {thing.name: thing.label for thing in named}


def _export_url(ranking: Ranking) -> str | None:
    for endpoint in EXPORTS:
        if endpoint in current_app.view_functions:
            return url_for(endpoint, checklist=ranking.checklist, period=ranking.period,
                           org_id=ranking.org_id, level=ranking.level)
    return None
