"""The ledger (台账): hash rules shared by every backend, append-only guards, no forks, and the
ledger as the source of truth for an item's state."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.conftest import START, World
from tests.workflow.helpers import attach, issue_task
from workflow import ledger
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound, VersionConflict
from workflow.models import Item, LedgerEntry
from workflow.runtime import Runtime
from workflow.services.items import fire_transition

BEIJING = timezone(timedelta(hours=8))
LEDGER = LedgerEntry.__table__

#: nested inputs mixing every type canonical() has to pin down
FIXED_INPUTS: dict[Any, Any] = {
    "score": Decimal("9.50"),
    "due": datetime(2026, 4, 1, 23, 59, 59, 250000, tzinfo=BEIJING),
    "ratio": 0.1,
    "nested": {"b": [1, 2.5, {"d": date(2026, 3, 31)}], "a": "中文"},
    "flag": True,
    "none": None,
    7: "int key",
}
FIXED = {
    "subject": "test:fixed",
    "at": datetime(2026, 3, 2, 9, 2, 3, 456789, tzinfo=BEIJING),
    "action": "test",
    "trigger": "sign_for",
    "from_state": "issued",
    "to_state": "received",
    "reason": "签收：按期召开",
    "evidence": ["b" * 64, "a" * 64],
    "signature": "approved",
}
#: the hash of FIXED with FIXED_INPUTS as the first entry of its chain, on any backend, any host
FIXED_HASH = "43a3b30a24c1aee7ae68641d176df50c7370e212ff8107905f2ac36b7d8504bf"

REFUSAL = "append-only"


def _entries(rt: Runtime, item_id: int | None = None) -> list[Any]:
    with rt.read() as session:
        query = select(LedgerEntry).order_by(LedgerEntry.id)
        if item_id is not None:
            query = query.where(LedgerEntry.item_id == item_id)
        return list(session.scalars(query))


def _count(rt: Runtime) -> int:
    with rt.read() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry)) or 0


def _seed(rt: Runtime, subject: str = "test:seed", n: int = 3) -> ledger.Head:
    """A short chain written straight through ledger.append (no world needed)."""
    with rt.transaction() as session:
        head = None
        for number in range(n):
            head = ledger.append(session, subject=subject, at=START, action="test",
                                 head=head, inputs={"n": number})
    assert head is not None
    return head


def fold(entries: list[Any]) -> str | None:
    """Replay an item's entries: the issue entry sets the state, each transition moves it."""
    state = None
    for entry in sorted(entries, key=lambda e: e.subject_seq):
        if entry.action == "issue":
            assert state is None, "an item is issued once"
            state = entry.to_state
        elif entry.action == "transition":
            assert entry.from_state == state, f"entry #{entry.id} starts from the wrong state"
            state = entry.to_state
    return state


def _row(rt: Runtime, item_id: int) -> dict[str, Any]:
    with rt.read() as session:
        item = session.get_one(Item, item_id)
        return {c.key: getattr(item, c.key) for c in Item.__table__.columns}


# --- hash rules ---------------------------------------------------------------------------------


def test_canonical_pins_every_type_and_round_trips() -> None:
    reduced = ledger.canonical(FIXED_INPUTS)
    assert reduced == {
        "score": "9.50",
        "due": "2026-04-01T15:59:59.250000Z",
        "ratio": "0.1",
        "nested": {"b": [1, "2.5", {"d": "2026-03-31"}], "a": "中文"},
        "flag": True,
        "none": None,
        "7": "int key",
    }
    # what a database hands back (JSON parsed again) reduces to the same thing
    assert ledger.canonical(json.loads(ledger.encode(reduced))) == reduced
    # the same instant in another zone, and the same dict in another order, encode identically
    moved = dict(reversed(list(FIXED_INPUTS.items())))
    moved["due"] = FIXED_INPUTS["due"].astimezone(UTC)
    assert ledger.encode(ledger.canonical(moved)) == ledger.encode(reduced)
    # Decimal keeps its written precision and a float its shortest repr: text, never re-rounded
    assert ledger.canonical([Decimal("9.5"), 1e16, 0.1 + 0.2]) == ["9.5", "1e+16",
                                                                   "0.30000000000000004"]
    assert ledger.encode({"b": 1, "a": "中"}) == '{"a":"中","b":1}'.encode()


def test_a_naive_time_is_refused_rather_than_read_in_the_host_zone() -> None:
    with pytest.raises(ValueError, match="naive"):
        ledger.canonical({"due": datetime(2026, 4, 1, 12, 0)})


@pytest.mark.parametrize("through", ["session", "connection"])
def test_the_same_content_hashes_the_same_on_every_backend(rt: Runtime, through: str) -> None:
    """Written through a Session or (the transition hot path) a bare Connection, the stored row
    reads back, on each backend, as content that hashes to the same pinned value."""
    body = {**FIXED, "subject_seq": 1, "prev_hash": ledger.genesis_hash("test:fixed"),
            "actor_id": None, "item_id": None, "org_id": None,
            "inputs": ledger.canonical(FIXED_INPUTS), "evidence": sorted(FIXED["evidence"])}
    assert ledger.entry_hash(body) == FIXED_HASH
    with rt.transaction() as session:
        target = session if through == "session" else session.connection()
        tip = ledger.append(target, inputs=FIXED_INPUTS, **FIXED)  # type: ignore[arg-type]
    assert tip == ledger.Head(1, FIXED_HASH)
    (stored,) = _entries(rt)
    assert stored.hash == FIXED_HASH
    assert ledger.row_hash(stored) == FIXED_HASH  # what came back from this backend
    assert stored.at == FIXED["at"] and stored.at.tzinfo is not None
    assert stored.inputs == body["inputs"] and stored.evidence == ["a" * 64, "b" * 64]


# --- the database refuses to change history ---------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entries SET reason = 'forged' WHERE id = :id",
    "UPDATE ledger_entries SET hash = prev_hash WHERE id = :id",
    "DELETE FROM ledger_entries WHERE id = :id",
])
def test_the_database_refuses_update_and_delete(rt: Runtime, statement: str) -> None:
    _seed(rt)
    before = [(e.id, e.hash, e.reason) for e in _entries(rt)]
    with pytest.raises(DBAPIError, match=REFUSAL), rt.engine.begin() as conn:
        conn.execute(text(statement), {"id": before[1][0]})
    assert [(e.id, e.hash, e.reason) for e in _entries(rt)] == before


def test_postgresql_refuses_even_in_replica_mode_and_truncate(rt: Runtime, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("session_replication_role and TRUNCATE triggers are PostgreSQL's")
    _seed(rt)
    before = _count(rt)
    for statement in (
        "UPDATE ledger_entries SET reason = 'forged'",
        "DELETE FROM ledger_entries",
        "TRUNCATE ledger_entries",
        "TRUNCATE ledger_entries CASCADE",
    ):
        for role in ("origin", "replica"):
            with pytest.raises(DBAPIError, match=REFUSAL), rt.engine.begin() as conn:
                conn.execute(text(f"SET LOCAL session_replication_role = {role}"))
                conn.execute(text(statement))
    assert _count(rt) == before


def test_a_chain_cannot_fork(rt: Runtime) -> None:
    _seed(rt, n=2)
    first = _entries(rt)[0]
    # a writer holding a stale head cannot extend the same tip twice
    with pytest.raises(IntegrityError), rt.transaction() as session:
        ledger.append(session, subject="test:seed", at=START, action="test",
                      head=ledger.Head(1, first.hash), inputs={"fork": True})
    # nor can a forged entry that dodges the sequence number: prev_hash alone is unique
    for subject, seq in (("test:seed", 99), ("test:other", 1)):
        body = {"subject": subject, "subject_seq": seq, "prev_hash": first.hash, "at": START,
                "action": "test", "inputs": {}, "evidence": []}
        with pytest.raises(IntegrityError), rt.transaction() as session:
            session.execute(insert(LEDGER).values(**body, hash=ledger.entry_hash(body)))
    # the legitimate next entry still fits, and the chain is a straight line
    with rt.transaction() as session:
        ledger.append(session, subject="test:seed", at=START, action="test", inputs={})
    chain = _entries(rt)
    assert [e.subject_seq for e in chain] == [1, 2, 3]
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]


# --- the ledger and the item agree ---------------------------------------------------------------


def test_a_refused_action_writes_nothing(world: World) -> None:
    rt = world.rt
    item_id = issue_task(world)
    fire_transition(rt, world.person("handler_a"), item_id, "sign_for", expected_version=1)
    before_row, before_ledger = _row(rt, item_id), _entries(rt)
    refusals: list[tuple[type[Exception], str, str, dict[str, Any] | None, int]] = [
        (VersionConflict, "handler_a", "start", None, 1),              # stale version
        (VersionConflict, "handler_a", "start", None, 3),              # a version from the future
        (InvalidTransition, "handler_a", "sign_for", None, 2),         # wrong state
        (InvalidTransition, "handler_a", "no_such_trigger", None, 2),  # unknown trigger
        (NotAllowed, "leader", "start", None, 2),                      # wrong role
        (NotAllowed, "inspector", "start", None, 2),                   # wrong role
        (NotFound, "handler_b", "start", None, 2),                     # another branch
        (InvalidInput, "handler_a", "start", {"state": "closed"}, 2),  # smuggled input
        (InvalidInput, "handler_a", "start", {"comment": ""}, 2),      # empty input
    ]
    for error, who, trigger, inputs, version in refusals:
        with pytest.raises(error):
            fire_transition(rt, world.person(who), item_id, trigger, inputs,
                            expected_version=version)
    assert _row(rt, item_id) == before_row
    assert [(e.id, e.hash) for e in _entries(rt)] == [(e.id, e.hash) for e in before_ledger]
    # a refusal raised late (after the inputs validated: an effect) also leaves nothing behind
    fire_transition(rt, world.person("handler_a"), item_id, "start", expected_version=2)
    before_row, count = _row(rt, item_id), _count(rt)
    fire_transition(rt, world.person("handler_a"), item_id, "request_extension",
                    {"reason": "人手不足", "due": (START + timedelta(days=40)).isoformat()},
                    expected_version=3)
    with pytest.raises(InvalidInput, match="future"):
        fire_transition(rt, world.person("issuer"), item_id, "approve_extension",
                        {"due": (START - timedelta(days=1)).isoformat()}, expected_version=4)
    assert _count(rt) == count + 1  # the request went in; the refused approval did not
    after = _row(rt, item_id)
    assert after["state"] == "extension_requested" and after["version"] == 4
    assert after["due_at"] == before_row["due_at"]


def test_folding_the_ledger_gives_the_current_state(world: World) -> None:
    rt = world.rt
    item_id = issue_task(world)
    other = issue_task(world, title="另一项任务")  # interleaves its entries with the first item's
    steps: list[tuple[str, str, dict[str, Any] | None]] = [
        ("handler_a", "return_to_issuer", {"reason": "不属于本单位职责"}),
        ("issuer", "reassign", {"assignee": world.branch_a, "comment": "仍由本单位办理"}),
        ("handler_a", "sign_for", None),
        ("handler_a", "start", None),
        ("handler_a", "report_progress", {"comment": "已完成一半"}),
        ("handler_a", "request_extension",
         {"reason": "人手不足", "due": (START + timedelta(days=45)).isoformat()}),
        ("issuer", "approve_extension", {"due": (START + timedelta(days=45)).isoformat()}),
        ("handler_a", "submit", "evidence"),  # type: ignore[list-item]
        ("inspector", "send_back", {"comment": "缺少签到表"}),
    ]
    for number, (who, trigger, inputs) in enumerate(steps):
        if inputs == "evidence":
            inputs = {"evidence": [attach(world, item_id)]}
        version = _row(rt, item_id)["version"]
        fire_transition(rt, world.person(who), item_id, trigger, inputs,
                        expected_version=version)
        if number == 2:
            fire_transition(rt, world.person("handler_a"), other, "sign_for", expected_version=1)
        entries = _entries(rt, item_id)
        row = _row(rt, item_id)
        assert fold(entries) == row["state"], f"after {trigger}"
        assert row["version"] == 1 + sum(e.action == "transition" for e in entries)
        assert (row["ledger_seq"], row["ledger_head"]) == (entries[-1].subject_seq,
                                                           entries[-1].hash)
    assert _row(rt, item_id)["state"] == "in_progress"
    assert fold(_entries(rt, other)) == _row(rt, other)["state"] == "received"
    actions = [e.action for e in _entries(rt, item_id)]
    assert actions.count("evidence") == 1 and actions.count("transition") == len(steps)
