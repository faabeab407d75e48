"""The Runtime: settings, database, definitions and clock, built once per process.

The CLI, the worker and the web app each build one and hand it to the engine's services. It owns
the transaction scope: `transaction()` commits on success, rolls back on any error, and refuses to
nest, so a service either writes everything it meant to or nothing.

`shared_reads()` lets the reads of one unit of work (a web request: signing the caller in, then
the view) take one pooled connection between them instead of one each; every read still begins
and ends its own transaction on it, so none of them sees data older than it would alone.

`read(snapshot=False)` is for reads that need no transaction around their statements. PostgreSQL
runs at READ COMMITTED, where every statement of a transaction takes a snapshot of its own
anyway, so for plain SELECTs a transaction adds nothing but its BEGIN and ROLLBACK, two of the
four round trips of a one-statement read: such a read runs in autocommit there, and answers the
same. On SQLite, where a transaction is one snapshot and BEGIN costs no round trip, it stays an
ordinary read. A read that streams with a server-side cursor (`yield_per`) or locks rows needs
its transaction and keeps the default.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from workflow import rollups
from workflow.clock import Clock, SystemClock
from workflow.config import Settings
from workflow.db import begin_write, make_engine, write_engine, write_sessions
from workflow.errors import SandanError, TimedOut
from workflow.registry import Registry

if TYPE_CHECKING:
    from workflow.holidays import HolidayCalendar

T = TypeVar("T")


class Runtime:
    """Everything a service needs besides its own arguments."""

    def __init__(self, settings: Settings, clock: Clock | None = None, *,
                 statement_timeout: int = 0) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.engine = make_engine(settings.database_url, echo=settings.sql_echo,
                                  statement_timeout=statement_timeout)
        self._write_engine = write_engine(self.engine)
        self._writes = write_sessions(self._write_engine)
        self._reads = sessionmaker(bind=self.engine, expire_on_commit=False)
        #: `read(snapshot=False)`: without a transaction on PostgreSQL (see above), and on either
        #: database a session that refuses to flush
        self._autocommit = self.engine.dialect.name == "postgresql"
        bind = self.engine.execution_options(isolation_level=AUTOCOMMIT) \
            if self._autocommit else self.engine
        self._statement_reads = sessionmaker(bind=bind, class_=_StatementReadSession,
                                             expire_on_commit=False)
        self._local = threading.local()
        self._registry: Registry | None = None
        self._calendar: HolidayCalendar | None = None

    def with_clock(self, clock: Clock) -> Runtime:
        """The same runtime (engine, definitions) seen through another clock: "as of" work."""
        twin = copy.copy(self)
        twin.clock = clock
        return twin

    @property
    def definitions(self) -> Registry:
        """The definition registry, read from the database (and files) on first use."""
        if self._registry is None:
            self._registry = self.load_registry()
        return self._registry

    def load_registry(self) -> Registry:
        from workflow.definitions.loader import load_definition_text
        from workflow.models import DefinitionVersion

        # Its own short read, outside the thread's unit of work: the registry may be needed for
        # the first time in the middle of a write transaction.
        with Session(self.engine) as session:
            rows = session.scalars(select(DefinitionVersion)).all()
        return Registry(load_definition_text(r.source_text, r.source_name) for r in rows)

    @property
    def calendar(self) -> HolidayCalendar:
        """The working-day calendar (China's, plus SANDAN_CALENDAR_FILES), read on first use."""
        if self._calendar is None:
            from workflow.holidays import load_calendar

            self._calendar = load_calendar(self.settings.tz, self.settings.calendar_files)
        return self._calendar

    def reload_definitions(self) -> None:
        self._registry = None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: commit on success, roll back on error; never nested."""
        with self._scope(self._writes) as session:
            yield session

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A write transaction on a bare Core connection, for hot paths (firing a transition).

        The same contract as `transaction()` (BEGIN IMMEDIATE on SQLite, commit on success,
        roll back on any error, never nested) without a session's bookkeeping, which costs more
        than the statements of a transition; `Session(bind=connection)` joins it when needed.
        """
        if getattr(self._local, "active", False):
            raise SandanError("a transaction is already open in this thread; services do not nest")
        self._local.active = True
        rollups.begin()
        try:
            with _timeouts_named(), self._write_engine.connect() as connection, \
                    connection.begin():
                begin_write(connection)
                yield connection
                rollups.flush(connection)  # the counts the items' changes moved, last
        finally:
            rollups.discard()
            self._local.active = False

    @contextmanager
    def read(self, *, snapshot: bool = True) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end, whatever happened).

        `snapshot=False`: its statements need not share a transaction, so on PostgreSQL it runs
        in autocommit, without BEGIN and ROLLBACK (the module's docstring says why the answers
        are the same); a flush in it is refused on either database, since on PostgreSQL
        nothing would roll it back.
        """
        lender = getattr(self._local, "lender", None)
        if lender is not None:
            factory: Callable[[], Session] = lambda: lender.session(snapshot)  # noqa: E731
        else:
            factory = self._reads if snapshot else self._statement_reads
        with self._scope(factory, commit=False) as session:
            yield session

    def read_first(self, load: Callable[[Session], T], *, snapshot: bool = True) -> T:
        """`load(session)` in a read, run once more on a new connection if the first one turns
        out dead (the database restarted since it was pooled).

        For the first read of a request (signing the caller in): nothing has happened yet, so
        repeating it is safe, and the pool, which invalidates every older connection on the
        first failure, answers the repeat with a new one.
        """
        try:
            with self.read(snapshot=snapshot) as session:
                return load(session)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        with self.read(snapshot=snapshot) as session:
            return load(session)

    @contextmanager
    def shared_reads(self) -> Iterator[None]:
        """Within this block, this thread's `read()`s share one connection, taken at the first
        read and returned to the pool at the end (the web face wraps each request in it)."""
        if getattr(self._local, "lender", None) is not None:
            raise SandanError("shared reads are already open in this thread")
        lender = self._local.lender = _Lender(self.engine, self._autocommit)
        try:
            yield
        finally:
            self._local.lender = None
            lender.close()

    @contextmanager
    def _scope(self, factory: Callable[[], Session], commit: bool = True) -> Iterator[Session]:
        if getattr(self._local, "active", False):
            raise SandanError("a transaction is already open in this thread; services do not nest")
        session = factory()  # may connect (a lent connection): before the thread is marked
        self._local.active = True
        if commit:
            rollups.begin()
        try:
            with _timeouts_named():
                session.begin()
                yield session
                if commit:
                    if rollups.noted():  # the counts the items' changes moved, last
                        rollups.flush(session.connection())
                    session.commit()
            # a read ends in close(), which rolls back without expiring what was loaded
        except BaseException:
            session.rollback()
            raise
        finally:
            if commit:
                rollups.discard()
            session.close()
            self._local.active = False

    @property
    def evidence_path(self) -> Path:
        assert self.settings.evidence_path is not None  # filled in by Settings
        return self.settings.evidence_path

    @property
    def checkpoint_path(self) -> Path:
        assert self.settings.checkpoint_path is not None  # filled in by Settings
        return self.settings.checkpoint_path

    def ledger_key(self) -> bytes:
        """The checkpoint signing key (created on first use, outside the database)."""
        from workflow.checkpoints import ensure_key

        assert self.settings.ledger_key_file is not None  # filled in by Settings
        return ensure_key(self.settings.ledger_key_file)

    def dispose(self) -> None:
        self.engine.dispose()
        self._write_engine.dispose()


#: SQLAlchemy's name of the isolation "level" without transactions
AUTOCOMMIT = "AUTOCOMMIT"
#: the SQLSTATE of a statement the server cancelled (PostgreSQL's statement_timeout)
QUERY_CANCELED = "57014"


@contextmanager
def _timeouts_named() -> Iterator[None]:
    """A statement the server cancelled for running too long becomes `TimedOut`, which every face
    answers plainly (503 and code `timeout` in the API), instead of an unexpected error."""
    try:
        yield
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != QUERY_CANCELED:
            raise
        raise TimedOut("the database cancelled a statement that ran longer than the statement "
                       "timeout (SANDAN_STATEMENT_TIMEOUT); nothing was changed. Try again, or "
                       "ask for less at a time") from exc


class _StatementReadSession(Session):
    """The session of `read(snapshot=False)`: on PostgreSQL every statement commits as it runs,
    so a flush, which nothing would roll back, is refused (`_refuse_flush`), on SQLite too."""


@event.listens_for(_StatementReadSession, "before_flush")
def _refuse_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    raise SandanError("a read without a snapshot (read(snapshot=False)) does not write")


class _Lender:
    """The connection `shared_reads()` lends to each read, taken from the pool on first use."""

    def __init__(self, engine: Engine, autocommit: bool) -> None:
        self._engine = engine
        self._can_autocommit = autocommit  # PostgreSQL: reads without a snapshot autocommit
        self._connection: Connection | None = None
        self._autocommit = False  # the lent connection's mode now

    def session(self, snapshot: bool = True) -> Session:
        """A session on the lent connection; its transaction begins on the connection and ends
        with the session, the connection staying out of the pool until `close()`.

        Without `snapshot` on PostgreSQL the connection is switched to autocommit first, and
        back for a later read that wants its transaction: both only set an attribute of the
        driver's connection, and the pool restores the default when the connection returns.
        """
        if self._connection is None or self._connection.invalidated:
            self.close()  # a connection lost under an earlier read is not lent again
            self._connection = self._engine.connect()
            self._autocommit = False
        autocommit = self._can_autocommit and not snapshot
        if autocommit != self._autocommit:
            level = AUTOCOMMIT if autocommit else self._engine.dialect.default_isolation_level
            self._connection.execution_options(isolation_level=level)
            self._autocommit = autocommit
        if snapshot:
            return Session(bind=self._connection, expire_on_commit=False)
        return _StatementReadSession(bind=self._connection, expire_on_commit=False)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
