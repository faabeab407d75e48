"""Structured logs: one JSON object per line, Elastic Common Schema (ECS) field names, and the
request id on every line written while a request is served.

ECS is the field naming most log pipelines (Elasticsearch, Loki, OpenSearch, Vector) understand
without mapping: `@timestamp`, `log.level`, `log.logger`, `message`, `http.request.id`,
`error.stack_trace`... python-json-logger does the JSON; this module only names the fields.

The request id comes from the proxy's `X-Request-ID` header when it is a sane token (nginx sets it
from `$request_id`), otherwise it is made here; it is answered in the same header and written in
the access line and every log line of the request, so one id ties nginx, gunicorn and the app.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import TYPE_CHECKING, Any

from flask import Flask, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

from workflow.config import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HEADER = "X-Request-ID"
_ENVIRON_KEY = "sandan.request_id"
#: what a request id from outside may look like: a UUID, nginx's hex id, a trace id
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_RENAMED = {"levelname": "log.level", "name": "log.logger", "exc_info": "error.stack_trace",
            "stack_info": "error.stack"}


def init_app(app: Flask) -> None:
    """Give every request an id before anything else runs, and answer it in the response.

    A WSGI middleware rather than a request hook: it sees every request, also those that a
    `before_request` check or a routing error answers, and needs no ordering among hooks.
    """
    app.wsgi_app = RequestId(app.wsgi_app)  # type: ignore[method-assign]


def request_id() -> str | None:
    """The current request's id, or None outside a request."""
    return request.environ.get(_ENVIRON_KEY) if has_request_context() else None


class RequestId:
    """Takes a sane `X-Request-ID` from the proxy or makes one; puts it in the environ and in
    the response's headers."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        offered = environ.get("HTTP_X_REQUEST_ID", "")
        rid = offered if _SANE_ID.fullmatch(offered) else uuid.uuid4().hex
        environ[_ENVIRON_KEY] = rid

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            return start_response(status, [*headers, (HEADER, rid)], exc_info)

        return self.app(environ, start)


class EcsJsonFormatter(JsonFormatter):
    """Log records as ECS JSON, with the request's id, method and path when there is one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("{levelname}{name}{message}", style="{", rename_fields=_RENAMED,
                         timestamp="@timestamp", json_ensure_ascii=False, **kwargs)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        if record.exc_info and record.exc_info[0] is not None:
            log_data["error.type"] = record.exc_info[0].__name__
        if has_request_context():
            log_data["http.request.id"] = request_id()
            log_data["http.request.method"] = request.method
            log_data["url.path"] = request.path


class GunicornAccessFormatter(EcsJsonFormatter):
    """gunicorn's access line as ECS JSON, from the atoms gunicorn passes as the record's args
    (the request id is the `X-Request-ID` the app answered)."""

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        atoms = record.args if isinstance(record.args, dict) else {}
        record.message = f"{atoms.get('m', '-')} {atoms.get('U', '-')} {atoms.get('s', '-')}"
        super().add_fields(log_data, record, message_dict)
        log_data.update({
            "http.request.id": atoms.get("{x-request-id}o") or atoms.get("{x-request-id}i"),
            "http.request.method": atoms.get("m"),
            "url.path": atoms.get("U"),
            "url.query": atoms.get("q") or None,
            "http.response.status_code": _number(atoms.get("s")),
            "http.response.body.bytes": _number(atoms.get("B")),
            "event.duration": _number(atoms.get("D"), scale=1000),  # ECS: nanoseconds
            "client.ip": atoms.get("h"),
            "user_agent.original": atoms.get("a"),
        })


def _number(value: Any, scale: int = 1) -> int | None:
    try:
        return int(value) * scale
    except (TypeError, ValueError):
        return None


def logging_config(settings: Settings, *, gunicorn: bool = False) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the process: JSON or text, on stderr, at the level set.

    With `gunicorn=True` it also routes gunicorn's error and access logs (gunicorn.conf.py).
    """
    json_logs = settings.log_format == "json"
    formatter = {"()": EcsJsonFormatter} if json_logs else {
        "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "main",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": settings.log_level, "handlers": ["stderr"]},
        "loggers": {},
    }
    if gunicorn:
        access = {"()": GunicornAccessFormatter} if json_logs else {"format": "%(message)s"}
        config["formatters"]["access"] = access
        config["handlers"]["access"] = {"class": "logging.StreamHandler", "formatter": "access",
                                        "stream": "ext://sys.stdout"}
        config["loggers"] = {
            "gunicorn.error": {"level": settings.log_level, "handlers": ["stderr"],
                               "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        }
    return config
