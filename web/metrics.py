"""Prometheus metrics (prometheus_client): requests and latencies per endpoint, and the engine's
transitions, sweeps and escalations, plus the outbox backlog read from the database.

Two sources, chosen by what each figure is:
- events are counted where they happen: the engine announces them (workflow/observe.py) and the
  counters here listen, in each gunicorn worker (multiprocess mode: gunicorn.conf.py sets
  PROMETHEUS_MULTIPROC_DIR before the app is imported) and in `sandan worker`, which runs the
  sweeps and serves its own /metrics at SANDAN_WORKER_METRICS. Counting them later from the
  ledger would scan millions of rows at every scrape.
- the outbox backlog is a state shared by every node, so it is read from the database when
  scraped, through the partial index on pending notifications (as small as the backlog).

`/metrics` answers only addresses in SANDAN_METRICS_ALLOW (loopback by default) or a request
carrying `Authorization: Bearer <SANDAN_METRICS_TOKEN>`.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text

from workflow import observe
from workflow.models import Notification
from workflow.runtime import Runtime

REQUESTS = Counter("sandan_http_requests", "HTTP requests answered",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("sandan_http_request_duration_seconds", "Time to answer a request",
                    ["method", "endpoint"],
                    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
TRANSITIONS = Counter("sandan_transitions", "Transitions fired and committed",
                      ["kind", "trigger"])
SWEEPS = Histogram("sandan_sweep_duration_seconds", "Time a deadline sweep took",
                   buckets=(.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300))
SWEPT = Counter("sandan_sweep_items", "Items the sweeps met")
ESCALATIONS = Counter("sandan_escalations", "Escalation ladder steps taken by the sweep",
                      ["level", "action"])


def init_app(app: Flask) -> None:
    """Time and count every request, and count the engine's events in this process."""
    observe.subscribe(count_event)
    app.before_request(_start_timer)
    app.after_request(_count_request)


def count_event(event: observe.Event) -> None:
    """The engine's events, as counters."""
    if isinstance(event, observe.TransitionFired):
        TRANSITIONS.labels(event.kind, event.trigger).inc()
    elif isinstance(event, observe.SweepFinished):
        SWEEPS.observe(event.seconds)
        SWEPT.inc(event.examined)
    elif isinstance(event, observe.Escalated):
        ESCALATIONS.labels(str(event.level), event.action).inc()


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _count_request(response: Response) -> Response:
    started = g.get("metrics_started")
    endpoint = request.endpoint or "unmatched"  # bounded: a route name, never a raw path
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
    return response


def allowed(rt: Runtime) -> bool:
    """Whether this request may read /metrics: a listed address, or the metrics token."""
    settings = rt.settings
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if settings.metrics_token and scheme.lower() == "bearer":
        return hmac.compare_digest(token.encode(), settings.metrics_token.encode())
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in settings.metrics_allow)


def exposition(rt: Runtime) -> Response:
    """Every metric of this node: all gunicorn workers' (or this process's), and the backlog."""
    registry = CollectorRegistry(auto_describe=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(Backlog(rt))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class _ThisProcess(Collector):
    """The process-wide default registry, when gunicorn is not in multiprocess mode."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class Backlog(Collector):
    """Notifications not delivered yet, per channel, counted when scraped."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("sandan_outbox_backlog",
                                   "Notifications waiting for delivery (status pending)",
                                   labels=["channel"])
        # the index's own WHERE, as text: SQLite uses a partial index only for a literal match
        query = (select(Notification.channel, func.count())
                 .where(text("status = 'pending'")).group_by(Notification.channel))
        with self.rt.read() as session:
            for channel, count in session.execute(query):
                family.add_metric([channel], count)
        yield family


def serve_worker_metrics(address: str) -> None:
    """`sandan worker`'s own /metrics (sweeps, escalations) on ADDRESS:PORT, in a thread."""
    host, _, port = address.rpartition(":")
    observe.subscribe(count_event)
    start_http_server(int(port), addr=host.strip("[]"))


def view() -> Response:
    """GET /metrics: 404 to whoever may not read it, so its existence does not leak."""
    rt = current_app.extensions["sandan"]
    if not allowed(rt):
        return Response("not found\n", status=404, mimetype="text/plain")
    return exposition(rt)
