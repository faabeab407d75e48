"""`sandan worker` with SANDAN_WORKER_METRICS serves its own /metrics: the sweeps it ran."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from workflow.config import Settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _sweeps(url: str) -> float | None:
    try:
        text = httpx.get(url, timeout=2).text
    except httpx.TransportError:
        return None
    found = [line for line in text.splitlines()
             if line.startswith("sandan_sweep_duration_seconds_count")]
    return float(found[0].split()[-1]) if found else None


@pytest.mark.slow
def test_the_worker_serves_its_sweep_metrics(settings: Settings, tmp_path: Path) -> None:
    port = _free_port()
    environ = {"PATH": os.environ["PATH"], "SANDAN_DATABASE_URL": settings.database_url,
               "SANDAN_INSTANCE_PATH": str(settings.instance_path),
               "SANDAN_WORKER_METRICS": f"127.0.0.1:{port}"}
    sandan = Path(sys.executable).with_name("sandan")
    worker = subprocess.Popen([str(sandan), "worker", "--interval", "0.2"], env=environ,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              cwd=tmp_path)
    try:
        deadline, swept = time.monotonic() + 30, None
        while time.monotonic() < deadline and not (swept or 0) >= 2:
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            swept = _sweeps(f"http://127.0.0.1:{port}/metrics")
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=30)
    assert swept is not None and swept >= 2  # a sweep per cycle, counted as it finished
    assert f"metrics on http://127.0.0.1:{port}/metrics" in stderr
    assert worker.returncode == 0
