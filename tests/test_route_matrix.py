"""Every route of the app × every persona, against the access specification.

ROUTES is the route table: one row per (rule, method) of `app.url_map`, saying how to call it and
which status each persona must get. `test_every_route_is_in_the_table` fails when the app has a
route the table lacks (or the table names a route that is gone), so a new page or API endpoint
cannot ship without its row. To add one: write a `Route` with the rule exactly as
`app.url_map` prints it, a `call` that makes a valid request, and the expected statuses from
one of the helpers below (they encode: out of scope → 404, in scope without the role → 403 on
the API, anonymous → 401 on the API and a redirect to sign-in on pages).
Static files are the only exception.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import PASSWORD, START, World
from tests.test_access_matrix import PERSONAS, SEES, expected
from tests.web.test_pages import login
from tests.workflow.helpers import attach, default_fields, issue_task
from web.app import create_app
from workflow.access import Scope
from workflow.services import tokens

API = "/api/v1"
ITEM = "<int(min=1, max=2147483647):item_id>"
PERSON = "<int(min=1, max=2147483647):person_id>"
#: who can see branch A (the unit), and the committee above it
SEES_BRANCH_A = SEES
SEES_COMMITTEE = {"issuer", "leader", "admin"}


@dataclass
class Ctx:
    """One persona's view of a prepared world: a web client, API headers and fresh objects."""

    world: World
    app: Flask
    persona: str
    web: FlaskClient
    api: FlaskClient
    headers: dict[str, str]
    item: int = 0
    sha: str = ""

    def csrf(self) -> str:
        page = self.web.get("/account/password" if PERSONAS[self.persona] else "/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        assert match
        return match.group(1)

    def get(self, path: str) -> TestResponse:
        return self.api.get(API + path, headers=self.headers)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.api.post(API + path, headers=self.headers, **kwargs)


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    call: Callable[[Ctx], TestResponse]
    expect: Callable[[str], int]


# expected statuses, from the specification
def page(ok: int = 200) -> Callable[[str], int]:
    return lambda p: 302 if p == "anonymous" else ok


def public(ok: int = 200) -> Callable[[str], int]:
    return lambda p: ok


def api(ok: int = 200) -> Callable[[str], int]:
    return lambda p: 401 if p == "anonymous" else ok


def item_page(ok: int = 200) -> Callable[[str], int]:
    return lambda p: 302 if p == "anonymous" else ok if p in SEES else 404


def item_api(roles: tuple[str, ...] | None = None, ok: int = 200) -> Callable[[str], int]:
    def status(p: str) -> int:
        if p == "anonymous":
            return 401
        outcome = expected(p, roles or {"issuer", "inspector", "handler", "leader", "admin"})
        return {None: ok, "NotFound": 404, "NotAllowed": 403}[getattr(outcome, "__name__", None)]
    return status


def admin_api(sees: set[str], ok: int = 200) -> Callable[[str], int]:
    """Administrative writes on a unit: admins succeed, others 403 if they see it, else 404."""
    return lambda p: 401 if p == "anonymous" else ok if p == "admin" else \
        403 if p in sees else 404


def web_item(roles: tuple[str, ...]) -> Callable[[str], int]:
    """A page's form about the context's item: done (redirect) with the role, shown again with
    the refusal (422) without it, the 404 page out of scope."""
    def status(p: str) -> int:
        if p == "anonymous":
            return 302
        outcome = expected(p, roles)
        return {None: 302, "NotFound": 404, "NotAllowed": 422}[getattr(outcome, "__name__", None)]
    return status


def admin_page(ok: int = 200) -> Callable[[str], int]:
    return lambda p: 302 if p == "anonymous" else ok if p == "admin" else 404


ROUND = "<string(maxlength=64):checklist>/<string(maxlength=20):period>/<int:org_id>"
ORG_FILE = "units:\n  - {code: m1, name: 新支部, kind: branch}\n".encode()


def _round(ctx: Ctx) -> str:
    """The committee's 2026Q1 round of the shipped branch checklist (started once)."""
    from workflow.errors import InvalidInput
    from workflow.services.assessments import start_assessment

    with contextlib.suppress(InvalidInput):  # started by an earlier row
        start_assessment(ctx.world.rt, ctx.world.person("issuer"), checklist="branch_work",
                         period="2026Q1", org_id=ctx.world.committee)
    return f"/board/branch_work/2026Q1/{ctx.world.committee}"


def issuer_page(ok: int = 200) -> Callable[[str], int]:
    """Pages for those who issue lists: the 404 page for everyone else."""
    return lambda p: 302 if p == "anonymous" else ok if p in ("issuer", "admin") else 404


def _list_file(ctx: Ctx) -> bytes:
    """A filled-in task template with one row for branch A."""
    from tests.workflow.excel_helpers import fill_template
    from workflow.excel.list_template import list_template

    row = {"事项名称": "学习党章", "承办单位": "甲公司党支部", "任务类别": "党建",
           "任务内容": "逐章学习"}
    return fill_template(list_template(ctx.world.rt, Scope.system(), "task"), [row],
                         issuer="县委企业工委")


def _branch_a_score(ctx: Ctx) -> int:
    """Branch A's score in the committee's round."""
    from sqlalchemy import select

    from workflow.models import AssessmentScore

    _round(ctx)
    with ctx.world.rt.read() as session:
        return int(session.scalar(select(AssessmentScore.id).where(
            AssessmentScore.org_id == ctx.world.branch_a)) or 0)


def _new_item(ctx: Ctx) -> dict[str, Any]:
    return {"title": "分解事项", "assignee_org_id": ctx.world.group_a,
            "fields": default_fields("task")}


def _escalated(ctx: Ctx) -> int:
    """A register entry about the context's item: sweeps "as of" later and later moments climb
    its escalation ladder until one step opens an accountability entry."""
    from sqlalchemy import select

    from workflow.models.accountability import AccountabilityEntry
    from workflow.services.sweeps import run_sweep

    for days in range(30, 80, 3):
        run_sweep(ctx.world.rt, as_of=START + timedelta(days=days))
        with ctx.world.rt.read() as session:
            found = session.scalar(select(AccountabilityEntry.id).where(
                AccountabilityEntry.item_id == ctx.item).order_by(AccountabilityEntry.id))
        if found is not None:
            return int(found)
    raise AssertionError("the item never reached an accountability step")


def _spot_review(ctx: Ctx) -> int:
    """A fresh spot-check review task of branch A for the world's inspector."""
    from workflow.services.spot_checks import start_spot_check

    started = start_spot_check(ctx.world.rt, ctx.world.person("issuer"),
                               org_id=ctx.world.committee, period="2026-03", size=1,
                               unit_ids=[ctx.world.branch_a])
    return started.review_ids[0]


ROUTES = [
    # web pages
    # probes and metrics (web/ops.py): anyone may ask, whatever credentials they carry
    Route("/healthz", "GET", lambda c: c.web.get("/healthz"), public()),
    Route("/readyz", "GET", lambda c: c.web.get("/readyz"), public()),
    Route("/metrics", "GET", lambda c: c.web.get("/metrics"), public()),  # from loopback
    Route("/", "GET", lambda c: c.web.get("/"), page()),
    Route("/login", "GET", lambda c: c.web.get("/login"),
          lambda p: 200 if p == "anonymous" else 302),
    Route("/login", "POST", lambda c: c.web.post("/login", data={
        "csrf_token": c.csrf(), "username": "handler_a", "password": "wrong-password-1"}),
        lambda p: 200 if p == "anonymous" else 302),
    Route("/logout", "POST", lambda c: c.web.post("/logout", data={"csrf_token": c.csrf()}),
          lambda p: 302),
    Route("/account/password", "GET", lambda c: c.web.get("/account/password"), page()),
    Route("/account/password", "POST", lambda c: c.web.post("/account/password", data={
        "csrf_token": c.csrf(), "old_password": "wrong-password-1", "new_password": "x",
        "confirm": "x"}), page()),
    Route("/items/<int:item_id>", "GET", lambda c: c.web.get(f"/items/{c.item}"), item_page()),
    Route("/dashboard/", "GET", lambda c: c.web.get(f"/dashboard/?org_id={c.world.branch_a}"),
          item_page()),
    Route("/review/", "GET", lambda c: c.web.get("/review/"), page()),
    # only the assigned inspector (or an administrator) records; others who see it: 403
    Route("/review/spot-checks/<int:review_id>", "POST", lambda c: c.web.post(
        f"/review/spot-checks/{_spot_review(c)}", data={
            "csrf_token": c.csrf(), "verdict": "compliant"}),
        lambda p: 302 if p == "anonymous" else 303 if p in ("inspector", "admin")
        else 403 if p in SEES else 404),
    Route("/items/<int:item_id>/fire", "POST", lambda c: c.web.post(f"/items/{c.item}/fire", data={
        "csrf_token": c.csrf(), "trigger": "sign_for", "version": "1"}), web_item(("handler",))),
    Route("/items/<int:item_id>/evidence", "POST", lambda c: c.web.post(
        f"/items/{c.item}/evidence", data={"csrf_token": c.csrf(), "files": (
            io.BytesIO(b"photo"), "照片.jpg")}, content_type="multipart/form-data"),
        web_item(("handler",))),
    Route("/items/<int:item_id>/evidence/<string(length=64):sha256>", "GET",
          lambda c: c.web.get(f"/items/{c.item}/evidence/{c.sha}"), item_page()),
    # the API (bearer tokens)
    Route(f"{API}/me", "GET", lambda c: c.get("/me"), api()),
    Route(f"{API}/docs", "GET", lambda c: c.get("/docs"), public()),
    Route(f"{API}/openapi.json", "GET", lambda c: c.get("/openapi.json"), public()),
    Route(f"{API}/definitions", "GET", lambda c: c.get("/definitions"), api()),
    Route(f"{API}/definitions/<string(maxlength=64):kind>", "GET",
          lambda c: c.get("/definitions/task"), api()),
    Route(f"{API}/definitions/<string(maxlength=64):kind>/diagram", "GET",
          lambda c: c.get("/definitions/task/diagram"), api()),
    Route(f"{API}/items", "GET", lambda c: c.get("/items"), api()),
    Route(f"{API}/items/{ITEM}", "GET", lambda c: c.get(f"/items/{c.item}"), item_api()),
    Route(f"{API}/items/{ITEM}/ledger", "GET", lambda c: c.get(f"/items/{c.item}/ledger"),
          item_api()),
    Route(f"{API}/items/{ITEM}/evidence/<string(length=64):sha256>", "GET",
          lambda c: c.get(f"/items/{c.item}/evidence/{c.sha}"), item_api()),
    Route(f"{API}/items/{ITEM}/transitions", "POST", lambda c: c.post(
        f"/items/{c.item}/transitions", json={"trigger": "sign_for", "version": 1}),
        item_api(("handler",))),
    Route(f"{API}/items/{ITEM}/evidence", "POST", lambda c: c.post(
        f"/items/{c.item}/evidence", data={"file": (io.BytesIO(b"minutes"), "记录.pdf")}),
        item_api(("handler",), 201)),
    Route(f"{API}/items/{ITEM}/children", "POST", lambda c: c.post(
        f"/items/{c.item}/children", json={"children": [_new_item(c)]}),
        item_api(("handler",), 201)),
    Route(f"{API}/lists", "POST", lambda c: c.post("/lists", json={
        "kind": "task", "title": "清单", "issuer_org_id": c.world.committee,
        "items": [{**_new_item(c), "assignee_org_id": c.world.branch_a}]}),
        lambda p: 401 if p == "anonymous" else 201 if p in ("issuer", "admin")
        else 403 if p in SEES_COMMITTEE else 404),
    Route(f"{API}/ledger", "GET", lambda c: c.get("/ledger"), api()),
    Route(f"{API}/ledger/verify", "POST", lambda c: c.post("/ledger/verify"),
          lambda p: 401 if p == "anonymous" else 200 if p == "admin" else 403),
    Route(f"{API}/orgs", "GET", lambda c: c.get("/orgs"), api()),
    Route(f"{API}/orgs", "POST", lambda c: c.post("/orgs", json={
        "name": "新小组", "kind": "group", "parent_id": c.world.branch_a}),
        admin_api(SEES_BRANCH_A, 201)),
    Route(f"{API}/people", "GET", lambda c: c.get("/people"),
          lambda p: 401 if p == "anonymous" else 200 if p == "admin" else 403),
    Route(f"{API}/people", "POST", lambda c: c.post("/people", json={
        "username": f"new_{c.persona}", "display_name": "新同志", "org_id": c.world.branch_a}),
        admin_api(SEES_BRANCH_A, 201)),
    Route(f"{API}/people/{PERSON}/grants", "POST", lambda c: c.post(
        f"/people/{c.world.ids['handler_a2']}/grants",
        json={"org_id": c.world.branch_a, "role": "issuer"}), admin_api(SEES_BRANCH_A)),
    Route(f"{API}/people/{PERSON}/inspections", "POST", lambda c: c.post(
        f"/people/{c.world.ids['handler_a2']}/inspections", json={"org_id": c.world.branch_a}),
        admin_api(SEES_BRANCH_A)),
    Route(f"{API}/accountability", "GET", lambda c: c.get("/accountability"), api()),
    # a real register entry about the context's item (sweeps escalate it): issuers record
    Route(f"{API}/accountability/<int(min=1, max=2147483647):entry_id>/outcome", "POST",
          lambda c: c.post(f"/accountability/{_escalated(c)}/outcome",
                           json={"outcome": "talk_held", "note": "已约谈支部书记",
                                 "password": PASSWORD}),
          item_api(("issuer",))),
    Route(f"{API}/items/{ITEM}/waivers", "POST", lambda c: c.post(
        f"/items/{c.item}/waivers", json={"reason": "汛期抢险",
                                          "until": "2030-01-01T00:00:00+08:00"}),
        item_api(("issuer",), 201)),
    # dashboards of branch A: whoever may reach the unit (holds a role in or inspects it)
    Route(f"{API}/dashboards/overdue", "GET",
          lambda c: c.get(f"/dashboards/overdue?org_id={c.world.branch_a}"), item_api()),
    Route(f"{API}/dashboards/trend", "GET",
          lambda c: c.get(f"/dashboards/trend?org_id={c.world.branch_a}"), item_api()),
    Route(f"{API}/dashboards/forecast", "GET",
          lambda c: c.get(f"/dashboards/forecast?org_id={c.world.branch_a}"), item_api()),
    Route(f"{API}/inbox", "GET", lambda c: c.get("/inbox"), api()),
    Route(f"{API}/inbox/read", "POST", lambda c: c.post("/inbox/read", json={"ids": [1]}),
          api()),
    # rankings and the public board: every persona is related to the committee's round
    Route("/board/", "GET", lambda c: c.web.get("/board/"), page()),
    Route(f"/board/{ROUND}", "GET", lambda c: c.web.get(_round(c)), page()),
    Route(f"/board/{ROUND}/proposals", "POST", lambda c: c.web.post(
        _round(c) + "/proposals", data={"csrf_token": c.csrf()}), page(302)),
    Route("/board/proposals/<int:proposal_id>", "POST", lambda c: c.web.post(
        "/board/proposals/999999", data={"csrf_token": c.csrf(), "decision": "confirm"}),
        page(404)),
    # the accountability register: issuers sign outcomes; others who see the entry are refused
    Route("/register/", "GET", lambda c: c.web.get("/register/"), page()),
    Route("/register/<int:entry_id>/outcome", "POST", lambda c: c.web.post(
        f"/register/{_escalated(c)}/outcome", data={
            "csrf_token": c.csrf(), "outcome": "talk_held", "password": PASSWORD}),
        web_item(("issuer",))),
    Route("/register/items/<int:item_id>/waiver", "POST", lambda c: c.web.post(
        f"/register/items/{c.item}/waiver", data={
            "csrf_token": c.csrf(), "reason": "汛期抢险", "until": "2030-01-01"}),
        web_item(("issuer",))),
    # issuing lists (issuers and admins; the page is not there for anyone else) and Excel
    Route("/issue/", "GET", lambda c: c.web.get("/issue/"), issuer_page()),
    Route("/issue/", "POST", lambda c: c.web.post("/issue/", data={
        "csrf_token": c.csrf(), "kind": "task", "issuer": c.world.committee, "key": c.persona,
        "title": "表单清单", "items-1-title": "学习党章", "items-1-units": c.world.branch_a,
        **{f"items-1-{k}": v for k, v in default_fields("task").items()}}),
        issuer_page(302)),
    Route("/issue/template/<kind>.xlsx", "GET", lambda c: c.web.get("/issue/template/task.xlsx"),
          issuer_page()),
    Route("/issue/upload", "POST", lambda c: c.web.post("/issue/upload", data={
        "csrf_token": c.csrf(), "file": (io.BytesIO(_list_file(c)), "清单.xlsx")}),
        issuer_page()),
    Route("/issue/confirm", "POST", lambda c: c.web.post("/issue/confirm", data={
        "csrf_token": c.csrf(), "token": "forged"}), page(302)),
    Route("/exports/items.xlsx", "GET", lambda c: c.web.get("/exports/items.xlsx"), page()),
    Route("/exports/ledger.xlsx", "GET", lambda c: c.web.get("/exports/ledger.xlsx"), page()),
    Route("/exports/rankings.xlsx", "GET", lambda c: c.web.get(
        "/exports/rankings.xlsx?checklist=branch_work&period=2026Q1&org_id="
        f"{_round(c).rsplit('/', 1)[1]}"), page()),
    Route("/exports/register.xlsx", "GET", lambda c: c.web.get("/exports/register.xlsx"), page()),
    Route("/exports/scores/<int:score_id>/print", "GET",
          lambda c: c.web.get(f"/exports/scores/{_branch_a_score(c)}/print"), item_page()),
    Route("/definitions/", "GET", lambda c: c.web.get("/definitions/"), page()),
    Route("/definitions/<string(maxlength=64):kind>", "GET",
          lambda c: c.web.get("/definitions/task"), page()),
    # administration: administrators only, the 404 page for everyone else
    Route("/admin/", "GET", lambda c: c.web.get("/admin/"), admin_page()),
    Route("/admin/people", "GET", lambda c: c.web.get("/admin/people"), admin_page()),
    Route("/admin/units/<int:org_id>", "GET",
          lambda c: c.web.get(f"/admin/units/{c.world.branch_a}"), admin_page()),
    Route("/admin/people/<int:person_id>", "GET",
          lambda c: c.web.get(f"/admin/people/{c.world.ids['handler_a2']}"), admin_page()),
    Route("/admin/units", "POST", lambda c: c.web.post("/admin/units", data={
        "csrf_token": c.csrf(), "name": "新小组", "kind": "group",
        "parent_id": c.world.branch_a}), admin_page(302)),
    Route("/admin/units/<int:org_id>/<any(rename, move, close, merge):change>", "POST",
          lambda c: c.web.post(f"/admin/units/{c.world.group_a}/rename", data={
              "csrf_token": c.csrf(), "name": "先锋党小组"}), admin_page(302)),
    # the file's root unit is outside the administrator's subtree: its row is refused (422)
    Route("/admin/import", "POST", lambda c: c.web.post("/admin/import", data={
        "csrf_token": c.csrf(), "file": (io.BytesIO(ORG_FILE), "orgs.yaml")}), admin_page(422)),
    Route("/admin/people", "POST", lambda c: c.web.post("/admin/people", data={
        "csrf_token": c.csrf(), "username": "web_new", "display_name": "新同志",
        "org_id": c.world.branch_a, "password": "Chushi2026ab"}), admin_page(302)),
    Route("/admin/people/<int:person_id>/<any(disable, enable, password, grant, revoke, assign, "
          "unassign):change>", "POST", lambda c: c.web.post(
              f"/admin/people/{c.world.ids['handler_a2']}/grant", data={
                  "csrf_token": c.csrf(), "role": "issuer", "org_id": c.world.branch_a}),
          admin_page(302)),
]


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)
    app.config["TESTING"] = True
    return app


def test_every_route_is_in_the_table(app: Flask) -> None:
    served = {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    table = {(route.rule, route.method) for route in ROUTES}
    assert sorted(served - table) == [], "routes missing from ROUTES"
    assert sorted(table - served) == [], "ROUTES names routes the app no longer has"
    assert len(table) == len(ROUTES), "a route appears twice in ROUTES"


def _context(world: World, app: Flask, persona: str) -> Ctx:
    name = PERSONAS[persona]
    web = app.test_client()
    headers: dict[str, str] = {}
    if name:
        login(web, name, PASSWORD)
        made = tokens.create_token(world.rt, Scope.system(), world.ids[name], name="matrix")
        headers = {"Authorization": f"Bearer {made.token}"}
    return Ctx(world, app, persona, web, app.test_client(), headers)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_every_route_answers_each_persona_as_specified(world: World, app: Flask,
                                                       persona: str) -> None:
    wrong = []
    for route in ROUTES:
        ctx = _context(world, app, persona)  # fresh: some routes sign out or change things
        ctx.item = issue_task(world)
        ctx.sha = attach(world, ctx.item, content=f"{route.rule}{route.method}".encode())
        answer = route.call(ctx)
        want = route.expect(persona)
        if answer.status_code != want:
            wrong.append(f"{route.method} {route.rule}: {answer.status_code}, expected {want}")
    assert wrong == []
