"""The worker's cycle: sweep, deliver, seal the ledger when enough has been written."""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.conftest import START, World
from tests.workflow.sweep_helpers import issue
from workflow.checkpoints import read_checkpoints, verify
from workflow.clock import FixedClock
from workflow.runtime import Runtime
from workflow.services.sweeps import run_sweep
from workflow.worker import Worker


def test_a_cycle_sweeps_and_seals_once_enough_entries_are_written(world: World) -> None:
    for _ in range(3):
        issue(world, "task", days=10)
    settings = world.rt.settings.with_(checkpoint_every=5, quiet_hours="off")
    rt = Runtime(settings, FixedClock(START + timedelta(days=11)))
    worker = Worker(rt, "test-worker")
    cycle = worker.cycle()
    assert len(cycle.sweep.actions) == 6 and cycle.checkpoint == 1
    again = worker.cycle()  # nothing new: no sweep work, no checkpoint
    assert again.sweep.actions == [] and again.checkpoint is None
    lines, problems = read_checkpoints(rt.checkpoint_path, rt.ledger_key())
    assert problems == [] and len(lines) == 1
    with rt.read() as session:
        assert verify(session, rt.checkpoint_path, rt.ledger_key()).ok
    rt.dispose()


def test_a_stop_ends_the_sweep_between_batches(world: World) -> None:
    issue(world, "task", days=10)
    stop = threading.Event()
    stop.set()
    assert run_sweep(world.rt, START + timedelta(days=11), stop=stop).examined == 0
    assert run_sweep(world.rt, START + timedelta(days=11)).examined == 1
