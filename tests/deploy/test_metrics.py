"""/metrics: requests, transitions, sweeps, escalations and the outbox backlog, and who may read.

Counters live for the whole test process, so each test compares before and after.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from tests.conftest import START, World
from tests.workflow.helpers import issue_task
from web.app import create_app
from workflow import observe
from workflow.access import Scope
from workflow.models import Notification
from workflow.services import tokens
from workflow.services.items import fire_transition
from workflow.services.notifications import add_robot
from workflow.services.sweeps import run_sweep

TOKEN = "m" * 40


@pytest.fixture
def app(world: World) -> Flask:
    return create_app(runtime=world.rt)


def scrape(app: Flask) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = app.test_client().get("/metrics")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain; version=")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(answer.get_data(as_text=True))
            for sample in family.samples}


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_a_transition_fired_through_the_api_is_counted(app: Flask, world: World) -> None:
    item = issue_task(world)
    token = tokens.create_token(world.rt, Scope.system(), world.ids["handler_a"], name="m").token
    before = scrape(app)
    answer = app.test_client().post(f"/api/v1/items/{item}/transitions",
                                    json={"trigger": "sign_for", "version": 1},
                                    headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.json
    refused = app.test_client().post(f"/api/v1/items/{item}/transitions",
                                     json={"trigger": "sign_for", "version": 2},
                                     headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 422  # not allowed in the new state: nothing fired
    after = scrape(app)
    name = "sandan_transitions_total"
    assert value(after, name, kind="task", trigger="sign_for") \
        == value(before, name, kind="task", trigger="sign_for") + 1
    endpoint = "Items.Transitions"
    requests = "sandan_http_requests_total"
    for status in ("200", "422"):
        assert value(after, requests, method="POST", endpoint=endpoint, status=status) \
            == value(before, requests, method="POST", endpoint=endpoint, status=status) + 1
    latency = "sandan_http_request_duration_seconds_count"
    assert value(after, latency, method="POST", endpoint=endpoint) \
        == value(before, latency, method="POST", endpoint=endpoint) + 2


def test_sweeps_and_escalations_by_level_are_counted(app: Flask, world: World) -> None:
    issue_task(world)
    before = scrape(app)
    escalated: dict[str, int] = {}
    for days in (31, 35, 45):
        report = run_sweep(world.rt, as_of=START + timedelta(days=days))
        for action in report.actions:
            if action.kind == "escalate":
                key = f"{action.level}:{action.action}"
                escalated[key] = escalated.get(key, 0) + 1
    after = scrape(app)
    assert set(escalated) >= {"1:remind", "2:urge"}
    for key, count in escalated.items():
        level, action = key.split(":")
        name = "sandan_escalations_total"
        assert value(after, name, level=level, action=action) \
            == value(before, name, level=level, action=action) + count
    name = "sandan_sweep_duration_seconds_count"
    assert value(after, name) == value(before, name) + 3


def test_the_outbox_backlog_is_read_from_the_database(app: Flask, world: World) -> None:
    add_robot(world.rt, world.person("admin"), org_id=world.committee, kind="wecom", token="k")
    issue_task(world)
    run_sweep(world.rt, as_of=START + timedelta(days=35))
    with world.rt.read() as session:
        pending = dict(session.execute(
            select(Notification.channel, func.count())
            .where(Notification.status == "pending").group_by(Notification.channel)).all())
    assert pending.get("wecom", 0) >= 1
    samples = scrape(app)
    assert {channel: value(samples, "sandan_outbox_backlog", channel=channel)
            for channel in pending} == pending


@pytest.mark.parametrize(("address", "header", "allowed"), [
    ("127.0.0.1", None, True),
    ("::1", None, True),
    ("10.0.0.5", None, False),
    ("10.0.0.5", f"Bearer {TOKEN}", True),
    ("10.0.0.5", "Bearer wrong", False),
    ("127.0.0.1", "Bearer wrong", False),  # a token offered is a token checked
])
def test_metrics_answer_only_allowed_addresses_or_the_token(
        world: World, address: str, header: str | None, allowed: bool) -> None:
    app = create_app(runtime=world.rt)
    app.extensions["sandan"].settings = world.rt.settings.with_(metrics_token=TOKEN)
    answer = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": address},
                                   headers={"Authorization": header} if header else {})
    assert answer.status_code == (200 if allowed else 404)


def test_a_listed_network_may_read_the_metrics(world: World) -> None:
    app = create_app(runtime=world.rt)
    app.extensions["sandan"].settings = world.rt.settings.with_(metrics_allow=("10.0.0.0/8",))
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.3.2.1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404


def test_a_failing_observer_never_breaks_the_engine(world: World) -> None:
    def broken(_event: observe.Event) -> None:
        raise RuntimeError("the metrics backend is down")

    observe.subscribe(broken)
    try:
        item = issue_task(world)
        result = fire_transition(world.rt, world.person("handler_a"), item, "sign_for",
                                 expected_version=1)
    finally:
        observe.unsubscribe(broken)
    assert result.state == "received" and result.kind == "task"
