"""Database connections: the reads of one request share a connection, and a connection the
server dropped (a restart) is replaced without the caller seeing an error where that is safe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import World, _pg_admin
from workflow.access import Scope
from workflow.db import make_engine
from workflow.errors import SandanError
from workflow.models import Organisation
from workflow.runtime import Runtime
from workflow.services import orgs


def count_checkouts(engine: Engine) -> list[int]:
    """A list that grows by one each time `engine`'s pool hands out a connection."""
    checkouts: list[int] = []
    event.listen(engine.pool, "checkout", lambda *_: checkouts.append(1))
    return checkouts


def terminate_backends(database_url: str) -> int:
    """Kill every server process of the database (as a restart would); how many there were."""
    name = database_url.rpartition("/")[2]
    with _pg_admin() as admin:
        rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchall()
    return len(rows)


def _driver_connection(rt: Runtime) -> object:
    with rt.read() as session:
        return session.connection().connection.driver_connection


def test_shared_reads_take_one_connection_and_each_read_sees_earlier_writes(world: World) -> None:
    rt = world.rt
    checkouts = count_checkouts(rt.engine)
    with rt.shared_reads():
        first, second = _driver_connection(rt), _driver_connection(rt)
        assert first is second
        assert len(checkouts) == 1
        # a write between two reads (on a connection of its own) is seen by the next read
        new = orgs.create_org(rt, Scope.system(), name="丙公司党支部", kind="branch",
                              parent_id=world.committee)
        with rt.read() as session:
            assert session.get(Organisation, new) is not None
        with pytest.raises(SandanError, match="already open"), rt.shared_reads():
            pass
    # afterwards each read takes a connection of its own again
    before = len(checkouts)
    _driver_connection(rt)
    _driver_connection(rt)
    assert len(checkouts) == before + 2


@pytest.fixture
def pg_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("server connections that can be killed are PostgreSQL's")


@pytest.fixture
def pinging_engine(database_url: str, pg_only: None) -> Iterator[Engine]:
    engine = make_engine(database_url, ping_idle_after=0)
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")))


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced(
        database_url: str, pinging_engine: Engine) -> None:
    pid = _backend_pid(pinging_engine)
    assert terminate_backends(database_url) >= 1
    assert _backend_pid(pinging_engine) != pid  # no error: the ping found it dead


def test_a_busy_connection_is_not_pinged_and_one_failure_renews_the_pool(
        database_url: str, pg_only: None) -> None:
    engine = make_engine(database_url)  # idle for less than PING_IDLE_AFTER: no ping
    try:
        with engine.connect() as a, engine.connect() as b:  # two pooled connections
            a.scalar(text("SELECT 1"))
            b.scalar(text("SELECT 1"))
        terminate_backends(database_url)
        with pytest.raises(DBAPIError) as raised, engine.connect() as connection:
            connection.scalar(text("SELECT 1"))
        assert raised.value.connection_invalidated
        # the other pooled connection, opened before the failure, is not handed out again
        with engine.connect() as a, engine.connect() as b:
            assert a.scalar(text("SELECT 1")) == b.scalar(text("SELECT 1")) == 1
    finally:
        engine.dispose()


def test_a_first_read_is_repeated_on_a_new_connection_after_a_restart(
        world: World, database_url: str, pg_only: None) -> None:
    rt = world.rt
    assert orgs.load_person(rt, world.ids["issuer"]) is not None  # pools a connection
    terminate_backends(database_url)
    with rt.shared_reads():
        person = orgs.load_person(rt, world.ids["issuer"])
        assert person is not None and person.id == world.ids["issuer"]
        with rt.read() as session:  # the request's later reads use the new connection
            assert session.scalar(select(Organisation.id).limit(1)) is not None

