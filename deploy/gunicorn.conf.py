"""gunicorn settings for Sandan's web nodes: `gunicorn -c deploy/gunicorn.conf.py`.

Every value can be changed from the environment, so the same file serves systemd, the container
and Kubernetes (docs/deploy.md). gunicorn's own variables are honoured as gunicorn documents them
(WEB_CONCURRENCY, FORWARDED_ALLOW_IPS, GUNICORN_CMD_ARGS); the few others are GUNICORN_*.

Not preloaded (preload_app = False): each worker imports the app and opens its own database pool
after the fork, so no connection is ever shared between processes, and `systemctl reload`
(SIGHUP) starts workers on the newly installed code. Preloading would save some memory per worker
but needs every pool disposed after the fork; with 2-4 workers per core it is not worth that.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

# Prometheus multiprocess mode: every worker writes its metrics to files in this directory and
# /metrics adds them up. Set before the app (and prometheus_client) is imported by any worker.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    str(Path(tempfile.gettempdir()) / f"sandan-prometheus-{os.getpid()}"),
)

# imported here, in the master, not inside child_exit: importing in a SIGCHLD handler can meet
# the module half initialised (seen as "cannot import name 'Gauge'" at shutdown)
from prometheus_client import multiprocess  # noqa: E402  (after the variable above, on purpose)

from web.logs import logging_config  # noqa: E402  (after the variable above, on purpose)
from workflow.config import Settings  # noqa: E402

wsgi_app = "web.app:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# sync workers: requests are short and nginx buffers slow clients; 2 per core plus one
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # an evidence upload of 25 MB included
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# nginx keeps upstream connections open for this long, with threads > 1 only (gthread): sync
# workers close each connection after its request and ignore the setting
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# recycle workers now and then so that no slow leak grows without bound, but seldom: a new worker
# spends about 1.5 s of CPU on imports, the app and its first requests (as much as some 400 API
# reads), which every 2,000 requests was a tenth of the node's CPU under sustained load
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
preload_app = False
# X-Forwarded-Proto is believed only from these addresses (gunicorn's wsgi.url_scheme); the app's
# own proxy handling (client address, HTTPS, host) is SANDAN_PROXIES. Set both for nginx.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# heartbeat files in memory: a container's disk can stall a worker into a false timeout
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# refuse absurd request lines and headers before the app sees them
limit_request_line = 8190
limit_request_fields = 100

# logs: JSON lines (ECS field names) when SANDAN_LOG_FORMAT=json (the default in production);
# the access line carries the X-Request-ID the app answered
accesslog = "-"
errorlog = "-"
logconfig_dict = logging_config(Settings.from_env(), gunicorn=True)


def on_starting(server: Any) -> None:
    """Start with an empty metrics directory: files of an earlier run would be added up."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, mode=0o700)


def post_worker_init(worker: Any) -> None:
    """The app is loaded: set its objects (some 150,000) aside from the garbage collector, whose
    full collections would otherwise walk them all again and again (a 0.1 s pause every few
    thousand requests); it then looks only at what requests leave behind."""
    gc.collect()
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended (recycled, crashed, reloaded): drop its live gauges, keep its counters."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
