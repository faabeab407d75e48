"""Administration pages: admins only; every change through the engine, with its ledger entry;
bad input shown next to its field with nothing changed; the org import is all or nothing."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.conftest import World
from tests.web.test_pages import _token, login
from web.app import create_app
from workflow.access import Scope
from workflow.models import InspectorAssignment, LedgerEntry, Organisation, Person, RoleGrant
from workflow.services import orgs


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client, "admin")
    return client


def _post(client: FlaskClient, page: str, action: str, **data: object) -> tuple[int, str]:
    token = _token(client.get(page).get_data(as_text=True))
    answer = client.post(action, data={"csrf_token": token, **data})
    return answer.status_code, answer.get_data(as_text=True)


def _org(world: World, org_id: int) -> Organisation:
    with world.rt.read() as session:
        return session.get_one(Organisation, org_id)


def _ledger(world: World, subject: str) -> list[tuple[str, int | None]]:
    with world.rt.read() as session:
        rows = session.execute(select(LedgerEntry.action, LedgerEntry.actor_id).where(
            LedgerEntry.subject == subject).order_by(LedgerEntry.id))
        return [(action, actor) for action, actor in rows]


def _count(world: World, model: type) -> int:
    with world.rt.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("who", ["issuer", "inspector", "handler_a", "leader"])
def test_only_administrators_see_the_pages(world: World, app: Flask, who: str) -> None:
    client = app.test_client()
    login(client, who)
    for path in ("/admin/", "/admin/people", f"/admin/units/{world.branch_a}",
                 f"/admin/people/{world.ids['handler_a']}"):
        assert client.get(path).status_code == 404, path
    token = _token(client.get("/").get_data(as_text=True))
    answer = client.post(f"/admin/units/{world.branch_a}/rename",
                         data={"csrf_token": token, "name": "改名"})
    assert answer.status_code == 404 and _org(world, world.branch_a).name == "甲公司党支部"


def test_the_tree_and_people_render_for_an_administrator(world: World, admin: FlaskClient) -> None:
    tree = admin.get("/admin/").get_data(as_text=True)
    assert "县委企业工委" in tree and "第一党小组" in tree
    people = admin.get("/admin/people").get_data(as_text=True)
    assert "handler_b同志" in people
    unit = admin.get(f"/admin/units/{world.branch_a}").get_data(as_text=True)
    assert "handler_a同志" in unit and "第一党小组" in unit
    assert admin.get("/admin/units/999999").status_code == 404


def test_creating_a_unit_changes_the_tree_and_the_ledger(world: World,
                                                         admin: FlaskClient) -> None:
    status, _ = _post(admin, "/admin/", "/admin/units", name="第二党小组", kind="group",
                      parent_id=world.branch_a, code="g2")
    assert status == 302
    with world.rt.read() as session:
        made = session.scalars(select(Organisation).where(Organisation.code == "g2")).one()
    assert made.parent_id == world.branch_a and made.path.startswith(_org(world,
                                                                           world.branch_a).path)
    assert _ledger(world, f"org:{made.id}") == [("org.create", world.ids["admin"])]


def test_bad_input_is_shown_next_to_the_field_and_changes_nothing(world: World,
                                                                   admin: FlaskClient) -> None:
    units = _count(world, Organisation)
    status, page = _post(admin, "/admin/", "/admin/units", name="  ", kind="group",
                         parent_id=world.branch_a)
    assert status == 422 and 'id="create-name-error"' in page
    assert _count(world, Organisation) == units
    status, page = _post(admin, f"/admin/units/{world.branch_a}",
                         f"/admin/units/{world.branch_a}/move", parent=world.group_a)
    assert status == 422 and 'id="move-parent-error"' in page
    assert _org(world, world.branch_a).parent_id == world.committee


def test_rename_and_move_carry_the_subtree(world: World, admin: FlaskClient) -> None:
    page = f"/admin/units/{world.group_a}"
    assert _post(admin, page, f"{page}/rename", name="先锋党小组")[0] == 302
    assert _post(admin, page, f"{page}/move", parent=world.branch_b)[0] == 302
    moved = _org(world, world.group_a)
    assert moved.name == "先锋党小组" and moved.parent_id == world.branch_b
    assert moved.path == f"{_org(world, world.branch_b).path}{world.group_a}/"
    assert [a for a, _ in _ledger(world, f"org:{world.group_a}")][-2:] == ["org.rename",
                                                                          "org.move"]


def test_destructive_changes_need_a_confirmation(world: World, admin: FlaskClient) -> None:
    page = f"/admin/units/{world.group_a}"
    status, body = _post(admin, page, f"{page}/close", reason="撤并")
    assert status == 422 and 'id="close-confirm-error"' in body
    assert _org(world, world.group_a).closed_at is None
    status, body = _post(admin, page, f"{page}/merge", into=world.branch_b, reason="撤并",
                         confirm="yes")
    assert status == 302
    merged = _org(world, world.group_a)
    assert merged.closed_at is not None and merged.merged_into_id == world.branch_b
    with world.rt.read() as session:
        moved = session.get_one(Person, world.ids["group_handler"])
    assert moved.org_id == world.branch_b


def test_people_are_created_granted_reset_and_disabled(world: World,
                                                       admin: FlaskClient) -> None:
    status, page = _post(admin, "/admin/people", "/admin/people", username="zhangsan",
                         display_name="张三", org_id=world.branch_a, password="short1")
    assert status == 422 and 'id="p-password-error"' in page
    assert _post(admin, "/admin/people", "/admin/people", username="zhangsan",
                 display_name="张三", org_id=world.branch_a, password="Xinmima2026")[0] == 302
    with world.rt.read() as session:
        person = session.scalars(select(Person).where(Person.username == "zhangsan")).one()
    assert person.must_change_password
    page = f"/admin/people/{person.id}"
    assert _post(admin, page, f"{page}/grant", role="handler", org_id=world.branch_a)[0] == 302
    assert _post(admin, page, f"{page}/assign", org_id=world.branch_b)[0] == 302
    assert _post(admin, page, f"{page}/password", password="Chongzhi2026x")[0] == 302
    assert _post(admin, page, f"{page}/disable", reason="调离")[0] == 422  # not confirmed
    assert _post(admin, page, f"{page}/disable", reason="调离", confirm="yes")[0] == 302
    with world.rt.read() as session:
        person = session.get_one(Person, person.id)
        grants = session.scalars(select(RoleGrant.role).where(
            RoleGrant.person_id == person.id)).all()
        duties = session.scalar(select(func.count()).select_from(InspectorAssignment).where(
            InspectorAssignment.person_id == person.id))
    assert not person.active and grants == ["handler"] and duties == 1
    assert [a for a, _ in _ledger(world, f"person:{person.id}")] == [
        "person.create", "role.grant", "inspector.assign", "account.password_reset",
        "account.disable"]
    assert _post(admin, page, f"{page}/revoke", role="handler", org_id=world.branch_a)[0] == 302
    assert _post(admin, page, f"{page}/unassign", org_id=world.branch_b)[0] == 302
    assert [a for a, _ in _ledger(world, f"person:{person.id}")][-2:] == [
        "role.revoke", "inspector.unassign"]


def test_a_grant_outside_the_managed_subtree_is_refused_at_the_field(
        world: World, admin: FlaskClient) -> None:
    other = orgs.create_org(world.rt, Scope.system(), name="外县党委", kind="committee")
    page = f"/admin/people/{world.ids['handler_b']}"
    status, body = _post(admin, page, f"{page}/grant", role="leader", org_id=other)
    assert status == 422 and "外县党委" not in body
    with world.rt.read() as session:
        assert session.scalar(select(func.count()).select_from(RoleGrant).where(
            RoleGrant.org_id == other)) == 0


GOOD = """\
units:
  - {code: c3, name: 丙公司党支部, kind: branch, parent: top}
people:
  - {username: lisi, name: 李四, unit: c3, roles: [handler]}
"""


def test_an_import_with_a_bad_row_imports_nothing(world: World, admin: FlaskClient) -> None:
    orgs.create_org(world.rt, Scope.system(), name="二级工委", kind="working_committee",
                    parent_id=world.committee, code="top")
    units, people = _count(world, Organisation), _count(world, Person)
    bad = GOOD + "  - {username: wangwu, name: 王五, unit: nowhere}\n"
    status, page = _post(admin, "/admin/", "/admin/import", file=(io.BytesIO(bad.encode()),
                                                                  "orgs.yaml"))
    assert status == 422 and 'id="import-problems"' in page and "nowhere" in page
    assert (_count(world, Organisation), _count(world, Person)) == (units, people)
    status, page = _post(admin, "/admin/", "/admin/import",
                         file=(io.BytesIO(GOOD.encode()), "orgs.yaml"), passwords="yes")
    assert status == 200 and "lisi" in page
    assert (_count(world, Organisation), _count(world, Person)) == (units + 1, people + 1)


def test_an_import_without_a_file_says_so(admin: FlaskClient) -> None:
    status, page = _post(admin, "/admin/", "/admin/import")
    assert status == 422 and 'id="import-file-error"' in page


def test_an_excel_import_names_the_bad_row_and_column(world: World, admin: FlaskClient) -> None:
    orgs.create_org(world.rt, Scope.system(), name="二级工委", kind="working_committee",
                    parent_id=world.committee, code="top")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "units"
    sheet.append(["code", "name", "kind", "parent"])
    sheet.append(["c4", "丁公司党支部", "branch", "top"])
    sheet.append(["c5", "戊公司党支部", "no_such_kind", "top"])
    data = io.BytesIO()
    book.save(data)
    units = _count(world, Organisation)
    status, page = _post(admin, "/admin/", "/admin/import",
                         file=(io.BytesIO(data.getvalue()), "单位.xlsx"))
    assert status == 422 and "row 3, column kind" in page and "row 2" not in page
    assert _count(world, Organisation) == units
