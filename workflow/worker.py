"""The worker's loop: sweep (then store the dashboard's escalation forecast, services/forecasts),
deliver the outbox, seal the ledger; again every interval.

`sandan worker` runs `Worker.run` until SIGTERM (or SIGINT) sets its stop event: the cycle in
progress finishes its current transaction and the loop ends, so a clean shutdown never leaves
half a batch. A killed worker (SIGKILL, power cut) loses only the uncommitted batch, which the
next sweep redoes. Several workers may run against PostgreSQL; on SQLite the first holds the
database's worker lock and any other is refused (workflow.workerlock).
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from workflow import rollups
from workflow.checkpoints import read_checkpoints, write_checkpoint
from workflow.errors import LedgerError
from workflow.models import LedgerEntry
from workflow.notify.delivery import DeliveryReport, deliver
from workflow.runtime import Runtime
from workflow.services.forecasts import refresh_forecast
from workflow.services.sweeps import SweepReport, run_sweep
from workflow.workerlock import exclusive_worker


@dataclass
class Cycle:
    sweep: SweepReport
    delivery: DeliveryReport
    checkpoint: int | None


class Worker:
    """One worker process's state: its name and when it last sealed the ledger."""

    def __init__(self, rt: Runtime, name: str | None = None) -> None:
        self.rt = rt
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.stop = threading.Event()
        self._sealed_at = time.monotonic()
        self._sealed_cache: tuple[tuple[int, int], int] | None = None
        #: what went wrong without stopping the loop (a damaged checkpoint file), for the report
        self.problems: list[str] = []

    def run(self, interval: float, *, once: bool = False,
            report: Callable[[Cycle], None] | None = None) -> None:
        """Cycle until stopped (or once); each cycle's result goes to `report`."""
        with exclusive_worker(self.rt):
            while not self.stop.is_set():
                cycle = self.cycle()
                if report is not None:
                    report(cycle)
                if once:
                    return
                self.stop.wait(interval)

    def cycle(self, now: datetime | None = None) -> Cycle:
        as_of = now or self.rt.clock.now()
        swept = run_sweep(self.rt, as_of, stop=self.stop)
        if not self.stop.is_set():  # the dashboard's escalation forecast, as after this sweep
            refresh_forecast(self.rt, as_of)
        with self.rt.write_connection() as connection:  # the dashboard's overdue counts
            rollups.advance_overdue(connection, as_of)
        delivered = deliver(self.rt, self.name)
        while delivered.claimed and not self.stop.is_set():  # drain the backlog in batches
            more = deliver(self.rt, self.name)
            if not more.claimed:
                break
            for key, value in vars(more).items():
                setattr(delivered, key, getattr(delivered, key) + value)
        try:
            sealed = self.maybe_checkpoint()
        except LedgerError as exc:  # a damaged checkpoint file must not stop the follow-up
            self.problems.append(exc.message)
            sealed = None
        return Cycle(swept, delivered, sealed)

    def maybe_checkpoint(self) -> int | None:
        """Seal the ledger when SANDAN_CHECKPOINT_EVERY entries or _MINUTES have gone by."""
        settings, rt = self.rt.settings, self.rt
        sealed = self._sealed_through()
        with rt.read() as session:
            newest = session.scalar(select(func.max(LedgerEntry.id))) or 0
        due = time.monotonic() - self._sealed_at >= settings.checkpoint_minutes * 60
        if newest <= sealed or (newest - sealed < settings.checkpoint_every and not due):
            return None
        return self._seal()

    def _sealed_through(self) -> int:
        """The newest sealed entry id, read again only when the checkpoint file changed: the
        file holds a hash prefix per entry (tens of MB at millions of entries), and parsing it
        every cycle cost more than the rest of a quiet cycle."""
        path = self.rt.checkpoint_path
        try:
            stat = path.stat()
        except FileNotFoundError:
            return 0
        version = (stat.st_size, stat.st_mtime_ns)
        if self._sealed_cache is None or self._sealed_cache[0] != version:
            lines, _problems = read_checkpoints(path, self.rt.ledger_key())
            self._sealed_cache = (version, lines[-1]["seq"] if lines else 0)
        return self._sealed_cache[1]

    def _seal(self) -> int | None:
        rt = self.rt
        lock = rt.checkpoint_path.with_name(rt.checkpoint_path.name + ".lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "a") as handle:  # one writer of the checkpoint file on this host
            fcntl.flock(handle, fcntl.LOCK_EX)
            with rt.transaction() as session:
                line = write_checkpoint(session, rt.checkpoint_path, rt.ledger_key(),
                                        rt.clock.now())
        self._sealed_at = time.monotonic()
        return line["n"] if line else None
