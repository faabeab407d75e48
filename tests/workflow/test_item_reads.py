"""Reads without a snapshot (`rt.read(snapshot=False)`) and the item read built on them: no
transaction on PostgreSQL, no writes on either database, and one statement for an item with
its unit, attachments and the counts its actions' conditions need."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from tests.conftest import START, World
from tests.workflow.helpers import attach, default_fields, issue_task
from workflow.access import Scope
from workflow.errors import SandanError
from workflow.models import Item, Organisation, Person
from workflow.queries import item_detail
from workflow.runtime import Runtime
from workflow.services.items import available_actions, fire_transition
from workflow.services.lists import NewItem, decompose_item


def _in_a_transaction(session: Session) -> bool:
    """Whether a statement runs in a transaction an earlier statement began (PostgreSQL)."""
    session.execute(text("SELECT pg_sleep(0.01)"))
    return bool(session.scalar(text(
        "SELECT xact_start < query_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")))


def test_a_read_without_snapshot_sends_no_begin_on_postgresql(world: World, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite reads keep their transaction: one snapshot, no round trip")
    rt = world.rt
    with rt.read(snapshot=False) as session:
        assert not _in_a_transaction(session)
    with rt.read() as session:
        assert _in_a_transaction(session)  # the pool gave the connection back as it was
    with rt.shared_reads():
        with rt.read(snapshot=False) as session:
            lent = session.connection().connection.driver_connection
            assert not _in_a_transaction(session)
        with rt.read() as session:  # the same connection, with its transaction again
            assert session.connection().connection.driver_connection is lent
            assert _in_a_transaction(session)
        with rt.read(snapshot=False) as session:
            assert session.connection().connection.driver_connection is lent
            assert not _in_a_transaction(session)
    with rt.read() as session:
        assert _in_a_transaction(session)


@pytest.mark.parametrize("shared", [False, True])
def test_a_read_without_snapshot_refuses_to_write(world: World, shared: bool) -> None:
    rt = world.rt
    with rt.shared_reads() if shared else nullcontext():
        with pytest.raises(SandanError, match="does not write"), \
                rt.read(snapshot=False) as session:
            session.get_one(Organisation, world.branch_a).name = "改名"
            session.flush()
        with rt.read(snapshot=False) as session:  # nothing was written, and reads go on
            assert session.get_one(Organisation, world.branch_a).name == "甲公司党支部"
    with rt.read() as session:
        assert session.scalar(select(Organisation.name).where(
            Organisation.id == world.branch_a)) == "甲公司党支部"


def test_the_item_read_is_one_statement_and_lists_actions_as_their_conditions_say(
        world: World) -> None:
    rt, handler = world.rt, world.person("handler_a")
    item_id = issue_task(world, days=20)
    for trigger in ("sign_for", "start"):
        fire(rt, world, "handler_a", item_id, trigger)
    statements = _count_statements(rt)
    assert "submit" in _triggers(rt, handler, item_id)
    assert len(statements) == 1  # sign-in aside: the item, its unit, evidence, counts

    decompose_item(rt, handler, item_id, [NewItem(
        title="小组任务", assignee_org_id=world.group_a, due_at=START + timedelta(days=5),
        fields=default_fields("task"))])
    statements.clear()
    assert "submit" not in _triggers(rt, handler, item_id)  # a child item is still open
    assert len(statements) == 1
    attach(world, item_id)
    assert _triggers(rt, handler, item_id) == _counted_triggers(rt, handler, item_id)


def _triggers(rt: Runtime, actor: Person, item_id: int) -> list[str]:
    detail = item_detail(rt, Scope.of(actor), item_id, history=False)
    return [step.trigger for step in detail.actions]


def _counted_triggers(rt: Runtime, actor: Person, item_id: int) -> list[str]:
    """The same actions, each condition counted by its own query."""
    with rt.read() as session:
        item = session.get_one(Item, item_id)
        return [step.trigger for step in available_actions(rt, session, Scope.of(actor), item)]


def _count_statements(rt: Runtime) -> list[str]:
    statements: list[str] = []
    event.listen(rt.engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_: statements.append(sql))
    return statements


def fire(rt: Runtime, world: World, who: str, item_id: int, trigger: str) -> None:
    with rt.read() as session:
        version = session.get_one(Item, item_id).version
    fire_transition(rt, world.person(who), item_id, trigger, None, expected_version=version)
