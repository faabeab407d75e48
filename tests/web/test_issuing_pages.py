"""Issuing a list on the web: the Excel round trip with preview and confirmation, the form,
and the Excel downloads and print page, each limited to what the signed-in person may see."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import World
from tests.web.test_pages import _token, login
from tests.workflow.excel_helpers import fill_template, sheet_rows
from tests.workflow.helpers import issue_task
from web.app import create_app
from workflow.models import Item

GOOD = {"事项名称": "开展主题党日活动", "承办单位": "甲公司党支部", "截止日期": date(2026, 4, 30),
        "任务类别": "党建", "任务内容": "按期开展并形成记录"}


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def issuer(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client, "issuer")
    return client


def _count(world: World) -> int:
    with world.rt.read() as session:
        return int(session.scalar(select(func.count()).select_from(Item)) or 0)


def _template(client: FlaskClient, kind: str = "task") -> bytes:
    answer = client.get(f"/issue/template/{kind}.xlsx")
    assert answer.status_code == 200
    assert answer.mimetype.endswith("spreadsheetml.sheet")
    disposition = answer.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E4%BB%BB%E5%8A%A1%E6%B8%85%E5%8D%95" in disposition  # 任务清单…
    return answer.data


def _upload(client: FlaskClient, data: bytes, name: str = "清单.xlsx") -> tuple[int, str]:
    token = _token(client.get("/issue/").get_data(as_text=True))
    answer = client.post("/issue/upload", data={"csrf_token": token,
                                                "file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")
    return answer.status_code, answer.get_data(as_text=True)


def _confirm_token(page: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', page)
    assert match, "a valid file offers the confirmation"
    return match.group(1)


def test_template_upload_preview_confirm_issues_once(world: World, issuer: FlaskClient) -> None:
    rows = [GOOD, {**GOOD, "事项名称": "收缴党费", "承办单位": "乙公司党支部"}]
    status, page = _upload(issuer, fill_template(_template(issuer), rows, title="二季度任务清单"))
    assert status == 200, page
    assert "二季度任务清单" in page and "收缴党费" in page and "乙公司党支部" in page
    assert _count(world) == 0  # a preview creates nothing
    form = {"csrf_token": _token(page), "token": _confirm_token(page)}
    first = issuer.post("/issue/confirm", data=form)
    assert first.status_code == 302 and _count(world) == 2
    second = issuer.post("/issue/confirm", data=form)  # the double click
    assert second.status_code == 302 and _count(world) == 2
    inbox = issuer.get("/").get_data(as_text=True)
    assert "收缴党费" in inbox


def test_one_bad_row_shows_row_and_column_and_creates_nothing(world: World,
                                                               issuer: FlaskClient) -> None:
    before = _count(world)
    rows = [GOOD, GOOD, GOOD, {**GOOD, "截止日期": "2026-13-01"}, GOOD]
    status, page = _upload(issuer, fill_template(_template(issuer), rows))
    assert status == 422
    assert "第5行 C列 截止日期：“2026-13-01”不是日期" in page
    assert 'name="token"' not in page
    assert _count(world) == before


def test_problems_speak_english_when_asked(world: World, issuer: FlaskClient) -> None:
    issuer.get("/?lang=en")
    rows = [{**GOOD, "承办单位": "丙公司党支部"}]
    status, page = _upload(issuer, fill_template(_template(issuer), rows))
    assert status == 422
    assert "row 2, column B (Assignee unit): &#39;丙公司党支部&#39; is not an open unit" in page


@pytest.mark.parametrize(("data", "message"), [
    (b"title,unit\nx,y\n", "not an Excel workbook"),
    (None, "no sheet named 条目"),
])
def test_files_that_are_not_the_template_are_refused(world: World, issuer: FlaskClient,
                                                      data: bytes | None, message: str) -> None:
    if data is None:
        import openpyxl

        book = openpyxl.Workbook()
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
    status, page = _upload(issuer, data, "清单.csv")
    assert status == 422 and message in page
    assert 'id="file-error"' in page and _count(world) == 0


def test_a_changed_token_is_refused(world: World, issuer: FlaskClient) -> None:
    status, page = _upload(issuer, fill_template(_template(issuer), [GOOD]))
    token = _confirm_token(page)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    answer = issuer.post("/issue/confirm", data={"csrf_token": _token(page), "token": forged})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/issue/")
    assert _count(world) == 0
    assert 'name="file"' in issuer.get(answer.headers["Location"]).get_data(as_text=True)


def test_the_form_issues_one_item_per_chosen_unit(world: World, issuer: FlaskClient) -> None:
    page = issuer.get("/issue/?kind=task").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page)
    assert key
    form = {"csrf_token": _token(page), "kind": "task", "issuer": str(world.committee),
            "rows": "1", "key": key.group(1), "title": "表单清单",
            "items-1-title": "学习党章", "items-1-due": "2026-04-30",
            "items-1-units": [str(world.branch_a), str(world.branch_b)],
            "items-1-category": "党建", "items-1-description": "逐章学习"}
    answer = issuer.post("/issue/", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert _count(world) == 2
    issuer.post("/issue/", data=form)  # the same form again (double click): same key
    assert _count(world) == 2


def test_form_errors_are_next_to_their_fields(world: World, issuer: FlaskClient) -> None:
    page = issuer.get("/issue/").get_data(as_text=True)
    form = {"csrf_token": _token(page), "kind": "task", "issuer": str(world.committee),
            "rows": "1", "key": "k", "title": "表单清单", "items-1-title": "学习党章",
            "items-1-due": "2026-01-01", "items-1-category": "其他",
            "items-1-description": "逐章学习"}
    answer = issuer.post("/issue/", data=form)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'id="items-1-units-error"[^>]*>\s*<div>必填。', page)
    assert re.search(r'id="items-1-due-error"[^>]*>\s*<div>2026-01-01 已经过去', page)
    assert re.search(r'id="items-1-category-error"[^>]*>\s*<div>只能填：党建、业务', page)
    assert _count(world) == 0


def test_only_issuers_reach_the_issue_pages(app: Flask) -> None:
    client = app.test_client()
    login(client, "handler_a")
    assert client.get("/issue/").status_code == 404
    assert "/issue/" not in client.get("/").get_data(as_text=True)


def test_item_and_ledger_exports_hold_only_what_the_person_sees(world: World,
                                                                app: Flask) -> None:
    mine = issue_task(world, title="甲支部任务")
    issue_task(world, to=world.branch_b, title="乙支部任务")
    client = app.test_client()
    login(client, "handler_a")
    answer = client.get("/exports/items.xlsx?kind=task")
    assert answer.status_code == 200
    assert "filename*=UTF-8''" in answer.headers["Content-Disposition"]
    assert [r[0] for r in sheet_rows(answer.data, "事项清单")[1:]] == [mine]
    ledger = client.get("/exports/ledger.xlsx").data
    assert [r[1] for r in sheet_rows(ledger, "台账")[1:]] == [mine]
    assert {r[2] for r in sheet_rows(ledger, "台账明细")[1:]} == {mine}
    assert client.get(f"/exports/items.xlsx?unit={world.branch_b}").status_code == 404
    assert client.get("/exports/rankings.xlsx?checklist=x&period=2026Q1&org_id=1").status_code \
        == 404
    assert client.get("/exports/register.xlsx").status_code == 200


def test_the_assessment_prints_for_its_unit_only(world: World, app: Flask) -> None:
    from workflow.services.assessments import start_assessment

    started = start_assessment(world.rt, world.person("issuer"), checklist="branch_work",
                               period="2026Q1", org_id=world.committee)
    client = app.test_client()
    login(client, "issuer")
    pages = [client.get(f"/exports/scores/{s}/print") for s in started.score_ids]
    assert all(p.status_code == 200 for p in pages)
    page = pages[0].get_data(as_text=True)
    assert "print.css" in page and "2026Q1" in page
    assert b"@media print" in client.get("/static/print.css").data
    other = app.test_client()
    login(other, "handler_b")
    answers = [other.get(f"/exports/scores/{s}/print").status_code for s in started.score_ids]
    assert sorted(answers).count(404) >= 1 and 200 in answers


def test_the_inbox_links_its_exports_with_its_filters(world: World, app: Flask) -> None:
    issue_task(world, title="甲支部任务")
    client = app.test_client()
    login(client, "handler_a")
    page = client.get("/?kind=task").get_data(as_text=True)
    assert "/exports/items.xlsx?kind=task" in page and "/exports/ledger.xlsx?kind=task" in page


def test_a_preview_is_confirmed_only_by_who_uploaded_it(world: World, issuer: FlaskClient,
                                                         app: Flask) -> None:
    _status, page = _upload(issuer, fill_template(_template(issuer), [GOOD]))
    token = _confirm_token(page)
    admin = app.test_client()
    login(admin, "admin")
    csrf = _token(admin.get("/issue/").get_data(as_text=True))
    answer = admin.post("/issue/confirm", data={"csrf_token": csrf, "token": token})
    assert answer.status_code == 302 and _count(world) == 0
    issuer.post("/issue/confirm", data={"csrf_token": _token(page), "token": token})
    assert _count(world) == 1


def test_the_register_page_links_its_export_with_its_filters(issuer: FlaskClient) -> None:
    page = issuer.get("/register/?outcome=open").get_data(as_text=True)
    assert "/exports/register.xlsx?outcome=open" in page
    answer = issuer.get("/exports/register.xlsx?outcome=open")
    assert answer.status_code == 200 and sheet_rows(answer.data, "问责台账")[0][0] == "编号"
    assert issuer.get("/exports/register.xlsx?outcome=bogus").status_code == 404
