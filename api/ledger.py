"""The ledger (台账): per item, filtered across your scope, and its verification."""

from __future__ import annotations

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
from api.schemas import LedgerPageOut, LedgerQuery, PageQuery, VerificationOut
from workflow.errors import InvalidInput
from workflow.models import LedgerEntry
from workflow.services.ledger import LedgerFilter, ledger_rows, verify_ledger

bp = make_blueprint("Ledger", "The append-only, hash-chained ledger and its verification.")

_COLUMNS = ("id", "subject", "subject_seq", "at", "actor_id", "item_id", "org_id", "action",
            "trigger", "from_state", "to_state", "reason", "inputs", "evidence", "signature",
            "prev_hash", "hash")


def _after(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    (entry_id,) = decode_cursor(cursor, 1)
    if not isinstance(entry_id, int) or isinstance(entry_id, bool):
        raise InvalidInput("cursor: not a cursor this API gave out", fields={"cursor": ["invalid"]})
    return entry_id


def _page(where: LedgerFilter, query: dict[str, Any]) -> dict[str, Any]:
    limit = query["limit"]
    rows = ledger_rows(runtime(), scope(), where, after=_after(query.get("cursor")),
                       limit=limit + 1)
    page: list[LedgerEntry] = rows[:limit]
    return {"entries": [{c: getattr(e, c) for c in _COLUMNS} for e in page],
            "next_cursor": encode_cursor(page[-1].id) if len(rows) > limit else None}


@bp.route(ITEM + "/ledger")
class ItemLedger(MethodView):
    @bp.arguments(PageQuery, location="query", unknown="raise")
    @bp.response(200, LedgerPageOut)
    @statuses(bp, 401, 404)
    def get(self, query: dict[str, Any], item_id: int) -> dict[str, Any]:
        """An item's ledger entries, oldest first.

        Statuses: 200; 401; 404 item not visible; 422 bad limit or cursor.
        """
        return _page(LedgerFilter(item_id=item_id), query)


@bp.route("/ledger")
class Ledger(MethodView):
    @bp.arguments(LedgerQuery, location="query", unknown="raise")
    @bp.response(200, LedgerPageOut)
    @statuses(bp, 401, 404)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Ledger entries you may see (your items; the tree if you administer it), oldest first.

        Follow `next_cursor` to read the ledger as a feed. Statuses: 200; 401; 404 `item` or
        `unit` not visible; 422 bad filter or cursor.
        """
        where = LedgerFilter(item_id=query.get("item"), unit_id=query.get("unit"),
                             actor_id=query.get("actor"), action=query.get("action"),
                             trigger=query.get("trigger"), since=query.get("since"),
                             until=query.get("until"))
        return _page(where, query)


@bp.route("/ledger/verify")
class Verify(MethodView):
    @bp.response(200, VerificationOut)
    @statuses(bp, 400, 401, 403)
    def post(self) -> dict[str, Any]:
        """Recompute every hash and chain and compare with the signed checkpoints (admins).

        `ok` is false when anything was altered, deleted, inserted or reordered; `problems`
        names the entries, the first bad one first. Statuses: 200; 400 CSRF; 401;
        403 not an administrator.
        """
        result = verify_ledger(runtime(), actor())
        return {"ok": result.ok, "count": result.count, "head_id": result.head_id,
                "head_hash": result.head_hash, "sealed_through": result.sealed_through,
                "checkpoints": result.checkpoints, "first_bad": result.first_bad,
                "checkpoint_file_damaged": result.file_damaged,
                "problems": [{"entry_id": e, "message": m} for e, m in result.problems]}
