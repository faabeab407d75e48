"""The hot reads that fetch Core rows (`DriverStatement.all`) and make them into detached objects
(`as_loaded`): signing a token in and reading one item. They must answer exactly what the ORM
would have loaded, on the driver's own path and on `Connection.execute`'s (taken whenever
anything listens to statements)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import bindparam, event, inspect, select, text
from sqlalchemy.orm.exc import DetachedInstanceError

from tests.conftest import World
from tests.workflow.helpers import attach, issue_task
from workflow.access import Scope
from workflow.db import Base, DriverStatement, as_loaded, watched
from workflow.models import Item, ItemEvidence, ItemLink, Organisation, Person
from workflow.queries import ItemFilter, find_items, item_detail
from workflow.runtime import Runtime
from workflow.services import orgs, tokens


@contextmanager
def _listened(rt: Runtime, on: bool) -> Iterator[list[str]]:
    """With `on`, a statement listener: `DriverStatement` then goes through `execute`."""
    seen: list[str] = []

    def listener(*args: object) -> None:
        seen.append(str(args[2]))

    if on:
        event.listen(rt.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        if on:
            event.remove(rt.engine, "before_cursor_execute", listener)


def _columns(obj: Base) -> dict[str, object]:
    return {c.key: getattr(obj, c.key) for c in type(obj).__table__.c}


def _clean_and_detached(obj: Base) -> None:
    state = inspect(obj)
    assert state.detached and state.key is not None and not state.modified


def test_reads_take_the_drivers_path_unless_a_statement_listener_watches(rt: Runtime) -> None:
    # the listeners an engine has anyway (an isolation level's `engine_connect`, SQLite's
    # `begin`) see no statement, so they must not send the hot reads through `execute`
    for snapshot in (True, False):
        with rt.read(snapshot=snapshot) as session:
            assert not watched(session.connection())
        with _listened(rt, True), rt.read(snapshot=snapshot) as session:
            assert watched(session.connection())


@pytest.mark.parametrize("listened", [False, True], ids=["driver", "execute"])
def test_the_item_read_answers_what_the_orm_loads(world: World, listened: bool) -> None:
    rt = world.rt
    item_id = issue_task(world, days=20)
    shas = {attach(world, item_id, content=b"one"), attach(world, item_id, content=b"two")}
    with _listened(rt, listened) as seen:
        detail = item_detail(rt, Scope.of(world.person("handler_a")), item_id, history=False)
    assert bool(seen) == listened
    with rt.read() as session:
        item = session.get_one(Item, item_id)
        unit = session.get_one(Organisation, item.assignee_org_id)
        attached = session.scalars(select(ItemEvidence).where(ItemEvidence.item_id == item_id)
                                   .order_by(ItemEvidence.id))
        expected = (_columns(item), _columns(unit), [_columns(e) for e in attached])
    assert (_columns(detail.item), _columns(detail.assignee),
            [_columns(e) for e in detail.evidence]) == expected
    assert {e.sha256 for e in detail.evidence} == shas
    for obj in (detail.item, detail.assignee, *detail.evidence):
        _clean_and_detached(obj)
    with pytest.raises(DetachedInstanceError):
        _ = detail.item.item_list  # not loaded, and never loaded behind the caller's back


@pytest.mark.parametrize("listened", [False, True], ids=["driver", "execute"])
def test_a_signed_in_owner_is_the_person_the_orm_loads(world: World, listened: bool) -> None:
    rt = world.rt
    orgs.grant_role(rt, Scope.system(), person_id=world.ids["inspector"],
                    org_id=world.branch_a, role="leader")
    made = tokens.create_token(rt, Scope.system(), world.ids["inspector"], name="t")
    with _listened(rt, listened):
        owner = tokens.authenticate_token(rt, made.token)
    assert owner is not None
    loaded = world.person("inspector")
    assert _columns(owner) == _columns(loaded)
    for mine, theirs in ((owner.grants, loaded.grants), (owner.assignments, loaded.assignments)):
        assert sorted((sorted(_columns(x).items()), x.org.path) for x in mine) == sorted(
            (sorted(_columns(x).items()), x.org.path) for x in theirs)
        for link in mine:
            _clean_and_detached(link)
    _clean_and_detached(owner)
    assert "leader" in Scope.of(owner).roles and owner.assignments
    assert Scope.of(owner) == Scope.of(loaded)


def test_a_person_without_roles_signs_in_with_none(world: World) -> None:
    rt = world.rt
    person_id = orgs.create_person(rt, Scope.system(), username="nobody", display_name="无角色",
                                   org_id=world.branch_a, password="Correct-Horse-9",
                                   must_change_password=False)
    made = tokens.create_token(rt, Scope.system(), person_id, name="t")
    owner = tokens.authenticate_token(rt, made.token)
    assert owner is not None and owner.grants == [] and owner.assignments == []
    assert Scope.of(owner).roles == {}


#: a statement with a value of its own besides its parameter, like the item read's counts
_LINKED = DriverStatement(
    select(ItemLink.id, ItemLink.from_item_id)
    .where(ItemLink.to_item_id == bindparam("item_id"), ItemLink.kind == "rectifies")
    .order_by(ItemLink.id)
)


@pytest.mark.parametrize("listened", [False, True], ids=["driver", "execute"])
def test_driver_rows_bind_the_statements_own_values(world: World, listened: bool) -> None:
    rt = world.rt
    target, *others = (issue_task(world) for _ in range(4))
    with rt.transaction() as session:
        for other, kind in zip(others, ("rectifies", "rectifies", "relates"), strict=True):
            session.add(ItemLink(from_item_id=other, to_item_id=target, kind=kind,
                                 created_at=rt.clock.now()))
    with _listened(rt, listened), rt.read(snapshot=False) as session:
        rows = _LINKED.all(session.connection(), {"item_id": target})
        assert rows == list(session.connection().execute(_LINKED.statement,
                                                         {"item_id": target}).all())
    assert len(rows) == 2 and rows[0].from_item_id < rows[1].from_item_id


def test_a_driver_statement_refuses_a_parameter_it_does_not_bind(rt: Runtime) -> None:
    with rt.read() as session, pytest.raises(ValueError, match="do not bind"):
        _LINKED.all(session.connection(), {"other": 1})


def test_as_loaded_leaves_what_it_was_not_given_unloaded() -> None:
    person = as_loaded(Person, {"id": 7, "username": "u", "display_name": "某人"})
    _clean_and_detached(person)
    assert inspect(person).key == (Person, (7,), None)
    with pytest.raises(DetachedInstanceError):
        _ = person.email


def test_a_list_page_holds_the_items_the_orm_loads(world: World) -> None:
    rt = world.rt
    ids = [issue_task(world, days=d) for d in (3, 9, 27)]
    leader = Scope.of(world.person("leader"))
    page = find_items(rt, leader, ItemFilter(unit_id=world.branch_a), limit=2)
    rest = find_items(rt, leader, ItemFilter(unit_id=world.branch_a), limit=2,
                      after=(page[-1].due_at, page[-1].id))
    assert [i.id for i in page + rest] == ids  # soonest due first, keyset pages
    with rt.read() as session:
        expected = [_columns(session.get_one(Item, i)) for i in ids]
    assert [_columns(i) for i in page + rest] == expected
    for item in page + rest:
        _clean_and_detached(item)


def test_only_lookups_by_key_are_prepared_on_postgresql(world: World, backend: str) -> None:
    """A prepared statement may be given a generic plan, blind to its values: the hot lookups by
    key are prepared, a range of the tree and every other statement is planned each time."""
    if backend != "postgresql":
        pytest.skip("server-side prepared statements are PostgreSQL's")
    rt = world.rt
    item_id = issue_task(world)
    ranged = DriverStatement(select(Item.id).where(Item.org_path >= bindparam("low"),
                                                   Item.org_path < bindparam("high")),
                             prepare=False)
    scope = Scope.of(world.person("handler_a"))
    with rt.shared_reads():  # one connection throughout
        for _ in range(8):
            item_detail(rt, scope, item_id, history=False)
            find_items(rt, scope, ItemFilter(unit_id=world.branch_a))
            with rt.read(snapshot=False) as session:
                assert ranged.all(session.connection(), {"low": "/", "high": "0"})
        with rt.read(snapshot=False) as session:
            prepared = session.execute(text("SELECT statement FROM pg_prepared_statements"))
            statements = [" ".join(s.split()) for s in prepared.scalars()]
    assert any("FROM items JOIN organisations" in s for s in statements), statements
    assert not any("items.org_path >=" in s for s in statements), statements
    assert not any("ORDER BY items.due_at" in s for s in statements), statements
