"""The inspector's review queue: items waiting for a verdict in the units they inspect, the
monthly spot-check reviews due, and the assessment scores they are to fill in. Verdicts on
spot-check reviews are recorded here; items are decided on their own page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response

from web.views.support import actor, form_errors, runtime
from workflow.errors import NotAllowed, NotFound, SandanError
from workflow.services.review_queue import review_queue
from workflow.services.spot_reviews import record_review

bp = Blueprint("review", __name__, url_prefix="/review")
VERDICT_LABELS = {"compliant": _l("Compliant"), "partly_compliant": _l("Partly compliant"),
                  "non_compliant": _l("Non-compliant")}


@bp.get("/")
@login_required
def queue(errors: dict[int, dict[str, list[str]]] | None = None) -> str:
    rt = runtime()
    return render_template("review/queue.html", q=review_queue(rt, actor()), now=rt.clock.now(),
                           definitions=rt.definitions, verdicts=VERDICT_LABELS,
                           errors=errors or {}, form=request.form)


@bp.post("/spot-checks/<int:review_id>")
@login_required
def record(review_id: int) -> Response | tuple[str, int]:
    try:
        record_review(runtime(), actor(), review_id, verdict=request.form.get("verdict", ""),
                      note=request.form.get("note"))
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except SandanError as exc:
        return queue({review_id: form_errors(exc)}), 422
    flash(_("The verdict is recorded in the ledger."), "success")
    return redirect(url_for("review.queue"), 303)
