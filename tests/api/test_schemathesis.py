"""Property-based run of the served OpenAPI document (schemathesis, in-process over WSGI).

Bounded: 20 examples per operation, no deadline, no stateful phase. Two branch handlers of
different branches are the identities, declared as peers: schemathesis replays each one's
successful reads as the other (its object-level authorisation check), on top of checking that
no response is a server error and every response matches its documented status, content type
and schema.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from schemathesis.specs.openapi import _auth_retry

from tests.api.conftest import ApiClient, issue
from tests.conftest import BACKENDS, World

CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance", "ignored_auth",
          "object_level_authorization")


def _wfc(path: Path, tokens: dict[str, str]) -> Path:
    document = {"auth": [{"name": name, "fixedHeaders": [
        {"name": "Authorization", "value": f"Bearer {token}"}]} for name, token in tokens.items()]}
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def in_process_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work around schemathesis 4.32 sending socket options to its in-process WSGI client.

    Its auth probes (ignored_auth, object_level_authorization) drop the requests session but
    keep max_redirects/verify/cert, which werkzeug's test client refuses with a TypeError.
    """
    original = _auth_retry.build_retry_transport_kwargs

    def without_socket_options(*args: Any, **kwargs: Any) -> dict[str, Any]:
        prepared = original(*args, **kwargs)
        for name in ("max_redirects", "verify", "cert", "proxies"):
            prepared.pop(name, None)
        return prepared

    monkeypatch.setattr(_auth_retry, "build_retry_transport_kwargs", without_socket_options)


# SQLite only (when the run includes it): PostgreSQL triples the time, and every endpoint's
# behaviour is already tested on both backends
@pytest.mark.parametrize("database_url", ["sqlite"] if "sqlite" in BACKENDS else BACKENDS[:1],
                         indirect=True)
@pytest.mark.usefixtures("in_process_probes")
def test_the_api_survives_schemathesis(world: World, app: Flask, tmp_path: Path,
                                       as_: Callable[[str], ApiClient]) -> None:
    ids = issue(as_("issuer"), world, world.branch_a, world.branch_b).get_json()["item_ids"]
    assert len(ids) == 2
    tokens = {name: str(as_(name).token) for name in ("handler_a", "handler_b")}
    config = SchemathesisConfig.from_dict({
        "seed": 20261123,
        "generation": {"max-examples": 20},
        "phases": {"stateful": {"enabled": False}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "auth": {"wfc": {"path": str(_wfc(tmp_path / "wfc.json", tokens)),
                         "peers": ["handler_a", "handler_b"]}},
    })
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failures.append(f"{event.label}: {check.name}: "
                                        f"{check.failure_info.failure.title}")
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    statuses[interaction.response.status_code] += 1
        elif isinstance(event, (events.FatalError, events.NonFatalError)):
            failures.append(f"error: {event.label}: {event.info.format()}")
    assert not failures, "\n".join(sorted(set(failures)))
    assert statuses[200] and statuses[422] and statuses[404], statuses
    assert not any(code >= 500 for code in statuses), statuses
