"""The inbox and the item page through the test client: urgency groups, filters, htmx partials,
paging, transition forms and their errors, evidence upload, roll-up, timeline and diagram."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, START, World
from tests.web.test_pages import _token, login
from tests.workflow.helpers import attach, default_fields, issue_task
from web.app import create_app
from web.views import items as item_views
from workflow.models import Item
from workflow.services.evidence import MAX_BYTES
from workflow.services.items import fire_transition
from workflow.services.lists import NewItem, decompose_item


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)
    app.config["TESTING"] = True
    return app


def _client(app: Flask, who: str = "handler_a") -> FlaskClient:
    client = app.test_client()
    login(client, who)
    return client


def _item(world: World, item_id: int) -> Item:
    with world.rt.read() as session:
        item = session.get(Item, item_id)
        assert item is not None
        return item


def _groups(page: str) -> list[str]:
    return re.findall(r'class="inbox-group" data-group="(\w+)"', page)


def _titles(page: str) -> list[str]:
    return re.findall(r'<a class="fw-semibold text-break" href="/items/\d+">([^<]+)</a>', page)


# --- the inbox ----------------------------------------------------------------------------------

def test_inbox_groups_items_by_traffic_light_most_urgent_first(world: World, app: Flask) -> None:
    issue_task(world, title="甲：明天到期", days=1)
    issue_task(world, title="乙：四天后到期", days=4)
    issue_task(world, title="丙：一个月后到期", days=30)
    world.rt.clock.advance(days=2)  # the first is now overdue, the second due within 3 days
    page = _client(app).get("/").get_data(as_text=True)
    assert _groups(page) == ["red", "yellow", "green"]
    assert _titles(page) == ["甲：明天到期", "乙：四天后到期", "丙：一个月后到期"]
    assert "红灯" in page and "黄灯" in page and "绿灯" in page
    assert "逾期" in page  # the red item's countdown says how long it is overdue
    english = _client(app).get("/?lang=en").get_data(as_text=True)
    assert "Red" in english and "overdue" in english and "left" in english


def test_inbox_shows_the_escalation_level(world: World, app: Flask) -> None:
    item_id = issue_task(world, title="已升级的事项", days=1)
    with world.rt.transaction() as session:
        session.get_one(Item, item_id).escalation_level = 2
    world.rt.clock.advance(days=5)
    page = _client(app).get("/").get_data(as_text=True)
    assert 'class="badge text-bg-danger escalation"' in page and "催办" in page
    assert "已升级的事项" in _client(app).get("/?level=2").get_data(as_text=True)
    assert "已升级的事项" not in _client(app).get("/?level=3").get_data(as_text=True)


def test_inbox_filters_by_text_kind_overdue_and_unit(world: World, app: Flask) -> None:
    issue_task(world, title="召开组织生活会", days=1)
    issue_task(world, title="整改三会一课记录", kind="rectification", days=20)
    issue_task(world, title="乙支部的任务", to=world.branch_b, days=20)
    world.rt.clock.advance(days=2)
    issuer = _client(app, "issuer")
    assert _titles(issuer.get("/?q=组织生活").get_data(as_text=True)) == ["召开组织生活会"]
    rectifications = issuer.get("/?kind=rectification").get_data(as_text=True)
    assert _titles(rectifications) == ["整改三会一课记录"]
    assert _titles(issuer.get("/?overdue=1").get_data(as_text=True)) == ["召开组织生活会"]
    unit = issuer.get(f"/?unit={world.branch_b}").get_data(as_text=True)
    assert _titles(unit) == ["乙支部的任务"]
    assert "乙支部的任务" not in _client(app).get("/").get_data(as_text=True)  # not branch A's
    assert _client(app).get(f"/?unit={world.branch_b}").status_code == 404


def test_inbox_filter_state_and_closed(world: World, app: Flask) -> None:
    first = issue_task(world, title="已签收的任务")
    issue_task(world, title="未签收的任务")
    fire_transition(world.rt, world.person("handler_a"), first, "sign_for", {},
                    expected_version=1)
    client = _client(app)
    assert _titles(client.get("/?state=received").get_data(as_text=True)) == ["已签收的任务"]
    assert client.get("/?unit=abc").status_code == 400


def test_inbox_htmx_refresh_answers_the_results_list_only(world: World, app: Flask) -> None:
    issue_task(world, title="党费收缴")
    answer = _client(app).get("/?q=党费", headers={"HX-Request": "true",
                                                  "HX-Target": "inbox-results"})
    page = answer.get_data(as_text=True)
    assert page.lstrip().startswith('<div id="inbox-results"') and "<html" not in page
    assert _titles(page) == ["党费收缴"]


def test_inbox_pages_with_a_more_button(world: World, app: Flask,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(item_views, "PAGE", 2)
    for n in range(5):
        issue_task(world, title=f"第{n}项", days=10 + n)
    client = _client(app)
    page = client.get("/").get_data(as_text=True)
    assert _titles(page) == ["第0项", "第1项"]
    more = re.search(r'hx-get="([^"]+)"\s+hx-target="#(more-\d+)"', page)
    assert more
    url = more.group(1).replace("&amp;", "&")
    rest = client.get(url, headers={"HX-Request": "true", "HX-Target": more.group(2)})
    rows = rest.get_data(as_text=True)
    assert _titles(rows) == ["第2项", "第3项"]
    assert _groups(rows) == []  # still the green group: no second heading
    last = re.search(r'hx-get="([^"]+)"', rows)
    assert last
    final = client.get(last.group(1).replace("&amp;", "&"),
                       headers={"HX-Request": "true", "HX-Target": "more-x"})
    assert _titles(final.get_data(as_text=True)) == ["第4项"]
    assert "hx-get" not in final.get_data(as_text=True)


# --- the item page ------------------------------------------------------------------------------

def test_item_page_shows_fields_people_state_timeline_and_diagram(world: World,
                                                                  app: Flask) -> None:
    item_id = issue_task(world, title="开展主题党日活动")
    fire_transition(world.rt, world.person("handler_a"), item_id, "sign_for",
                    {"comment": "已收到"}, expected_version=1)
    page = _client(app).get(f"/items/{item_id}").get_data(as_text=True)
    assert "甲公司党支部" in page and "按期召开并形成会议记录" in page
    assert 'class="badge text-bg-primary current-state">已签收' in page
    assert "handler_a同志" in page and "已交办 → 已签收" in page and "已收到" in page
    assert "stateDiagram-v2" in page and "已签收" in page.split('class="mermaid"')[1]
    assert "开始办理" in page or "start" in page  # the next action is offered


def test_action_form_asks_exactly_the_definitions_inputs(world: World, app: Flask) -> None:
    item_id = issue_task(world)
    page = _client(app).get(f"/items/{item_id}").get_data(as_text=True)
    forms = dict(re.findall(r'name="trigger" value="(\w+)">(.*?)</form>', page, re.DOTALL))
    assert set(forms) == {"sign_for", "return_to_issuer"}
    assert 'name="comment"' in forms["sign_for"] and 'name="reason"' not in forms["sign_for"]
    assert 'name="reason"' in forms["return_to_issuer"]
    assert 'required aria-required="true"' in forms["return_to_issuer"]


def test_a_missing_input_is_shown_next_to_its_field_and_nothing_changes(world: World,
                                                                        app: Flask) -> None:
    item_id = issue_task(world)
    client = _client(app)
    page = client.get(f"/items/{item_id}").get_data(as_text=True)
    answer = client.post(f"/items/{item_id}/fire", data={
        "csrf_token": _token(page), "trigger": "return_to_issuer", "version": "1", "reason": " "})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    error = re.search(r'id="a-return_to_issuer-reason-error"[^>]*>(.*?)</div>\s*</div>', page,
                      re.DOTALL)
    assert error and "此项为必填项" in error.group(1)
    assert 'aria-describedby="a-return_to_issuer-reason-error"' in page
    assert "<details class=\"action border rounded mb-2\" open>" in page
    item = _item(world, item_id)
    assert (item.state, item.version) == ("issued", 1)
    english = client.post(f"/items/{item_id}/fire?lang=en", data={
        "csrf_token": _token(page), "trigger": "return_to_issuer", "version": "1"})
    assert "This field is required." in english.get_data(as_text=True)


def test_a_stale_version_is_a_conflict_and_nothing_changes(world: World, app: Flask) -> None:
    item_id = issue_task(world)
    client = _client(app)
    page = client.get(f"/items/{item_id}").get_data(as_text=True)
    fire_transition(world.rt, world.person("handler_a2"), item_id, "sign_for", {},
                    expected_version=1)  # someone else was quicker
    answer = client.post(f"/items/{item_id}/fire", data={
        "csrf_token": _token(page), "trigger": "sign_for", "version": "1"})
    assert answer.status_code == 409
    assert "已被他人修改" in answer.get_data(as_text=True)
    assert _item(world, item_id).version == 2


def test_a_trigger_not_allowed_now_is_refused_at_the_top(world: World, app: Flask) -> None:
    item_id = issue_task(world)
    client = _client(app)
    page = client.get(f"/items/{item_id}").get_data(as_text=True)
    answer = client.post(f"/items/{item_id}/fire", data={
        "csrf_token": _token(page), "trigger": "approve", "version": "1"})
    assert answer.status_code == 422 and 'class="alert alert-danger"' in answer.get_data(
        as_text=True)
    assert _item(world, item_id).state == "issued"


def test_a_signed_transition_asks_for_the_password(world: World, app: Flask) -> None:
    item_id = issue_task(world, kind="responsibility", title="落实一岗双责")
    fire_transition(world.rt, world.person("handler_a"), item_id, "acknowledge", {},
                    expected_version=1)
    client = _client(app, "issuer")
    page = client.get(f"/items/{item_id}").get_data(as_text=True)
    assert 'id="a-retire-password"' in page and 'type="password"' in page
    answer = client.post(f"/items/{item_id}/fire", data={
        "csrf_token": _token(page), "trigger": "retire", "version": "2",
        "reason": "职责调整", "password": "not-my-password-1"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="a-retire-password-error"' in page
    assert _item(world, item_id).state == "active"
    answer = client.post(f"/items/{item_id}/fire", data={
        "csrf_token": _token(page), "trigger": "retire", "version": "2",
        "reason": "职责调整", "password": PASSWORD})
    assert answer.status_code == 302 and _item(world, item_id).state == "retired"
    timeline = client.get(f"/items/{item_id}").get_data(as_text=True)
    assert "已签名：废止" in timeline  # who signed, and the meaning in the reader's language
    assert "Signed: retirement" in client.get(f"/items/{item_id}?lang=en").get_data(as_text=True)


def test_other_branchs_item_is_a_not_found_page(world: World, app: Flask) -> None:
    item_id = issue_task(world, to=world.branch_b)
    client = _client(app)
    answer = client.get(f"/items/{item_id}")
    assert answer.status_code == 404 and "未找到" in answer.get_data(as_text=True)
    token = _token(client.get("/").get_data(as_text=True))
    upload = client.post(f"/items/{item_id}/evidence", data={
        "csrf_token": token, "files": (io.BytesIO(b"x"), "a.pdf")})
    assert upload.status_code == 404


# --- evidence -----------------------------------------------------------------------------------

def _upload(client: FlaskClient, item_id: int, files: list[tuple[bytes, str]],
            htmx: bool = False) -> tuple[int, str]:
    token = _token(client.get(f"/items/{item_id}").get_data(as_text=True))
    data = {"csrf_token": token, "files": [(io.BytesIO(body), name) for body, name in files]}
    headers = {"HX-Request": "true", "HX-Target": "evidence"} if htmx else {}
    answer = client.post(f"/items/{item_id}/evidence", data=data, headers=headers,
                         content_type="multipart/form-data")
    return answer.status_code, answer.get_data(as_text=True)


def test_several_files_upload_and_are_listed_with_their_hashes(world: World, app: Flask) -> None:
    item_id = issue_task(world)
    client = _client(app)
    status, _page = _upload(client, item_id, [(b"minutes", "会议记录.pdf"), (b"photo", "照片.jpg")])
    assert status == 302
    page = client.get(f"/items/{item_id}").get_data(as_text=True)
    import hashlib

    for body in (b"minutes", b"photo"):
        assert hashlib.sha256(body).hexdigest() in page
    assert "会议记录.pdf" in page and "照片.jpg" in page


def test_wrong_type_and_too_large_files_are_named_inline(world: World, app: Flask) -> None:
    item_id = issue_task(world)
    client = _client(app)
    big = b"0" * (MAX_BYTES + 1)
    status, page = _upload(client, item_id, [(b"MZ", "tool.exe"), (big, "扫描件.pdf"),
                                             (b"fine", "说明.txt")], htmx=True)
    assert status == 200 and page.lstrip().startswith('<section class="mt-4" id="evidence"')
    errors = re.search(r'id="evidence-errors"[^>]*>(.*?)</div>\s*<progress', page, re.DOTALL)
    assert errors
    assert "tool.exe: 不接受此类型的文件" in errors.group(1)
    assert "扫描件.pdf: 大于 20 MB" in errors.group(1)
    assert "已上传：说明.txt" in page  # the good file went through
    with world.rt.read() as session:
        from sqlalchemy import func, select

        from workflow.models import ItemEvidence

        count = session.scalar(select(func.count()).select_from(ItemEvidence)
                               .where(ItemEvidence.item_id == item_id))
    assert count == 1
    status, page = _upload(client, item_id, [(b"MZ", "tool.exe")])  # without JavaScript
    assert status == 422 and "tool.exe: 不接受此类型的文件" in page


def test_recycled_evidence_is_flagged(world: World, app: Flask) -> None:
    mine = issue_task(world)
    theirs = issue_task(world, to=world.branch_b)
    attach(world, mine, content=b"the same photo")
    attach(world, theirs, who="handler_b", content=b"the same photo")
    page = _client(app, "inspector").get(f"/items/{mine}").get_data(as_text=True)
    assert 'class="alert alert-warning py-1 px-2 mt-1 mb-0 recycled"' in page
    assert "乙公司党支部" in page  # the inspector sees both units
    page = _client(app).get(f"/items/{mine}").get_data(as_text=True)
    assert "recycled" in page and "乙公司党支部" not in page  # hidden from branch A


# --- child items --------------------------------------------------------------------------------

def test_child_items_and_their_roll_up(world: World, app: Flask) -> None:
    parent = issue_task(world, title="上级任务", days=20)
    decompose_item(world.rt, world.person("handler_a"), parent, [
        NewItem(title="小组任务一", assignee_org_id=world.group_a, due_at=START + timedelta(days=1),
                fields=default_fields("task")),
        NewItem(title="小组任务二", assignee_org_id=world.group_a,
                due_at=START + timedelta(days=10), fields=default_fields("task")),
    ])
    world.rt.clock.advance(days=2)
    page = _client(app).get(f"/items/{parent}").get_data(as_text=True)
    assert "小组任务一" in page and "小组任务二" in page
    assert "共 2 项，已销号 0 项，逾期 1 项" in page


# --- phones -------------------------------------------------------------------------------------

def test_pages_are_phone_friendly(world: World, app: Flask) -> None:
    item_id = issue_task(world)
    client, visitor = _client(app), app.test_client()
    for who, url in ((client, "/"), (client, f"/items/{item_id}"), (visitor, "/login"),
                     (client, "/account/password"), (client, "/nowhere")):
        page = who.get(url).get_data(as_text=True)
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
        assert not re.search(r'style="[^"]*(?<![-\w])width:\s*\d{3,}px', page), url
        assert not re.search(r'<table[^>]*\bwidth=', page), url
        assert page.count("<table") <= page.count('class="table-responsive"'), url
