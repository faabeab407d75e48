"""Dashboards: overdue items per child unit and escalation level, closure rates, the forecast.

Each answer covers one unit's subtree (`org_id`: a unit you hold a role in or inspect, by default
the highest one; any other answers 404) and counts only items you may see. The drill-down behind
a bar is the item list itself (`items_url`: `/items?unit=ID&overdue=true`), so a bar and its
list always agree.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from api.common import actor, make_blueprint, runtime, statuses
from api.schemas import (
    DashboardQuery,
    ForecastOut,
    ForecastQuery,
    OverdueBoardOut,
    TrendOut,
    TrendQuery,
)
from workflow.errors import NotFound
from workflow.services.dashboards import (
    closure_trend,
    escalation_forecast,
    home_unit,
    overdue_board,
)

bp = make_blueprint("Dashboards", "Leaders' dashboards over a unit's subtree.")


def _unit(query: dict[str, Any]) -> int:
    """The unit asked for, or the caller's highest one; NotFound for someone without any."""
    org_id = query.get("org_id") or home_unit(actor())
    if org_id is None:
        raise NotFound("you hold no role in any unit")
    return int(org_id)


def _items_url(org_id: int) -> str:
    return url_for("Items.Items", unit=org_id, overdue="true")


def _levels(counts: dict[int, int]) -> list[dict[str, int]]:
    return [{"level": level, "count": count} for level, count in counts.items()]


@bp.route("/dashboards/overdue")
class Overdue(MethodView):
    @bp.arguments(DashboardQuery, location="query", unknown="raise")
    @bp.response(200, OverdueBoardOut, example={
        "org_id": 1, "name": "县直属机关工委", "as_of": "2026-03-16T01:00:00+00:00",
        "total": 5, "own": 1, "items_url": "/api/v1/items?unit=1&overdue=true",
        "levels": [{"level": 1, "count": 2}, {"level": 2, "count": 3}],
        "children": [{"org_id": 2, "name": "甲公司党支部", "overdue": 4,
                      "levels": [{"level": 1, "count": 1}, {"level": 2, "count": 3}],
                      "items_url": "/api/v1/items?unit=2&overdue=true"}]})
    @statuses(bp, 401, 404)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Overdue open items under a unit: per child unit (its whole subtree) and per level.

        Statuses: 200; 401; 404 unit unknown or outside your scope; 422 bad query.
        """
        board = overdue_board(runtime(), actor(), _unit(query))
        children = [{"org_id": row.unit.id, "name": row.unit.name, "overdue": row.overdue,
                     "levels": _levels(row.levels), "items_url": _items_url(row.unit.id)}
                    for row in board.children]
        return {"org_id": board.unit.id, "name": board.unit.name, "as_of": board.as_of,
                "total": board.total, "own": board.own, "items_url": _items_url(board.unit.id),
                "children": children, "levels": _levels(board.levels)}


@bp.route("/dashboards/trend")
class Trend(MethodView):
    @bp.arguments(TrendQuery, location="query", unknown="raise")
    @bp.response(200, TrendOut, example={
        "org_id": 1, "name": "县直属机关工委", "period": "week", "buckets": [
            {"start": "2026-03-01T16:00:00+00:00", "end": "2026-03-08T16:00:00+00:00",
             "on_time": 12, "late": 3, "rate": 0.8}]})
    @statuses(bp, 401, 404)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """On-time closure rate per week or month: items closed on or before their due date.

        Statuses: 200; 401; 404 unit unknown or outside your scope; 422 bad query.
        """
        trend = closure_trend(runtime(), actor(), _unit(query), period=query["period"],
                              periods=query["periods"])
        buckets = [{"start": b.start, "end": b.end, "on_time": b.on_time, "late": b.late,
                    "rate": b.rate} for b in trend.buckets]
        return {"org_id": trend.unit.id, "name": trend.unit.name, "period": trend.period,
                "buckets": buckets}


@bp.route("/dashboards/forecast")
class Forecast(MethodView):
    @bp.arguments(ForecastQuery, location="query", unknown="raise")
    @bp.response(200, ForecastOut, example={
        "org_id": 1, "name": "县直属机关工委", "as_of": "2026-03-16T01:00:00+00:00",
        "until": "2026-03-23T01:00:00+00:00", "levels": [{"level": 3, "count": 1}],
        "actions": [{"action": "admonish", "count": 1}],
        "items": [{"item_id": 31, "title": "规范“三会一课”记录",
                   "at": "2026-03-18T01:00:00+00:00", "level": 3, "action": "admonish"}]})
    @statuses(bp, 401, 404)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """What the deadline sweep will escalate under a unit in the next days (its dry run).

        Statuses: 200; 401; 404 unit unknown or outside your scope; 422 bad query.
        """
        result = escalation_forecast(runtime(), actor(), _unit(query), days=query["days"],
                                     limit=query["limit"])
        items = [{"item_id": e.item_id, "title": e.title, "at": e.at, "level": e.level,
                  "action": e.action} for e in result.entries]
        return {"org_id": result.unit.id, "name": result.unit.name, "as_of": result.as_of,
                "until": result.until, "levels": _levels(result.levels),
                "actions": [{"action": a, "count": n} for a, n in result.actions.items()],
                "items": items}
