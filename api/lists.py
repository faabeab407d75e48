"""Issuing lists (one call, many units) and decomposing an item into child items."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api.common import ITEM, actor, make_blueprint, runtime, statuses
from api.schemas import ChildrenIn, ChildrenOut, IdempotencyHeaders, ListIn, ListOut
from workflow.services.lists import NewItem, decompose_item, issue_list

bp = make_blueprint("Lists", "Issue lists of items to units; decompose items.")


def _new_items(rows: list[dict[str, Any]]) -> list[NewItem]:
    return [NewItem(title=r["title"], assignee_org_id=r["assignee_org_id"],
                    due_at=r.get("due_at"), fields=r["values"],
                    primary_person_id=r.get("primary_person_id"),
                    direct_person_id=r.get("direct_person_id"),
                    planned_start_at=r.get("planned_start_at")) for r in rows]


@bp.route("/lists")
class Lists(MethodView):
    @bp.arguments(IdempotencyHeaders, location="headers")
    @bp.arguments(ListIn, example={
        "kind": "task", "title": "2026年第一季度党建任务清单", "issuer_org_id": 1,
        "items": [{"title": "召开专题组织生活会", "assignee_org_id": 2,
                   "due_at": "2026-04-30T18:00:00+08:00",
                   "fields": {"category": "党建", "description": "按期召开并形成会议记录"}},
                  {"title": "召开专题组织生活会", "assignee_org_id": 3,
                   "fields": {"category": "党建", "description": "按期召开并形成会议记录"}}]})
    @bp.response(201, ListOut)
    @bp.alt_response(200, schema=ListOut, success=True,
                     description="A retry: the list this Idempotency-Key created before.")
    @statuses(bp, 400, 401, 403, 404, 409)
    def post(self, headers: dict[str, Any], body: dict[str, Any]) -> tuple[Any, int]:
        """Issue a list of one kind with its items, to one or several units, all or nothing.

        Statuses: 201 issued; 200 a retry with a used Idempotency-Key; 400 malformed JSON or
        CSRF; 401; 403 no issuer role at the issuing unit; 404 issuing unit not visible;
        409 a concurrent retry raced this one; 422 invalid input (names the row).
        """
        issued = issue_list(
            runtime(), actor(), kind=body["kind"], title=body["title"],
            issuer_org_id=body["issuer_org_id"], items=_new_items(body["items"]),
            period=body.get("period"), note=body.get("note"),
            idempotency_key=headers.get("idempotency_key"),
        )
        answer = {"list_id": issued.list_id, "item_ids": list(issued.item_ids),
                  "created": issued.created}
        return answer, 201 if issued.created else 200


@bp.route(ITEM + "/children")
class Children(MethodView):
    @bp.arguments(ChildrenIn)
    @bp.response(201, ChildrenOut)
    @statuses(bp, 400, 401, 403, 404)
    def post(self, body: dict[str, Any], item_id: int) -> dict[str, Any]:
        """Decompose an item into child items for units below its assignee.

        Statuses: 201; 400; 401; 403 not a handler of the item's unit; 404 item not visible;
        422 invalid child (names it) or the item is closed.
        """
        ids = decompose_item(runtime(), actor(), item_id, _new_items(body["children"]))
        return {"item_ids": list(ids)}
