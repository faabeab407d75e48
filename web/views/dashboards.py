"""The leader dashboard: a unit's overdue items per child unit and escalation level, its on-time
closure rate and the 7-day escalation forecast, drawn with ECharts from the JSON API.

The page itself only names the unit (and the units above it the viewer may also open); the
browser fetches /api/v1/dashboards/* for the charts and, when a bar is clicked, the item list
`/api/v1/items?unit=ID&overdue=true`, the same answer any API client gets for that unit.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from web.i18n import current_language, label_text
from web.views.support import actor, runtime
from workflow.errors import NotFound
from workflow.services.dashboards import home_unit, unit_trail

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
API = "/api/v1"


@bp.get("/")
@login_required
def index() -> str:
    org_id = request.args.get("org_id", type=int) or home_unit(actor())
    if org_id is None:
        return render_template("dashboards/index.html", trail=[], config=None)
    try:
        trail = unit_trail(runtime(), actor(), org_id)
    except NotFound:
        abort(404)
    return render_template("dashboards/index.html", trail=trail, config=_config(org_id))


def _config(org_id: int) -> dict[str, Any]:
    """What dashboard.js needs: the API addresses, the texts in the page's language."""
    root = request.script_root
    return {
        "org_id": org_id,
        "overdue_url": f"{root}{API}/dashboards/overdue?org_id={org_id}",
        "trend_url": f"{root}{API}/dashboards/trend?org_id={org_id}&period=week&periods=12",
        "forecast_url": f"{root}{API}/dashboards/forecast?org_id={org_id}&days=7",
        "item_url": url_for("items.show", item_id=0).removesuffix("0"),
        "unit_url": url_for("dashboard.index") + "?org_id=",
        "locale": "EN" if current_language() == "en" else "ZH",
        "levels": _level_names(),
        "text": {
            "overdue": _("Overdue"), "level": _("Level %(n)s", n="{n}"),
            "on_time": _("Closed on time"), "late": _("Closed late"),
            "rate": _("On-time rate"), "none": _("Nothing here."),
            "error": _("Could not load the data. Reload the page to try again."),
            "due": _("Due"), "drill_title": _("Overdue items of %(unit)s", unit="{unit}"),
            "own": _("Assigned to the unit itself"), "total": _("Whole unit"),
            "list": _("List"),
        },
    }


def _level_names() -> dict[int, str]:
    """Each ladder level named by its step in the list definitions (joined when they differ)."""
    names: dict[int, list[str]] = {}
    for definition in runtime().definitions.latest():
        for step in definition.escalation:
            text = label_text(step.label)
            if text not in names.setdefault(step.level, []):
                names[step.level].append(text)
    return {level: " / ".join(texts) for level, texts in sorted(names.items())}
