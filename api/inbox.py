"""The notification inbox: what the engine told you (reminders, escalations, decisions)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api.common import actor, make_blueprint, runtime, statuses
from api.schemas import InboxQuery, MarkReadIn, MarkReadOut, NotificationOut
from workflow.services.notifications import inbox, mark_read

bp = make_blueprint("Inbox", "Your in-app notifications.")
_COLUMNS = ("id", "item_id", "org_id", "template", "params", "urgent", "created_at", "read_at")


@bp.route("/inbox")
class Inbox(MethodView):
    @bp.arguments(InboxQuery, location="query", unknown="raise")
    @bp.response(200, NotificationOut(many=True))
    @statuses(bp, 401)
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Your notifications, newest first.

        Statuses: 200; 401; 422 bad filter.
        """
        rows = inbox(runtime(), actor(), unread_only=query["unread"], limit=query["limit"])
        return [{c: getattr(n, c) for c in _COLUMNS} for n in rows]


@bp.route("/inbox/read")
class MarkRead(MethodView):
    @bp.arguments(MarkReadIn, example={"ids": [12, 13]})
    @bp.response(200, MarkReadOut)
    @statuses(bp, 400, 401)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Mark some of your notifications read (others' ids are ignored).

        Statuses: 200 with how many changed; 400; 401; 422 bad ids.
        """
        return {"marked": mark_read(runtime(), actor(), body["ids"])}
