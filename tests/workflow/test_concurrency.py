"""Conflicting writers on one item: exactly one wins, every other one gets a VersionConflict.

PostgreSQL orders the writers with the item's row lock (SELECT ... FOR UPDATE), SQLite with
BEGIN IMMEDIATE and a busy timeout; either way the losers see the winner's version and refuse.
"""

from __future__ import annotations

import io
import threading
from collections import Counter
from typing import Any

from sqlalchemy import select

from tests.conftest import World
from tests.workflow.helpers import issue_task
from workflow.checkpoints import verify, write_checkpoint
from workflow.errors import VersionConflict
from workflow.models import Item, ItemEvidence, LedgerEntry
from workflow.services.evidence import Attached, attach_evidence
from workflow.services.items import TransitionResult, fire_transition

THREADS = 16
TRIGGERS = {"sign_for": None, "return_to_issuer": {"reason": "不属于本单位职责"}}


def test_sixteen_conflicting_writers_one_winner(world: World) -> None:
    rt = world.rt
    item_id = issue_task(world)
    handlers = [world.person("handler_a"), world.person("handler_a2")]
    plan = [list(TRIGGERS)[n % 2] for n in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[Any] = [None] * THREADS

    def writer(n: int) -> None:
        barrier.wait()
        try:
            outcomes[n] = fire_transition(rt, handlers[n // 2 % 2], item_id, plan[n],
                                          TRIGGERS[plan[n]], expected_version=1)
        except Exception as exc:  # every outcome is examined below
            outcomes[n] = exc

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"

    wins = [o for o in outcomes if isinstance(o, TransitionResult)]
    losses = [o for o in outcomes if not isinstance(o, TransitionResult)]
    assert len(wins) == 1, outcomes
    assert Counter(type(o) for o in losses) == {VersionConflict: THREADS - 1}, losses
    assert all(o.details.get("current_version") == 2 for o in losses), losses
    (won,) = wins
    with rt.read() as session:
        item = session.get_one(Item, item_id)
        entries = session.scalars(
            select(LedgerEntry).where(LedgerEntry.item_id == item_id).order_by(LedgerEntry.id)
        ).all()
        check = verify(session, rt.checkpoint_path, rt.ledger_key())
    assert (item.state, item.version) == (won.state, 2)
    assert [e.action for e in entries] == ["issue", "transition"]
    assert entries[1].trigger == won.trigger and entries[1].hash == won.ledger_hash
    assert (item.ledger_seq, item.ledger_head) == (2, won.ledger_hash)
    assert check.ok, check.problems


def test_concurrent_retries_of_one_upload_attach_once(world: World) -> None:
    """A client retrying an upload (same Idempotency-Key) while the first is still running."""
    rt = world.rt
    item_id = issue_task(world)
    barrier = threading.Barrier(6)
    outcomes: list[Any] = [None] * 6

    def upload(n: int) -> None:
        barrier.wait()
        try:
            outcomes[n] = attach_evidence(rt, world.person("handler_a"), item_id, "纪要.pdf",
                                          io.BytesIO(b"minutes of the meeting"),
                                          idempotency_key="upload-1")
        except Exception as exc:  # every outcome is examined below
            outcomes[n] = exc

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(o, Attached) for o in outcomes), outcomes
    assert sum(o.created for o in outcomes) == 1
    assert len({o.sha256 for o in outcomes}) == 1
    with rt.read() as session:
        attached = session.scalars(select(ItemEvidence).where(ItemEvidence.item_id == item_id))
        assert len(attached.all()) == 1
        evidence_entries = session.scalars(select(LedgerEntry).where(
            LedgerEntry.item_id == item_id, LedgerEntry.action == "evidence")).all()
    assert len(evidence_entries) == 1


def test_concurrent_checkpoints_take_turns(world: World) -> None:
    """Two checkpointers at once (two worker hosts): lines never interleave or repeat ids."""
    rt = world.rt
    for number in range(3):
        issue_task(world, title=f"任务{number}")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def seal() -> None:
        barrier.wait()
        try:
            with rt.transaction() as session:
                write_checkpoint(session, rt.checkpoint_path, rt.ledger_key(), rt.clock.now())
        except BaseException as exc:  # examined below
            errors.append(exc)

    threads = [threading.Thread(target=seal) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    lines = rt.checkpoint_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1  # one sealed everything; the others found nothing new
    with rt.read() as session:
        result = verify(session, rt.checkpoint_path, rt.ledger_key())
    assert result.ok and result.sealed_through == result.head_id
