"""The Runtime: settings, database, definitions and clock, built once per process.

The CLI, the worker and the web app each build one and hand it to the engine's services. It owns
the transaction scope: `transaction()` commits on success, rolls back on any error, and refuses to
nest, so a service either writes everything it meant to or nothing.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.clock import Clock, SystemClock
from workflow.config import Settings
from workflow.db import make_engine, writer
from workflow.errors import SandanError
from workflow.registry import Registry


class Runtime:
    """Everything a service needs besides its own arguments."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.engine = make_engine(settings.database_url, echo=settings.sql_echo)
        self._writes = sessionmaker(bind=writer(self.engine), expire_on_commit=False)
        self._reads = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._local = threading.local()
        self._registry: Registry | None = None

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

        with self.read() as session:
            rows = session.scalars(select(DefinitionVersion)).all()
        return Registry(load_definition_text(r.source_text, r.source_name) for r in rows)

    def reload_definitions(self) -> None:
        self._registry = None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: commit on success, roll back on error; never nested."""
        with self._scope(self._writes) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end, whatever happened)."""
        with self._scope(self._reads, commit=False) as session:
            yield session

    @contextmanager
    def _scope(self, factory: sessionmaker[Session], commit: bool = True) -> Iterator[Session]:
        if getattr(self._local, "active", False):
            raise SandanError("a transaction is already open in this thread; services do not nest")
        self._local.active = True
        session = factory()
        try:
            session.begin()
            yield session
            if commit:
                session.commit()
            # a read ends in close(), which rolls back without expiring what was loaded
        except BaseException:
            session.rollback()
            raise
        finally:
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
