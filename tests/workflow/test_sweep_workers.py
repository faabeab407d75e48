"""Several workers: PostgreSQL shares the work exactly once; SQLite refuses a second worker; a
worker killed with SIGKILL mid-sweep is finished by the next one without duplicates."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from tests.conftest import START, World
from tests.workflow.helpers import default_fields
from tests.workflow.test_notifications import _free_port, _Mailbox
from workflow.checkpoints import verify
from workflow.models import LedgerEntry, Notification, Person
from workflow.notify.delivery import deliver
from workflow.runtime import Runtime
from workflow.services.lists import NewItem, issue_list
from workflow.services.sweeps import run_sweep
from workflow.workerlock import WorkerBusy, exclusive_worker


def _overdue_items(world: World, count: int) -> list[int]:
    items = [NewItem(title=f"任务{n}", assignee_org_id=world.branch_a,
                     due_at=START + timedelta(days=10), fields=default_fields("task"),
                     primary_person_id=world.ids["handler_a"])
             for n in range(count)]
    return list(issue_list(world.rt, world.person("issuer"), kind="task", title="批量任务",
                           issuer_org_id=world.committee, items=items).item_ids)


def _escalations(rt: Runtime) -> Counter[tuple[int, Any]]:
    with rt.read() as session:
        rows = session.execute(select(LedgerEntry.item_id, LedgerEntry.inputs)
                               .where(LedgerEntry.action == "escalate")).all()
    return Counter((item_id, inputs["level"]) for item_id, inputs in rows)


def _actions(rt: Runtime, action: str) -> int:
    with rt.read() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry)
                              .where(LedgerEntry.action == action)) or 0


def test_two_workers_on_postgresql_escalate_and_notify_exactly_once(
    world: World, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("several workers are for PostgreSQL; SQLite refuses a second one")
    items = _overdue_items(world, 60)
    with world.rt.transaction() as session:
        session.execute(update(Person).where(Person.id == world.ids["handler_a"])
                        .values(email="a@example.org"))
    settings = world.rt.settings.with_(sweep_batch=3, quiet_hours="off")
    workers = [Runtime(settings, world.rt.clock) for _ in range(2)]
    as_of = START + timedelta(days=14)  # overdue, remind and urge are due on every item
    barrier = threading.Barrier(2)
    reports: list[Any] = []

    def sweep(rt: Runtime) -> None:
        rt.definitions, rt.calendar  # noqa: B018 - both ready (and connected) before the start
        barrier.wait()
        reports.append(run_sweep(rt, as_of))

    _in_threads(sweep, workers)
    assert sum(r.examined for r in reports) == 60
    assert all(r.examined for r in reports), "both workers took a share"
    escalations = _escalations(world.rt)
    assert set(escalations.values()) == {1}
    assert set(escalations) == {(i, level) for i in items for level in (1, 2)}
    assert _actions(world.rt, "overdue") == 60
    with world.rt.read() as session:
        emails = session.scalar(select(func.count()).select_from(Notification)
                                .where(Notification.channel == "email")) or 0
    assert emails == 120  # handler_a, once per level and item

    world.rt.clock.set(as_of)  # type: ignore[attr-defined]
    box, port = _Mailbox(), _free_port()
    from aiosmtpd.controller import Controller

    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        senders = [Runtime(settings.with_(smtp_host="127.0.0.1", smtp_port=port),
                           world.rt.clock) for _ in range(2)]

        def drain(rt: Runtime) -> None:
            barrier.wait()
            while deliver(rt, f"worker-{id(rt)}", limit=7).claimed:
                pass

        _in_threads(drain, senders)
    finally:
        controller.stop()
    ids = [int(n) for mail in box.messages
           for n in re.findall(r"\d+", mail["Message-ID"].split("@")[0])]
    assert len(ids) == len(set(ids)) == 120
    with world.rt.read() as session:
        states = Counter(session.execute(select(Notification.status, Notification.attempts)
                                         .where(Notification.channel == "email")).all())
    assert states == Counter({("sent", 1): 120})
    for rt in workers + senders:
        rt.dispose()


def _in_threads(target: Any, runtimes: list[Runtime]) -> None:
    errors: list[BaseException] = []

    def run(rt: Runtime) -> None:
        try:
            target(rt)
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(rt,)) for rt in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors


def test_sqlite_refuses_a_second_worker_with_a_clear_message(world: World, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the worker lock is SQLite's")
    script = (
        "import sys, time\n"
        "from workflow.config import Settings\nfrom workflow.runtime import Runtime\n"
        "from workflow.workerlock import exclusive_worker\n"
        "rt = Runtime(Settings.from_env())\n"
        "with exclusive_worker(rt):\n    print('locked', flush=True)\n    time.sleep(30)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              env=_env(world.rt), text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(WorkerBusy, match=f"pid {holder.pid}.*SQLite allows one worker"):
            run_sweep(world.rt, START)
    finally:
        holder.kill()
        holder.wait()
    with exclusive_worker(world.rt):  # the kernel released the dead holder's lock
        assert run_sweep(world.rt, START).examined == 0


def _env(rt: Runtime, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDAN_")}
    settings = rt.settings
    env.update(SANDAN_DATABASE_URL=settings.database_url,
               SANDAN_INSTANCE_PATH=str(settings.instance_path),
               SANDAN_LEDGER_KEY_FILE=str(settings.ledger_key_file),
               SANDAN_CHECKPOINT_PATH=str(settings.checkpoint_path),
               SANDAN_EVIDENCE_PATH=str(settings.evidence_path),
               SANDAN_ENV="test", SANDAN_SECRET_KEY="test-secret", **extra)
    return env


def test_a_worker_killed_mid_sweep_is_completed_by_the_next_without_duplicates(
    world: World,
) -> None:
    items = _overdue_items(world, 400)
    sandan = str(Path(sys.executable).with_name("sandan"))
    env = _env(world.rt, SANDAN_SWEEP_BATCH="1", SANDAN_QUIET_HOURS="off",
               SANDAN_WORKER_INTERVAL="30")
    worker = subprocess.Popen([sandan, "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline:
            done = _actions(world.rt, "escalate")
            if done >= 20:
                break
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    killed_at = _actions(world.rt, "escalate")
    assert 0 < killed_at < 800, f"the kill must land mid-sweep (saw {killed_at} of 800)"
    finish = subprocess.run([sandan, "worker", "--once"], env=env, capture_output=True,
                            text=True, timeout=300)
    assert finish.returncode == 0, finish.stderr
    escalations = _escalations(world.rt)
    assert set(escalations.values()) == {1}
    assert set(escalations) == {(i, level) for i in items for level in (1, 2)}
    assert _actions(world.rt, "overdue") == 400
    with world.rt.read() as session:
        keys = session.execute(select(func.count(Notification.dedupe_key.distinct()),
                                      func.count())).one()
        assert keys[0] == keys[1]
        assert verify(session, world.rt.checkpoint_path, world.rt.ledger_key()).ok
    verified = subprocess.run([sandan, "ledger", "verify"], env=env, capture_output=True,
                              text=True, timeout=120)
    assert verified.returncode == 0 and "ledger OK" in verified.stdout, verified.stderr


def test_sigterm_stops_the_worker_cleanly(world: World) -> None:
    sandan = str(Path(sys.executable).with_name("sandan"))
    env = _env(world.rt, SANDAN_WORKER_INTERVAL="0.2", SANDAN_QUIET_HOURS="off")
    worker = subprocess.Popen([sandan, "worker"], env=env, stderr=subprocess.PIPE, text=True)
    assert worker.stderr is not None
    assert "started" in worker.stderr.readline()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    rest = worker.stderr.read()
    assert "SIGTERM, stopping" in rest and "stopped" in rest
