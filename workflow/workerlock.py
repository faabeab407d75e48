"""One sweeping worker per SQLite database; as many as wanted on PostgreSQL.

SQLite serialises writers anyway, so a second worker would only queue behind the first and
double every retry; it is refused with a clear message instead. The lock is an exclusive
`flock` on a file beside the database, so it is released by the kernel when its holder dies,
even by SIGKILL, and a restarted worker is never locked out by a stale lock. PostgreSQL workers
coordinate through row locks (`FOR UPDATE SKIP LOCKED`) and need no lock here.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workflow.errors import SandanError
from workflow.runtime import Runtime

_held: dict[str, tuple[int, int]] = {}  # path -> (file descriptor, depth) in this process
_guard = threading.Lock()


class WorkerBusy(SandanError):
    """Another sweep or worker already runs against this SQLite database."""

    code = "worker_busy"


def lock_path(rt: Runtime) -> Path | None:
    """The lock file of a SQLite database file (None for PostgreSQL and in-memory SQLite)."""
    database = rt.engine.url.database
    if not rt.settings.is_sqlite or not database or database == ":memory:":
        return None
    return Path(database).resolve().with_name(Path(database).name + ".worker.lock")


@contextmanager
def exclusive_worker(rt: Runtime) -> Iterator[None]:
    """Hold the database's worker lock (re-entrant within one process); WorkerBusy if taken."""
    path = lock_path(rt)
    if path is None:
        yield
        return
    key = str(path)
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
        else:
            _held[key] = (_acquire(path), 1)
    try:
        yield
    finally:
        with _guard:
            fd, depth = _held[key]
            if depth > 1:
                _held[key] = (fd, depth - 1)
            else:
                del _held[key]
                os.close(fd)  # closing the descriptor releases the flock


def _acquire(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise WorkerBusy(
            f"another sweep or worker is already running on this SQLite database "
            f"(pid {holder}, lock {path}); SQLite allows one worker at a time — stop it first, "
            "or use PostgreSQL to run several"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd
