"""Definition pages: each list kind with its state diagram, states, transitions, deadlines and
escalation ladder, in the page's language. Definitions are not scoped data: every signed-in
person may read how the work they take part in is defined."""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from web.i18n import current_language
from web.views.support import ROLE_LABELS, runtime
from workflow.durations import Duration
from workflow.errors import NotFound
from workflow.machine import diagram

bp = Blueprint("definitions", __name__, url_prefix="/definitions")

#: the engine's vocabulary (workflow/definitions/vocabulary.py) in the page's language
INPUT_LABELS = {"comment": _l("Comment"), "reason": _l("Reason"), "evidence": _l("Evidence"),
                "score": _l("Score"), "due": _l("New due date"), "assignee": _l("Assignee unit"),
                "fields": _l("Item fields"), "verdict": _l("Verdict")}
ACTION_LABELS = {"remind": _l("Reminder"), "urge": _l("Urging"),
                 "admonish": _l("Admonishment talk"), "criticise": _l("Public criticism")}
CLOCK_LABELS = {"due": _l("Due date runs"), "review": _l("Review time limit runs"),
                "none": _l("No clock")}
_SIMPLE = re.compile(r"^P(?:(\d+)(WD|D|W|M|Y))?(?:T(\d+)([HM]))?$")


@bp.get("/")
@login_required
def index() -> str:
    return render_template("definitions/index.html", definitions=runtime().definitions.latest())


@bp.get("/<string(maxlength=64):kind>")
@login_required
def show(kind: str) -> str:
    registry = runtime().definitions
    version = request.args.get("version", type=int)
    try:
        definition = registry.get(kind, version)
    except NotFound:
        abort(404)
    lang = "en" if current_language() == "en" else "zh"
    versions = [d.version for d in registry.all() if d.kind == kind]
    return render_template(
        "definitions/show.html", d=definition, chart=diagram(definition, lang=lang),
        versions=versions, roles=ROLE_LABELS, inputs=INPUT_LABELS, actions=ACTION_LABELS,
        clocks=CLOCK_LABELS, human=human)


def human(duration: Duration | None) -> str:
    """`P3D` → "3 days" in the page's language; other forms are shown as written."""
    if duration is None:
        return "—"
    found = _SIMPLE.match(duration.text)
    if not found or (found.group(1) and found.group(3)):
        return duration.text
    if found.group(3):
        n, unit = int(found.group(3)), found.group(4)
        return _("%(n)s hours", n=n) if unit == "H" else _("%(n)s minutes", n=n)
    n, unit = int(found.group(1) or 0), found.group(2)
    return {"WD": _("%(n)s working days", n=n), "D": _("%(n)s days", n=n),
            "W": _("%(n)s weeks", n=n), "M": _("%(n)s months", n=n),
            "Y": _("%(n)s years", n=n)}.get(unit, duration.text)
