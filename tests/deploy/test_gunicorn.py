"""deploy/gunicorn.conf.py for real: two workers on loopback, JSON access lines with the request
id, and /metrics adding up what both workers counted (Prometheus multiprocess mode)."""

from __future__ import annotations

import json
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

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def _json(line: str) -> dict[str, object]:
    try:
        return dict(json.loads(line))
    except ValueError:
        raise AssertionError(f"not a JSON log line: {line!r}") from None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not answer within 30 s")


@pytest.mark.slow
def test_gunicorn_serves_with_json_logs_and_shared_metrics(settings: Settings,
                                                           tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    metrics_dir = tmp_path / "prometheus"
    environ = {
        "PATH": os.environ["PATH"], "SANDAN_DATABASE_URL": settings.database_url,
        "SANDAN_INSTANCE_PATH": str(settings.instance_path), "SANDAN_SECRET_KEY": "s" * 32,
        "SANDAN_LOG_FORMAT": "json", "WEB_CONCURRENCY": "2", "GUNICORN_BIND": f"127.0.0.1:{port}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    out, err = tmp_path / "access.log", tmp_path / "error.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c",
                                   str(CONFIG)], env=environ, stdout=stdout, stderr=stderr,
                                  text=True, cwd=tmp_path)
        try:
            _wait_until_up(base, server)
            ids = [f"probe-{n:04d}-sandan" for n in range(20)]
            with httpx.Client(base_url=base) as client:  # one connection per request (sync)
                for rid in ids:
                    answer = client.get("/healthz", headers={"X-Request-ID": rid})
                    assert answer.headers["X-Request-ID"] == rid
                ready = client.get("/readyz")
                metrics = client.get("/metrics").text
            assert ready.status_code == 200, ready.text
            assert len(list(metrics_dir.glob("*.db"))) >= 2  # each worker wrote its own file
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    access = [_json(line) for line in out.read_text().splitlines()]
    by_id = {line["http.request.id"]: line for line in access}
    served = [line for line in access if line["url.path"] == "/healthz"]
    # what both workers counted, added up, is what gunicorn logged (the start-up probes too)
    counted = [line for line in metrics.splitlines() if line.startswith(
        'sandan_http_requests_total{endpoint="ops.healthz",method="GET",status="200"}')]
    assert len(counted) == 1 and float(counted[0].split()[-1]) == len(served) >= len(ids)
    assert all(by_id[rid]["url.path"] == "/healthz" for rid in ids)
    assert by_id[ids[0]]["http.response.status_code"] == 200
    assert by_id[ids[0]]["log.logger"] == "gunicorn.access"
    errors = [_json(line) for line in err.read_text().splitlines()]
    assert any(line["message"].startswith("Booting worker") for line in errors)
    assert server.returncode == 0 and not metrics_dir.exists()  # cleaned up at exit
