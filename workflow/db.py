"""Database plumbing: the declarative base, column types, and engines with the right pragmas.

SQLite runs in WAL mode with foreign keys on and `synchronous=FULL` (a committed transition
survives a power cut). Writers begin with `BEGIN IMMEDIATE` so concurrent writers wait for the
lock instead of failing halfway with "database is locked"; readers use a plain deferred `BEGIN`.

Writes on a SQLite file get an engine of their own (`write_engine`): any connection-event
listener on an engine, such as the `begin` hook that says BEGIN, makes SQLAlchemy dispatch events
around every statement it runs, which costs a tenth of a transition. The write engine has no such
listener; its sessions say BEGIN IMMEDIATE from a session hook (`write_sessions`) and bare
connections through `begin_write`. The transition hot path runs its three statements through
`DriverStatement`, and so do the two hottest reads, signing a token in and reading one item,
which make its rows into detached objects with `as_loaded` (the reasons are in
docs/benchmarks.md).

PostgreSQL connections are not pinged on every checkout (that was a round trip per request, a
quarter of a web worker's time): only a connection that sat unused in the pool for
`PING_IDLE_AFTER` seconds is pinged, and connections are replaced after `RECYCLE_AFTER`. A
connection that fails its ping, or dies under a statement, invalidates every pooled connection
opened before it (SQLAlchemy's disconnect handling), and a request's sign-in read is repeated
on a new connection (`Runtime.read_first`), so a database restart goes unseen by requests that
arrive after it; docs/scaling.md explains the choice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

from sqlalchemy import BigInteger, Integer, MetaData, String, Table, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine, Row, create_engine, result_tuple
from sqlalchemy.orm import (
    DeclarativeBase,
    Session,
    SessionTransaction,
    class_mapper,
    make_transient_to_detached,
    sessionmaker,
)
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import CompoundSelect, Select
from sqlalchemy.types import DateTime, TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: a big integer key that is still SQLite's rowid alias (SQLite only autoincrements INTEGER)
BigId = BigInteger().with_variant(Integer(), "sqlite")

#: materialised paths compare byte-wise on PostgreSQL too, so prefix ranges use the index
PathString = String(1000).with_variant(String(1000, collation="C"), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


_M = TypeVar("_M", bound=Base)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend (stored naive UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


#: a pooled server connection unused this long (seconds) is pinged before it is handed out
PING_IDLE_AFTER = 10.0
#: a server connection is replaced once it is this old (seconds): no connection lives forever
RECYCLE_AFTER = 1800
#: psycopg's count of runs after which it prepares a statement by itself: never, in effect, so
#: that only what DriverStatement asks for is prepared (None would refuse even those)
NEVER_PREPARE_BY_ITSELF = 2**31 - 1


def make_engine(url: str, *, echo: bool = False, ping_idle_after: float = PING_IDLE_AFTER,
                statement_timeout: int = 0) -> Engine:
    """Create the engine for `url` with Sandan's connection settings; with `statement_timeout`
    (seconds, PostgreSQL) the server cancels any statement of its connections that runs longer."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=10,
                           pool_recycle=RECYCLE_AFTER,
                           connect_args={"prepare_threshold": NEVER_PREPARE_BY_ITSELF})
    _ping_when_idle(engine, ping_idle_after)
    if statement_timeout:
        _limit_statements(engine, statement_timeout)
    return engine


def _limit_statements(engine: Engine, seconds: int) -> None:
    """`SET statement_timeout` on each new connection: a web request's query held up (a lock
    waited for, a plan gone wrong) is cancelled and answered, rather than holding a sync worker
    until gunicorn kills it and the request with it."""

    @event.listens_for(engine.pool, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {seconds * 1000}")
        dbapi_connection.commit()


def _ping_when_idle(engine: Engine, idle: float) -> None:
    """Ping a pooled connection on checkout only when it was idle `idle` seconds or more.

    A busy process reuses its connections within milliseconds, so it pings nothing; a quiet one
    (the case where a database restart goes unnoticed) pings before its first request. A failed
    ping invalidates the whole pool and the pool hands out a new connection instead.
    """
    dialect = engine.dialect

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["sandan_idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("sandan_idle_since")
        if since is None or time.monotonic() - since < idle:
            return  # a new connection, or one used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise exc.InvalidatePoolError(f"a pooled connection failed its ping: {error}") \
                from error


def writer(engine: Engine) -> Engine:
    """The same engine, marked so that SQLite transactions begin with `BEGIN IMMEDIATE`."""
    return engine.execution_options(sandan_write=True)


def write_engine(engine: Engine) -> Engine:
    """The engine write sessions are bound to: `writer(engine)`, or for a SQLite file a twin.

    The twin opens the same file with the same pragmas (a pool listener, free per statement) but
    has no `begin` listener, so its statements skip the event dispatch; `write_sessions` then
    begins its transactions. An in-memory database keeps `writer(engine)`: a twin would be
    another database.
    """
    if engine.dialect.name != "sqlite" or _is_memory(engine):
        return writer(engine)
    twin = create_engine(engine.url, echo=engine.echo, connect_args={"timeout": 30})
    _configure_connections(twin)
    return twin.execution_options(sandan_write=True, sandan_begin_by_caller=True)


def write_sessions(bind: Engine) -> sessionmaker[Session]:
    """The factory of write sessions on `bind` (from `write_engine`)."""
    factory = sessionmaker(bind=bind, expire_on_commit=False)
    if bind.get_execution_options().get("sandan_begin_by_caller", False):
        event.listen(factory, "after_begin", _on_session_begin)
    return factory


def begin_write(connection: Connection) -> None:
    """Say BEGIN IMMEDIATE on a connection of `write_engine` that has just begun, where the
    engine itself does not (the SQLite twin); elsewhere there is nothing to do."""
    if connection.get_execution_options().get("sandan_begin_by_caller", False):
        dbapi_connection = connection.connection.dbapi_connection
        assert dbapi_connection is not None
        dbapi_connection.execute("BEGIN IMMEDIATE")


def _on_session_begin(_session: Session, transaction: SessionTransaction, conn: Connection) -> None:
    # runs when the session takes its connection, before its first statement (and again for
    # each savepoint, which is already inside the transaction)
    if transaction.parent is None:
        begin_write(conn)


def _configure_sqlite(engine: Engine) -> None:
    _configure_connections(engine)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sandan_write", False)
        # straight to the driver: every transaction pays this, and exec_driver_sql's machinery
        # (events, execution context, result) costs more than the statement itself
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None
        dbapi_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _configure_connections(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control from the driver so we can say BEGIN IMMEDIATE ourselves
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not _is_memory(engine):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()


def _is_memory(engine: Engine) -> bool:
    database = engine.url.database
    return not database or database == ":memory:"


def as_loaded(model: type[_M], values: Mapping[str, Any]) -> _M:
    """An ORM object made from a row's values, as though a session had loaded it and closed.

    The hottest reads (signing a token in, reading one item) fetch Core rows through
    `DriverStatement`, and list pages Core rows: the ORM's loading of the same rows cost more
    than the statements (a page of 50 items took 2.8 times its query by hand). The
    object is detached with a clean history, like one whose session has ended; an attribute
    not given is expired, so touching it raises DetachedInstanceError rather than loading.
    """
    instance: _M = class_mapper(model).class_manager.new_instance()
    instance.__dict__.update(values)  # no attribute events: nothing is being changed
    make_transient_to_detached(instance)
    return instance


def upsert(connection: Connection, table: Table) -> Any:
    """The connection's dialect INSERT for `table`, which takes `on_conflict_do_nothing()` and
    `on_conflict_do_update()` (PostgreSQL and SQLite spell them alike)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def insert_many(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` in batches of 10,000: a whole forecast or roll-up is hundreds of thousands."""
    for start in range(0, len(rows), 10_000):
        connection.execute(table.insert(), rows[start:start + 10_000])


def analyze(connection: Connection, *tables: Table) -> None:
    """Fresh planner statistics for tables just filled in bulk (PostgreSQL; SQLite plans without
    them), visible with the rows when the transaction commits. Autovacuum would catch up within
    minutes, or never where it is off; until then the planner keeps the statistics of the empty
    tables, and took 3 ms to scan every count row for a board that needs a dozen
    (bench/dashboards.py at a million items)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE " + ", ".join(t.name for t in tables))


def columns_of(row: Row[Any], prefix: str, table: Table) -> dict[str, Any]:
    """The values of `table`'s columns in a row that selected them labelled `prefix` + key."""
    mapping = row._mapping
    return {c.key: mapping[prefix + c.key] for c in table.c}


class DriverStatement:
    """A fixed statement of a hot path, compiled once and run on the DB-API cursor.

    `Connection.execute` re-derives everything about a statement on every call (cache key,
    compiled-cache lookup, execution context, parameter and result processing): some 15-20 µs a
    statement on a small machine, and a transition runs three. This compiles the statement once
    per dialect and set of parameter names and runs it on the connection's own DB-API cursor,
    binding values and building the result `Row` with the columns' own type processors, so the
    SQL sent and the values bound and returned are the ones `execute` would produce.

    Whenever anything watches statements on the connection (connection or dialect event
    listeners, echo or SQL logging), or the connection is not inside a healthy transaction, the
    statement goes through `Connection.execute` instead, so nothing observable changes. A driver
    error is handed to SQLAlchemy's own handler, so it arrives wrapped (IntegrityError, ...) and
    a lost connection is invalidated, exactly as from `execute`.

    On PostgreSQL these are the only statements prepared on the server (`make_engine` turns
    psycopg's automatic preparing off). A prepared statement may get one generic plan, made
    without its values, after five runs: right for a lookup by key, whose plan is the same for
    every key, and it saves planning that costs as much as running it (0.7 ms for the item read's
    plan at a million items, against 0.2 ms to run it). A statement whose best plan depends on its
    values, such as a range of the unit tree (a committee's or an enterprise's), is made with
    `prepare=False`, and is planned for its values at every execution, as is every statement
    that does not come through here.
    """

    def __init__(self, statement: Select[Any] | CompoundSelect[Any] | UpdateBase, *,
                 prepare: bool = True) -> None:
        self.statement = statement
        self.prepare = prepare
        self._plans: dict[tuple[Dialect, tuple[str, ...]], _Plan] = {}

    def first(self, connection: Connection, params: dict[str, Any]) -> Row[Any] | None:
        """The first row of a SELECT (None when there is none)."""
        if watched(connection):
            return connection.execute(self.statement, params).first()
        rows = self._fetch(connection, params, lambda cursor: cursor.fetchmany(1))
        return rows[0] if rows else None

    def all(self, connection: Connection, params: dict[str, Any]) -> list[Row[Any]]:
        """Every row of a SELECT."""
        if watched(connection):
            return list(connection.execute(self.statement, params).all())
        return self._fetch(connection, params, lambda cursor: cursor.fetchall())

    def _fetch(self, connection: Connection, params: dict[str, Any],
               fetch: Callable[[Any], Sequence[Sequence[Any]]]) -> list[Row[Any]]:
        plan = self._plan(connection, params)
        cursor = plan.run(connection, params)
        try:
            raws = fetch(cursor)
        except BaseException as exc:
            cursor.close()
            _raise(connection, exc, plan.sql, params, cursor)
        try:
            return [plan.row(raw, cursor) for raw in raws]
        finally:
            cursor.close()

    def rowcount(self, connection: Connection, params: dict[str, Any]) -> int:
        """Run an INSERT or UPDATE; the number of rows it matched."""
        if watched(connection):
            return connection.execute(self.statement, params).rowcount
        plan = self._plan(connection, params)
        cursor = plan.run(connection, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _plan(self, connection: Connection, params: dict[str, Any]) -> _Plan:
        key = (connection.dialect, tuple(params))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _Plan.compile(self.statement, connection.dialect, key[1],
                                                    prepare=self.prepare)
        return plan


#: the connection events `Connection.execute` fires around a statement (others, such as the
#: `engine_connect` listener that sets an engine's isolation level or SQLite's `begin`, fire
#: once per connection or transaction and see nothing of the statements)
_STATEMENT_EVENTS = ("before_execute", "after_execute", "before_cursor_execute",
                     "after_cursor_execute")


def watched(connection: Connection) -> bool:
    # when `Connection.execute` would do more than compile (cached) and call the driver: a
    # listener to its statements (the connection's, its engine's, its dialect's), echo or
    # logging, a schema map, no healthy transaction
    dispatch = connection.dispatch
    return bool(
        any(getattr(dispatch, name) for name in _STATEMENT_EVENTS)
        or connection.dialect._has_events
        or connection._echo
        or connection.invalidated
        or not connection.in_transaction()
        or connection.get_execution_options().get("schema_translate_map")
    )


def _raise(connection: Connection, exc: BaseException, sql: str, params: Any,
           cursor: Any) -> NoReturn:
    """Hand an error to SQLAlchemy's handler, as `execute` does: it wraps a driver error
    (IntegrityError, ...), invalidates a lost connection and raises."""
    connection._handle_dbapi_exception(exc, sql, params, cursor, None)
    raise exc  # not reached: the handler always raises


class _Plan:
    """One statement compiled for one dialect and one set of parameter names."""

    def __init__(self, dialect: Dialect, sql: str, names: tuple[str, ...],
                 keys: tuple[str, ...] | None, processors: tuple[Callable[[Any], Any] | None, ...],
                 columns: tuple[Any, ...], constants: dict[str, Any]) -> None:
        self.dialect = dialect
        self.sql = sql
        self.names = names  # the parameters in the order the driver takes them
        self.keys = keys  # their names for a named paramstyle; None when positional
        self.processors = processors
        self.binders = tuple(zip(names, processors, strict=True))
        self.constants = constants  # the values a statement carries itself (`kind = 'rectifies'`)
        self.options: dict[str, Any] = {}  # the driver's execute() options
        self.columns = columns  # a SELECT's result columns
        self.make_row = result_tuple([c.key for c in columns])
        # a SELECT's result processors, from the first result's description as SQLAlchemy does
        # (some depend on the type code the driver reports)
        self.results: tuple[Callable[[Any], Any] | None, ...] | None = None

    @classmethod
    def compile(
        cls, statement: Select[Any] | CompoundSelect[Any] | UpdateBase, dialect: Dialect,
        names: Sequence[str], *, prepare: bool = True,
    ) -> _Plan:
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
        values = compiled.construct_params(_check=False)  # every parameter, None when required
        order = tuple(compiled.positiontup or ()) if compiled.positional else tuple(values)
        constants = {n: values[n] for n in order if n not in names}
        if set(names) - set(order) or any(compiled.binds[n].required for n in constants):
            raise ValueError(f"parameters {sorted(names)} do not bind {sorted(order)} one to one")
        processors = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in order
        )
        escaped = compiled.escaped_bind_names
        keys = None if compiled.positional else tuple(escaped.get(n, n) for n in order)
        columns = tuple(getattr(statement, "selected_columns", ()))
        plan = cls(dialect, compiled.string, order, keys, processors, columns, constants)
        if dialect.driver == "psycopg":  # the one driver here that prepares on request
            plan.options = {"prepare": prepare}
        return plan

    def bind(self, params: dict[str, Any]) -> list[Any] | dict[str, Any]:
        if self.constants:
            params = {**self.constants, **params}
        values = [
            params[name] if process is None else process(params[name])
            for name, process in self.binders
        ]
        return values if self.keys is None else dict(zip(self.keys, values, strict=True))

    def run(self, connection: Connection, params: dict[str, Any]) -> Any:
        """Execute on a new DB-API cursor of `connection`; return the cursor."""
        try:
            bound = self.bind(params)
        except BaseException as exc:  # a value a column refuses (say, a naive datetime)
            _raise(connection, exc, self.sql, params, None)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(self.sql, bound, **self.options)
        except BaseException as exc:
            _raise(connection, exc, self.sql, bound, cursor)
        return cursor

    def row(self, raw: Sequence[Any], cursor: Any) -> Row[Any]:
        results = self.results
        if results is None:
            results = self.results = tuple(
                column.type.dialect_impl(self.dialect).result_processor(self.dialect, described[1])
                for column, described in zip(self.columns, cursor.description, strict=True)
            )
        return self.make_row(
            [value if process is None else process(value)
             for value, process in zip(raw, results, strict=True)]
        )
