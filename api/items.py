"""Items: search with filters and keyset pages, one item with its actions, firing triggers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.views import MethodView

from api.common import (
    ITEM,
    actor,
    decode_cursor,
    encode_cursor,
    make_blueprint,
    runtime,
    scope,
    statuses,
)
from api.schemas import ItemDetailOut, ItemPageOut, ItemQuery, TransitionIn, TransitionOut
from workflow.errors import InvalidInput
from workflow.models import Item
from workflow.queries import ItemFilter, Position, find_items, item_detail
from workflow.services.items import fire_transition

bp = make_blueprint("Items", "Items (one state machine each): search, read, fire triggers.")


def item_out(item: Item, now: datetime) -> dict[str, Any]:
    """An item with what the definition and the clock add: state label, overdue flag."""
    definition = runtime().definitions.get(item.kind, item.definition_version)
    overdue = bool(item.is_open and item.due_at is not None and item.due_at <= now)
    return {**{c: getattr(item, c) for c in _COLUMNS},
            "state_label": definition.state(item.state).label.to_dict(), "overdue": overdue}


_COLUMNS = ("id", "list_id", "kind", "definition_version", "title", "fields", "state", "is_open",
            "assignee_org_id", "issuer_org_id", "primary_person_id", "direct_person_id",
            "parent_id", "due_at", "next_deadline_at", "escalation_level", "version",
            "created_at", "updated_at", "closed_at")


def _position(cursor: str | None) -> Position | None:
    if cursor is None:
        return None
    due, item_id = decode_cursor(cursor, 2)
    try:
        return (datetime.fromisoformat(due) if due is not None else None), int(item_id)
    except (TypeError, ValueError):
        raise InvalidInput("cursor: not a cursor this API gave out",
                           fields={"cursor": ["invalid"]}) from None


def _filter(query: dict[str, Any]) -> ItemFilter:
    return ItemFilter(
        kinds=tuple(query.get("kind", ())), states=tuple(query.get("state", ())),
        unit_id=query.get("unit"), person_id=query.get("person"), is_open=query.get("open"),
        overdue=query.get("overdue"), escalation_level_min=query.get("escalation_level_min"),
        due_after=query.get("due_after"), due_before=query.get("due_before"),
        text=query.get("q"),
    )


@bp.route("/items")
class Items(MethodView):
    @bp.arguments(ItemQuery, location="query", unknown="raise")
    @bp.response(200, ItemPageOut)
    @statuses(bp, 401, 404)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Items you can see, filtered, by due date (keyset pages: follow next_cursor).

        Statuses: 200; 401; 404 `unit` not visible; 422 invalid filter or cursor.
        """
        rt, limit = runtime(), query["limit"]
        rows = find_items(rt, scope(), _filter(query), limit=limit + 1,
                          after=_position(query.get("cursor")),
                          descending=query["sort"] == "-due_at")
        page, more = rows[:limit], len(rows) > limit
        now = rt.clock.now()
        return {"items": [item_out(item, now) for item in page],
                "next_cursor": encode_cursor(page[-1].due_at, page[-1].id) if more else None}


@bp.route(ITEM)
class OneItem(MethodView):
    @bp.response(200, ItemDetailOut)
    @statuses(bp, 401, 404)
    def get(self, item_id: int) -> dict[str, Any]:
        """One item with its evidence and the actions you may take now.

        Statuses: 200; 401; 404 not found or not visible to you.
        """
        rt = runtime()
        detail = item_detail(rt, scope(), item_id, history=False)
        actions = [{"trigger": t.trigger, "label": t.label.to_dict(), "to": t.dest,
                    "requires": list(t.requires), "optional": list(t.optional),
                    "signature": t.signature}
                   for t in detail.actions]
        evidence = [{c: getattr(e, c) for c in ("sha256", "filename", "uploaded_by_id",
                                                 "uploaded_at", "item_version")}
                    for e in detail.evidence]
        return {**item_out(detail.item, rt.clock.now()), "assignee_name": detail.assignee.name,
                "actions": actions, "evidence": evidence}


@bp.route(ITEM + "/transitions")
class Transitions(MethodView):
    @bp.arguments(TransitionIn, example={"trigger": "submit", "version": 3, "inputs": {
        "comment": "已按要求完成", "evidence": ["<sha256 of an uploaded file>"]}})
    @bp.response(200, TransitionOut)
    @statuses(bp, 400, 401, 403, 404, 409)
    def post(self, body: dict[str, Any], item_id: int) -> dict[str, Any]:
        """Fire a trigger with the version you read; answers the new state and version.

        Statuses: 200; 400 malformed JSON or CSRF; 401; 403 your roles may not fire it (or a
        wrong signature password, or separation of duties); 404 not found or not visible;
        409 stale version (`details.current_version`); 422 trigger not allowed in this state
        (`details.allowed`), a condition unmet, or invalid inputs.
        """
        result = fire_transition(runtime(), actor(), item_id, body["trigger"], body["inputs"],
                                 expected_version=body["version"],
                                 password=body.get("password"))
        return {"item_id": result.item_id, "trigger": result.trigger,
                "from_state": result.from_state, "state": result.state,
                "version": result.version, "ledger_hash": result.ledger_hash,
                "spawned": list(result.spawned)}
