"""Delivering the outbox to real loopback peers: SMTP (aiosmtpd) and robots (pytest-httpserver)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from sqlalchemy import select, update
from werkzeug import Request, Response

from tests.conftest import START, World
from workflow.models import Notification, Person
from workflow.notify.delivery import deliver
from workflow.notify.outbox import Message, Outbox
from workflow.runtime import Runtime
from workflow.services.notifications import add_robot, inbox, mark_read, set_preferences

THURSDAY_10 = datetime(2026, 3, 5, 2, tzinfo=UTC)  # 10:00 in Beijing, a working day


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[_Mailbox, int]]:
    box, port = _Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def _runtime(world: World, **settings: Any) -> Runtime:
    values = {"quiet_hours": "22:00-08:00", "notify_backoff": 30.0, "notify_max_attempts": 3}
    values.update(settings)
    rt = Runtime(world.rt.settings.with_(**values), world.rt.clock)
    world.rt.clock.set(THURSDAY_10)  # type: ignore[attr-defined]
    return rt


def _give_email(world: World, *names: str) -> None:
    with world.rt.transaction() as session:
        for name in names:
            session.execute(update(Person).where(Person.id == world.ids[name])
                            .values(email=f"{name}@example.org"))


def _enqueue(world: World, people: list[str], template: str = "urge", *, urgent: bool = False,
             key: str = "k", org: int | None = None, count: int = 1) -> None:
    rt = world.rt
    path = _path(world, org or world.branch_a)
    with rt.transaction() as session:
        outbox = Outbox(session, rt.settings, rt.calendar, rt.clock.now())
        for n in range(count):
            outbox.add(Message(f"{key}{n}", template, {"title": f"事项{n}", "unit": "甲公司党支部",
                                                       "due": START.isoformat()},
                               urgent=urgent, org_path=path),
                       [world.ids[p] for p in people])
        outbox.flush()


def _path(world: World, org_id: int) -> str:
    from workflow.models import Organisation

    with world.rt.read() as session:
        return session.get_one(Organisation, org_id).path


def _rows(world: World, channel: str) -> list[Notification]:
    with world.rt.read() as session:
        return list(session.scalars(select(Notification).where(Notification.channel == channel)
                                    .order_by(Notification.id)))


def test_email_reaches_a_local_smtp_server_once(world: World, mailbox: Any) -> None:
    box, port = mailbox
    rt = _runtime(world, smtp_host="127.0.0.1", smtp_port=port)
    _give_email(world, "handler_a")
    _enqueue(world, ["handler_a", "handler_a2"], "urge")
    assert [r.status for r in _rows(world, "inbox")] == ["sent", "sent"]
    report = deliver(rt, "w1")
    assert (report.sent, report.messages) == (1, 1)
    assert deliver(rt, "w1").claimed == 0
    [mail] = box.messages
    assert mail["To"] == "handler_a@example.org"
    assert str(make_header(decode_header(mail["Subject"]))) == "【催办】事项0"
    assert "甲公司党支部" in mail.get_payload(decode=True).decode()
    assert mail["Message-ID"].startswith("<n")
    [row] = _rows(world, "email")
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, THURSDAY_10)


def test_a_person_s_emails_due_together_go_as_one_digest(world: World, mailbox: Any) -> None:
    box, port = mailbox
    rt = _runtime(world, smtp_host="127.0.0.1", smtp_port=port)
    _give_email(world, "handler_a")
    _enqueue(world, ["handler_a"], "remind", count=3)
    assert deliver(rt, "w1").messages == 1
    subject = str(make_header(decode_header(box.messages[0]["Subject"])))
    assert subject == "三单提醒汇总（3条）"


def test_a_failing_smtp_server_is_retried_with_backoff_then_dead(world: World) -> None:
    rt = _runtime(world, smtp_host="127.0.0.1", smtp_port=_free_port())  # nobody listens
    _give_email(world, "handler_a")
    _enqueue(world, ["handler_a"])
    clock = world.rt.clock
    first = deliver(rt, "w1")
    [row] = _rows(world, "email")
    assert (first.retried, row.status, row.attempts) == (1, "pending", 1)
    assert row.next_attempt_at == THURSDAY_10 + timedelta(seconds=30) and "SMTP" in row.last_error
    assert deliver(rt, "w1").claimed == 0  # not before its time
    clock.set(THURSDAY_10 + timedelta(seconds=30))  # type: ignore[attr-defined]
    deliver(rt, "w1")
    assert _rows(world, "email")[0].next_attempt_at == clock.now() + timedelta(seconds=60)
    clock.set(clock.now() + timedelta(seconds=60))  # type: ignore[attr-defined]
    assert deliver(rt, "w1").dead == 1
    [row] = _rows(world, "email")
    assert (row.status, row.attempts, row.next_attempt_at) == ("dead", 3, None)


def _json(request: Request) -> dict[str, Any]:
    return json.loads(request.get_data())


def test_wecom_robot_failure_then_retry(world: World, httpserver: HTTPServer) -> None:
    rt = _runtime(world, wecom_base_url=httpserver.url_for("/"))
    add_robot(world.rt, world.person("admin"), org_id=world.committee, kind="wecom", token="K1")
    _enqueue(world, ["handler_a"], "criticise", urgent=True)
    httpserver.expect_oneshot_request("/cgi-bin/webhook/send", method="POST",
                                      query_string={"key": "K1"}).respond_with_data("down", 502)
    assert deliver(rt, "w1").retried == 1
    [row] = _rows(world, "wecom")
    assert "HTTP 502" in row.last_error and row.status == "pending"
    seen: list[dict[str, Any]] = []

    def ok(request: Request) -> Response:
        seen.append(_json(request))
        return Response(json.dumps({"errcode": 0, "errmsg": "ok"}), content_type="application/json")

    httpserver.expect_request("/cgi-bin/webhook/send", method="POST",
                              query_string={"key": "K1"}).respond_with_handler(ok)
    world.rt.clock.set(THURSDAY_10 + timedelta(seconds=30))  # type: ignore[attr-defined]
    assert deliver(rt, "w1").sent == 1
    assert seen[0]["msgtype"] == "markdown"
    assert "【通报批评】事项0" in seen[0]["markdown"]["content"]
    assert _rows(world, "wecom")[0].status == "sent"


def test_a_robot_refusing_with_an_errcode_is_a_failure(
    world: World, httpserver: HTTPServer
) -> None:
    rt = _runtime(world, wecom_base_url=httpserver.url_for("/"))
    add_robot(world.rt, world.person("admin"), org_id=world.branch_a, kind="wecom", token="K2")
    _enqueue(world, ["handler_a"])
    httpserver.expect_request("/cgi-bin/webhook/send").respond_with_json(
        {"errcode": 45009, "errmsg": "api freq out of limit"})
    deliver(rt, "w1")
    assert "45009" in _rows(world, "wecom")[0].last_error


def test_dingtalk_messages_are_signed(world: World, httpserver: HTTPServer) -> None:
    rt = _runtime(world, dingtalk_base_url=httpserver.url_for("/"))
    add_robot(world.rt, world.person("admin"), org_id=world.branch_a, kind="dingtalk",
              token="T1", secret="SECabc")
    _enqueue(world, ["handler_a"], "admonish")
    seen: list[Request] = []

    def ok(request: Request) -> Response:
        seen.append(request)
        return Response('{"errcode":0}', content_type="application/json")

    httpserver.expect_request("/robot/send", method="POST").respond_with_handler(ok)
    assert deliver(rt, "w1").sent == 1
    query = seen[0].args
    stamp = query["timestamp"]
    assert stamp == str(int(THURSDAY_10.timestamp() * 1000)) and query["access_token"] == "T1"
    digest = hmac.new(b"SECabc", f"{stamp}\nSECabc".encode(), hashlib.sha256).digest()
    assert query["sign"] == base64.b64encode(digest).decode()
    body = _json(seen[0])
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == "【约谈】事项0"
    assert body["at"] == {"atMobiles": [], "isAtAll": False}


def test_robot_messages_are_batched_under_the_rate_limit(world: World,
                                                         httpserver: HTTPServer) -> None:
    rt = _runtime(world, wecom_base_url=httpserver.url_for("/"))
    add_robot(world.rt, world.person("admin"), org_id=world.branch_a, kind="wecom", token="K3")
    _enqueue(world, ["handler_a"], "remind", count=25)
    bodies: list[str] = []

    def ok(request: Request) -> Response:
        bodies.append(_json(request)["markdown"]["content"])
        return Response('{"errcode":0}', content_type="application/json")

    httpserver.expect_request("/cgi-bin/webhook/send").respond_with_handler(ok)
    first = deliver(rt, "w1")
    assert (first.messages, first.sent, first.deferred) == (1, 20, 5)
    assert bodies[0].count("\n- ") == 20
    assert deliver(rt, "w1").messages == 0  # 20 a minute: the next may leave 3 s later
    world.rt.clock.set(THURSDAY_10 + timedelta(seconds=3))  # type: ignore[attr-defined]
    assert deliver(rt, "w1").sent == 5
    assert len(bodies) == 2


def test_quiet_hours_and_rest_days_hold_all_but_urgent_messages(world: World,
                                                                mailbox: Any) -> None:
    box, port = mailbox
    rt = _runtime(world, smtp_host="127.0.0.1", smtp_port=port)
    _give_email(world, "handler_a")
    friday_night = datetime(2026, 3, 6, 15, tzinfo=UTC)  # 23:00 on Friday in Beijing
    world.rt.clock.set(friday_night)  # type: ignore[attr-defined]
    _enqueue(world, ["handler_a"], "remind", key="calm")
    _enqueue(world, ["handler_a"], "criticise", urgent=True, key="loud")
    report = deliver(rt, "w1")
    assert (report.sent, report.deferred) == (1, 1)
    held = [r for r in _rows(world, "email") if r.status == "pending"]
    assert held[0].next_attempt_at == datetime(2026, 3, 9, 0, tzinfo=UTC)  # Monday 08:00
    assert len(box.messages) == 1


def test_preferences_digest_mute_and_language(world: World) -> None:
    rt = _runtime(world)
    _give_email(world, "handler_a", "handler_a2")
    set_preferences(rt, world.person("handler_a"), email="digest", language="en")
    set_preferences(rt, world.person("handler_a2"), muted=["remind"])
    _enqueue(world, ["handler_a", "handler_a2"], "remind", key="r")
    _enqueue(world, ["handler_a2"], "remind", urgent=True, key="u")
    rows = {r.person_id: r for r in _rows(world, "email")}
    digest = rows[world.ids["handler_a"]]
    assert digest.next_attempt_at == datetime(2026, 3, 6, 0, 30, tzinfo=UTC)  # Fri 08:30
    assert len(_rows(world, "email")) == 2  # handler_a2 muted reminders, but not urgent ones
    with pytest.raises(Exception, match="muted: unknown"):
        set_preferences(rt, world.person("handler_a"), muted=["nonsense"])


def test_inbox_rows_are_read_and_unread(world: World) -> None:
    _enqueue(world, ["handler_a"], "urge", count=2)
    person = world.person("handler_a")
    unread = inbox(world.rt, person, unread_only=True)
    assert len(unread) == 2
    assert mark_read(world.rt, person, [unread[0].id]) == 1
    assert mark_read(world.rt, world.person("handler_b"), [unread[1].id]) == 0  # not theirs
    assert [n.read_at is None for n in inbox(world.rt, person)] == [False, True]  # newest first
    assert len(inbox(world.rt, person, unread_only=True)) == 1
