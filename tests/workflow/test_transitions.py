"""The transition engine: the happy path through a task, and every kind of refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, World
from tests.workflow.helpers import attach, issue_task
from workflow.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound, VersionConflict
from workflow.models import Item, ItemLink, LedgerEntry
from workflow.runtime import Runtime
from workflow.services.items import fire_transition


def _item(world: World, item_id: int) -> Item:
    with world.rt.read() as session:
        return session.get_one(Item, item_id)


def _ledger_count(world: World) -> int:
    with world.rt.read() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry)) or 0


def fire(world: World, who: str, item_id: int, trigger: str, **inputs: object) -> Item:
    password = inputs.pop("password", None)
    version = _item(world, item_id).version
    fire_transition(world.rt, world.person(who), item_id, trigger, inputs or None,
                    expected_version=version, password=password)  # type: ignore[arg-type]
    return _item(world, item_id)


def test_a_task_goes_from_issue_to_close(world: World) -> None:
    item_id = issue_task(world)
    assert fire(world, "handler_a", item_id, "sign_for").state == "received"
    assert fire(world, "handler_a", item_id, "start").state == "in_progress"
    digest = attach(world, item_id)
    assert fire(world, "handler_a", item_id, "submit", evidence=[digest]).state == "submitted"
    approved = fire(world, "inspector", item_id, "approve", password=PASSWORD)
    assert approved.state == "approved" and approved.approved_version is not None
    closed = fire(world, "issuer", item_id, "close", password=PASSWORD)
    assert closed.state == "closed" and not closed.is_open and closed.closed_at is not None
    with world.rt.read() as session:
        entries = session.scalars(
            select(LedgerEntry).where(LedgerEntry.item_id == item_id).order_by(LedgerEntry.id)
        ).all()
    assert [e.action for e in entries] == ["issue"] + ["transition"] * 2 + ["evidence"] + [
        "transition"] * 3
    assert [e.subject_seq for e in entries] == list(range(1, 8))
    assert entries[-1].signature == "closed" and entries[-2].signature == "approved"
    assert entries[-2].inputs["approved_evidence"] == [digest]


def test_failed_review_spawns_a_linked_rectification(world: World) -> None:
    item_id = issue_task(world)
    fire(world, "handler_a", item_id, "sign_for")
    fire(world, "handler_a", item_id, "start")
    fire(world, "handler_a", item_id, "submit", evidence=[attach(world, item_id)])
    failed = fire(world, "inspector", item_id, "fail_review", comment="记录缺少签名")
    assert failed.state == "rectifying"
    with world.rt.read() as session:
        link = session.scalars(select(ItemLink).where(ItemLink.to_item_id == item_id)).one()
        rect = session.get_one(Item, link.from_item_id)
    assert rect.kind == "rectification" and rect.assignee_org_id == world.branch_a
    with pytest.raises(InvalidTransition, match="rectification item"):
        fire(world, "handler_a", item_id, "resubmit",
             evidence=[attach(world, item_id, content=b"x")])


def test_wrong_state_names_the_allowed_triggers(world: World) -> None:
    item_id = issue_task(world)
    before = _ledger_count(world)
    with pytest.raises(InvalidTransition) as caught:
        fire(world, "handler_a", item_id, "submit", evidence=["0" * 64])
    assert "sign_for" in caught.value.message and "return_to_issuer" in caught.value.message
    assert _ledger_count(world) == before
    assert _item(world, item_id).state == "issued"


def test_wrong_role_is_refused_and_nothing_written(world: World) -> None:
    item_id = issue_task(world)
    before = _ledger_count(world)
    with pytest.raises(NotAllowed):
        fire(world, "leader", item_id, "sign_for")
    assert _ledger_count(world) == before and _item(world, item_id).version == 1


def test_other_branch_gets_not_found(world: World) -> None:
    item_id = issue_task(world)
    with pytest.raises(NotFound):
        fire_transition(world.rt, world.person("handler_b"), item_id, "sign_for",
                        expected_version=1)


def test_missing_and_unknown_inputs_are_named(world: World) -> None:
    item_id = issue_task(world)
    fire(world, "handler_a", item_id, "sign_for")
    fire(world, "handler_a", item_id, "start")
    with pytest.raises(InvalidInput, match="evidence"):
        fire(world, "handler_a", item_id, "submit")
    with pytest.raises(InvalidInput, match="state"):
        fire(world, "handler_a", item_id, "report_progress", comment="ok", state="closed")


def test_stale_version_is_a_conflict(world: World) -> None:
    item_id = issue_task(world)
    fire(world, "handler_a", item_id, "sign_for")
    with pytest.raises(VersionConflict) as caught:
        fire_transition(world.rt, world.person("handler_a"), item_id, "start", expected_version=1)
    assert caught.value.details["current_version"] == 2


def test_separation_of_duties_and_signature(world: World) -> None:
    item_id = issue_task(world)
    fire(world, "admin", item_id, "sign_for")
    fire(world, "admin", item_id, "start")
    fire(world, "admin", item_id, "submit", evidence=[attach(world, item_id, who="admin")])
    with pytest.raises(NotAllowed, match="separation of duties"):
        fire(world, "admin", item_id, "approve", password=PASSWORD)
    with pytest.raises(InvalidInput, match="password"):
        fire(world, "inspector", item_id, "approve")
    with pytest.raises(NotAllowed, match="password is wrong"):
        fire(world, "inspector", item_id, "approve", password="wrong-password-1")
    assert fire(world, "inspector", item_id, "approve", password=PASSWORD).state == "approved"


def test_evidence_must_be_attached_to_the_item(world: World) -> None:
    item_id = issue_task(world)
    other_id = issue_task(world, title="开展主题党日")
    fire(world, "handler_a", item_id, "sign_for")
    fire(world, "handler_a", item_id, "start")
    foreign = attach(world, other_id, content=b"other item's minutes")
    before = _ledger_count(world)
    with pytest.raises(InvalidInput, match="not attached to this item") as refused:
        fire(world, "handler_a", item_id, "submit", evidence=[foreign])
    assert refused.value.details["fields"]["evidence"]
    with pytest.raises(InvalidInput, match="not attached"):
        fire(world, "handler_a", item_id, "submit", evidence=["0" * 64])
    assert _item(world, item_id).state == "in_progress" and _ledger_count(world) == before


def test_a_fresh_runtime_can_fire_first_thing(world: World) -> None:
    item_id = issue_task(world)
    fresh = Runtime(world.rt.settings, world.rt.clock)
    try:
        fire_transition(fresh, world.person("handler_a"), item_id, "sign_for", None,
                        expected_version=_item(world, item_id).version)
    finally:
        fresh.dispose()
    assert _item(world, item_id).state == "received"
