"""Rankings and the public board: what is published, to whom, with which breakdown; proposals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import PASSWORD, World
from tests.web.test_pages import _token, login
from tests.workflow.supervision.conftest import MINI
from tests.workflow.supervision.helpers import fill, lock, start_mini
from web.app import create_app
from workflow.access import Scope
from workflow.config import PROJECT_ROOT, Settings
from workflow.models import Proposal
from workflow.services import orgs


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The shipped definitions plus the small `mini` checklist of the supervision tests."""
    target = tmp_path / "definitions"
    shutil.copytree(PROJECT_ROOT / "definitions", target)
    (target / "assessments" / "mini.yaml").write_text(MINI, encoding="utf-8")
    return settings.with_(definitions_path=target)


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def board(world: World) -> str:
    """2026Q1 locked: branch A 83.00 (good, 4 stars), branch B vetoed; the board's address."""
    scores = start_mini(world)
    fill(world, scores[world.branch_a])
    fill(world, scores[world.branch_b], meetings=50, integrity=50, sales=100, veto=True)
    for score_id in scores.values():
        lock(world, score_id)
    return f"/board/mini/2026Q1/{world.committee}"


def _client(app: Flask, who: str) -> FlaskClient:
    client = app.test_client()
    login(client, who)
    return client


def test_the_board_lists_rounds_and_the_year(app: Flask, board: str) -> None:
    page = _client(app, "leader").get("/board/").get_data(as_text=True)
    assert board in page and board.replace("2026Q1", "2026") in page
    assert "测试考核" in page


def test_a_ranking_shows_points_stars_breakdown_and_bands(app: Flask, board: str) -> None:
    page = _client(app, "leader").get(board).get_data(as_text=True)
    assert "83.00" in page and "100.00" in page
    assert page.count("bi-star-fill") == 4  # good: four stars; the vetoed unit gets none
    assert "三会一课" in page and "销售目标" in page  # the per-criterion breakdown
    assert "table-success" in page and "table-danger" in page  # commendation / accountability
    assert "/exports/rankings.xlsx?" in page  # the Excel export of the same ranking
    english = _client(app, "leader").get(board + "?lang=en").get_data(as_text=True)
    assert "Meetings" in english and "Commendation" in english


def test_units_see_the_board_but_only_their_own_breakdown(world: World, app: Flask,
                                                          board: str) -> None:
    own = _client(app, "handler_a").get(board)
    assert own.status_code == 200
    text = own.get_data(as_text=True)
    assert "甲公司党支部" in text and "乙公司党支部" in text and "83.00" in text
    assert text.count("<details") == 1
    assert _client(app, "leader").get(board).get_data(as_text=True).count("<details") == 2


def test_people_unrelated_to_the_round_get_not_found(world: World, app: Flask,
                                                     board: str) -> None:
    system = Scope.system()
    other = orgs.create_org(world.rt, system, name="外县党委", kind="committee")
    person = orgs.create_person(world.rt, system, username="outsider", display_name="外人",
                                password=PASSWORD, org_id=other, must_change_password=False)
    orgs.grant_role(world.rt, system, person_id=person, org_id=other, role="leader")
    client = _client(app, "outsider")
    assert client.get(board).status_code == 404
    assert board not in client.get("/board/").get_data(as_text=True)
    assert client.get("/board/mini/2026Q9/1").status_code == 404


def test_scores_not_yet_locked_are_not_published(world: World, app: Flask, board: str) -> None:
    scores = start_mini(world, period="2026Q2")
    fill(world, scores[world.branch_a], meetings=11)
    page = _client(app, "leader").get(f"/board/mini/2026Q2/{world.committee}").get_data(
        as_text=True)
    assert "bi-star-fill" not in page and "<details" not in page
    assert page.count("badge text-bg-secondary") >= 2  # both pending


def _proposals(world: World) -> list[tuple[str, str]]:
    with world.rt.read() as session:
        return [(p.kind, p.state) for p in session.scalars(
            select(Proposal).order_by(Proposal.id))]


def test_the_committee_draws_and_decides_proposals(world: World, app: Flask,
                                                   board: str) -> None:
    handler = _client(app, "handler_a")
    assert "Draw proposals" not in handler.get(board + "?lang=en").get_data(as_text=True)
    token = _token(handler.get(board).get_data(as_text=True))
    handler.post(board + "/proposals", data={"csrf_token": token})
    assert _proposals(world) == []
    issuer = _client(app, "issuer")
    token = _token(issuer.get(board).get_data(as_text=True))
    assert issuer.post(board + "/proposals", data={"csrf_token": token}).status_code == 302
    assert sorted(_proposals(world)) == [("accountability", "proposed"),
                                         ("commendation", "proposed")]
    with world.rt.read() as session:
        commend = session.scalar(select(Proposal.id).where(Proposal.kind == "commendation"))
        account = session.scalar(select(Proposal.id).where(Proposal.kind == "accountability"))
        count = session.scalar(select(func.count()).select_from(Proposal))
    answer = issuer.post(f"/board/proposals/{commend}", data={
        "csrf_token": token, "decision": "waive", "checklist": "mini", "period": "2026Q1",
        "org_id": world.committee, "password": PASSWORD})
    assert answer.status_code == 302 and ("commendation", "proposed") in _proposals(world)
    unsigned = issuer.post(f"/board/proposals/{commend}", data={
        "csrf_token": token, "decision": "confirm", "checklist": "mini", "period": "2026Q1",
        "org_id": world.committee}, follow_redirects=True)
    assert ("commendation", "proposed") in _proposals(world)  # not signed: nothing decided
    assert unsigned.status_code == 200
    issuer.post(f"/board/proposals/{commend}", data={
        "csrf_token": token, "decision": "confirm", "checklist": "mini", "period": "2026Q1",
        "org_id": world.committee, "password": PASSWORD})
    assert ("commendation", "confirmed") in _proposals(world) and count == 2
    handler_token = _token(handler.get(board).get_data(as_text=True))
    handler.post(f"/board/proposals/{account}", data={
        "csrf_token": handler_token, "decision": "confirm"})
    assert ("accountability", "proposed") in _proposals(world)  # units do not decide


def test_the_year_ranks_the_quarters(world: World, app: Flask, board: str) -> None:
    page = _client(app, "issuer").get(f"/board/mini/2026/{world.committee}")
    assert page.status_code == 200 and "Q1" in page.get_data(as_text=True)
