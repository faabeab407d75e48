"""The leader dashboard and the inspector's review queue through Flask's test client."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import World
from tests.web.test_pages import _token, login
from tests.workflow.dashboard_helpers import build_county
from tests.workflow.helpers import attach
from tests.workflow.sweep_helpers import fire, issue
from web.app import create_app
from workflow.models.spot_checks import SpotCheckReview
from workflow.services.assessments import start_assessment
from workflow.services.spot_checks import start_spot_check


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)
    app.config["TESTING"] = True
    return app


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    login(client, username)
    return client


def _config(page: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="dashboard-config">(.*?)</script>',
                      page, re.DOTALL)
    assert match, "the page hands dashboard.js its configuration"
    config: dict[str, object] = json.loads(match.group(1))
    return config


def test_the_dashboard_draws_from_the_api_the_page_names(world: World, app: Flask) -> None:
    build_county(world)
    client = _signed_in(app, "leader")
    page = client.get("/dashboard/").get_data(as_text=True)
    for testid in ("chart-overdue", "chart-levels", "chart-trend", "chart-forecast",
                   "overdue-table", "drilldown-list", "forecast-list"):
        assert f'data-testid="{testid}"' in page
    assert "vendor/echarts/echarts.min.js" in page and "dashboard.js" in page
    config = _config(page)
    assert config["org_id"] == world.committee  # the leader's own unit by default
    board = client.get(str(config["overdue_url"]))  # the same session cookie the browser sends
    assert board.status_code == 200 and board.get_json()["total"] == 5
    for key in ("trend_url", "forecast_url"):
        assert client.get(str(config[key])).status_code == 200


def test_a_child_units_dashboard_shows_the_trail_above_it(world: World, app: Flask) -> None:
    client = _signed_in(app, "leader")
    page = client.get(f"/dashboard/?org_id={world.group_a}").get_data(as_text=True)
    assert f'data-testid="unit-link-{world.committee}"' in page
    assert f'data-testid="unit-link-{world.branch_a}"' in page
    assert _config(page)["org_id"] == world.group_a


def test_the_dashboard_is_in_english_on_request(world: World, app: Flask) -> None:
    client = _signed_in(app, "leader")
    page = client.get("/dashboard/?lang=en").get_data(as_text=True)
    assert "Overdue items per unit" in page
    assert _config(page)["locale"] == "EN"
    chinese = client.get("/dashboard/?lang=zh_CN").get_data(as_text=True)
    assert _config(chinese)["locale"] == "ZH"


@pytest.mark.parametrize(("who", "unit", "status"), [
    ("handler_a", "branch_b", 404), ("handler_a", "committee", 404),
    ("handler_a", "branch_a", 200), ("inspector", "branch_b", 200),
])
def test_units_outside_scope_are_not_found(world: World, app: Flask, who: str, unit: str,
                                           status: int) -> None:
    client = _signed_in(app, who)
    assert client.get(f"/dashboard/?org_id={getattr(world, unit)}").status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask) -> None:
    answer = app.test_client().get("/dashboard/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_review_queue_lists_submitted_items_of_inspected_units(world: World,
                                                                   app: Flask) -> None:
    waiting = issue(world, days=10, title="待审核事项")
    elsewhere = issue(world, days=10, title="未提交事项")
    fire(world, "handler_a", waiting, "sign_for")
    fire(world, "handler_a", waiting, "start")
    fire(world, "handler_a", waiting, "submit", {"evidence": [attach(world, waiting)]})
    page = _signed_in(app, "inspector").get("/review/").get_data(as_text=True)
    assert f'data-item-id="{waiting}"' in page and "待审核事项" in page
    assert f'data-item-id="{elsewhere}"' not in page
    handler_page = _signed_in(app, "handler_a").get("/review/").get_data(as_text=True)
    assert f'data-item-id="{waiting}"' not in handler_page


def test_spot_check_reviews_are_recorded_from_the_queue(world: World, app: Flask) -> None:
    started = start_spot_check(world.rt, world.person("issuer"), org_id=world.committee,
                               period="2026-03", size=2)
    client = _signed_in(app, "inspector")
    page = client.get("/review/").get_data(as_text=True)
    with world.rt.read() as session:
        reviews = session.query(SpotCheckReview).filter_by(
            spot_check_id=started.spot_check_id).all()
    assert reviews and all(f'data-review-id="{r.id}"' in page for r in reviews)
    first = reviews[0].id
    refused = client.post(f"/review/spot-checks/{first}", data={
        "csrf_token": _token(page), "verdict": "non_compliant", "note": ""})
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    done = client.post(f"/review/spot-checks/{first}", data={
        "csrf_token": _token(page), "verdict": "compliant", "note": ""})
    assert done.status_code == 303
    assert f'data-review-id="{first}"' not in client.get("/review/").get_data(as_text=True)
    handler_b = _signed_in(app, "handler_b")
    token = _token(handler_b.get("/review/").get_data(as_text=True))
    for review in reviews:  # branch B's own review is not theirs to record; A's is invisible
        answer = handler_b.post(f"/review/spot-checks/{review.id}",
                                data={"csrf_token": token, "verdict": "compliant"})
        assert answer.status_code == (403 if review.org_id == world.branch_b else 404)


def test_assessment_scores_to_fill_in_are_listed(world: World, app: Flask) -> None:
    started = start_assessment(world.rt, world.person("issuer"), checklist="branch_work",
                               period="2026Q1", org_id=world.committee)
    page = _signed_in(app, "inspector").get("/review/").get_data(as_text=True)
    assert all(f'data-score-id="{s}"' in page for s in started.score_ids)
