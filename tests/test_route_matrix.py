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


ROUTES = [
    # web pages
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
    Route("/items/<int:item_id>/fire", "POST", lambda c: c.web.post(f"/items/{c.item}/fire", data={
        "csrf_token": c.csrf(), "trigger": "sign_for", "version": "1"}), item_page(302)),
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
                           json={"outcome": "talk_held", "note": "已约谈支部书记"}),
          item_api(("issuer",))),
    Route(f"{API}/items/{ITEM}/waivers", "POST", lambda c: c.post(
        f"/items/{c.item}/waivers", json={"reason": "汛期抢险",
                                          "until": "2030-01-01T00:00:00+08:00"}),
        item_api(("issuer",), 201)),
    Route(f"{API}/inbox", "GET", lambda c: c.get("/inbox"), api()),
    Route(f"{API}/inbox/read", "POST", lambda c: c.post("/inbox/read", json={"ids": [1]}),
          api()),
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
