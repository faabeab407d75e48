"""Endpoints for the machines that run Sandan: liveness, readiness and metrics.

- `GET /healthz`: the process answers (liveness). It touches nothing else, so a slow or absent
  database never makes an orchestrator restart healthy web processes.
- `GET /readyz`: the database answers and its schema is at the newest migration (readiness):
  a node is taken out of the load balancer rather than serve against a schema it does not know.
- `GET /metrics`: Prometheus metrics (web/metrics.py), for allowed addresses or the metrics token.

web/sessions.py lets these three through without sign-in, CSRF, idle timeout or rate limit.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from web import metrics
from workflow.schema import revisions

bp = Blueprint("ops", __name__)
#: endpoints that answer machines: no session, no CSRF, no sign-in (web/sessions.py)
ENDPOINTS = frozenset({"ops.healthz", "ops.readyz", "ops.metrics"})
_log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> Response:
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    rt = current_app.extensions["sandan"]
    try:
        with rt.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current, expected = revisions(rt.engine, rt.settings.database_url)
    except SQLAlchemyError as exc:
        # the details (host, driver message) go to the log, not to an unauthenticated answer
        _log.error("readiness: the database is unreachable: %s", exc)
        return _no_store(jsonify(status="unavailable", database="unreachable",
                                 message="the database does not answer; see the log")), 503
    migrations = {"current": current, "expected": expected}
    if current != expected:
        message = (f"the database is at migration {', '.join(current) or 'none (empty)'}, "
                   f"this version of Sandan needs {', '.join(expected)}: run `sandan init`")
        return _no_store(jsonify(status="unavailable", database="ok", migrations=migrations,
                                 message=message)), 503
    return _no_store(jsonify(status="ok", database="ok", migrations=migrations)), 200


bp.add_url_rule("/metrics", "metrics", metrics.view, methods=["GET"])


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
