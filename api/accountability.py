"""The accountability register (追责问责), its outcomes, and escalation waivers."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api.common import ITEM, actor, make_blueprint, runtime, statuses
from api.schemas import (
    OutcomeIn,
    OutcomeOut,
    RegisterEntryOut,
    RegisterQuery,
    WaiverIn,
    WaiverOut,
)
from workflow.services.register import record_outcome, register_entries, waive_escalation

bp = make_blueprint("Accountability", "Escalations held against units and people, and "
                                      "what the committee decided.")
ENTRY = "/accountability/<int(min=1, max=2147483647):entry_id>"
_COLUMNS = ("id", "item_id", "org_id", "primary_person_id", "direct_person_id", "level",
            "action", "reason", "created_at", "outcome", "outcome_note", "outcome_by_id",
            "outcome_at")


@bp.route("/accountability")
class Register(MethodView):
    @bp.arguments(RegisterQuery, location="query", unknown="raise")
    @bp.response(200, RegisterEntryOut(many=True))
    @statuses(bp, 401)
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Register entries in your scope, newest first (the sweep opens them on escalation).

        Statuses: 200; 401; 422 bad filter.
        """
        entries = register_entries(runtime(), actor(), open_only=query["open"],
                                   limit=query["limit"])
        return [{c: getattr(e, c) for c in _COLUMNS} for e in entries]


@bp.route(ENTRY + "/outcome")
class Outcome(MethodView):
    @bp.arguments(OutcomeIn, example={"outcome": "talk_held", "note": "已约谈支部书记",
                                      "password": "your password"})
    @bp.response(200, OutcomeOut)
    @statuses(bp, 400, 401, 403, 404)
    def post(self, body: dict[str, Any], entry_id: int) -> dict[str, Any]:
        """Record what came of an entry: talk_held, notice_published or waived (with a note).

        The outcome is signed: send your `password` again.

        Statuses: 200; 400; 401; 403 not the issuing committee or a wrong password; 404 not
        visible; 422 unknown outcome, a waiver without a note, no password, or an outcome
        already recorded.
        """
        done = record_outcome(runtime(), actor(), entry_id, body["outcome"], body.get("note"),
                              password=body.get("password"))
        return {"entry_id": done.entry_id, "outcome": done.outcome,
                "ledger_hash": done.ledger_hash}


@bp.route(ITEM + "/waivers")
class Waivers(MethodView):
    @bp.arguments(WaiverIn, example={"reason": "汛期抢险，暂缓问责",
                                     "until": "2026-07-31T23:59:59+08:00"})
    @bp.response(201, WaiverOut)
    @statuses(bp, 400, 401, 403, 404)
    def post(self, body: dict[str, Any], item_id: int) -> dict[str, Any]:
        """Suspend an open item's escalation until a moment, for a reason (issuers).

        Statuses: 201; 400; 401; 403 not the issuing committee; 404 not visible;
        422 no reason, a closed item or a moment in the past.
        """
        waiver_id = waive_escalation(runtime(), actor(), item_id, reason=body["reason"],
                                     until=body["until"])
        return {"waiver_id": waiver_id, "item_id": item_id}
