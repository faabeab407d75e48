"""The accountability register page: scope, filters, and signed outcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import PASSWORD, START, World
from tests.web.test_pages import _token, login
from tests.workflow.sweep_helpers import issue
from web.app import create_app
from workflow.models import AccountabilityEntry, LedgerEntry
from workflow.services.sweeps import run_sweep


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def entries(world: World) -> list[int]:
    """An item of branch A left overdue until two registered ladder steps opened entries."""
    issue(world, "task", days=10, title="逾期未报送材料")
    run_sweep(world.rt, START + timedelta(days=14))
    run_sweep(world.rt, START + timedelta(days=19))
    with world.rt.read() as session:
        return list(session.scalars(select(AccountabilityEntry.id)
                                    .order_by(AccountabilityEntry.id)))


def _signed_in(app: Flask, who: str) -> FlaskClient:
    client = app.test_client()
    login(client, who)
    return client


def _entry(world: World, entry_id: int) -> AccountabilityEntry:
    with world.rt.read() as session:
        return session.get_one(AccountabilityEntry, entry_id)


def test_the_register_shows_entries_in_scope_only(world: World, app: Flask,
                                                  entries: list[int]) -> None:
    assert len(entries) == 2
    page = _signed_in(app, "leader").get("/register/").get_data(as_text=True)
    assert page.count("<article ") == 2 and "handler_a同志" in page and "逾期未报送材料" in page
    assert "Record the outcome" not in page and "记录处理结果" not in page  # leaders only read
    own = _signed_in(app, "handler_a").get("/register/").get_data(as_text=True)
    assert own.count("<article ") == 2
    sibling = _signed_in(app, "handler_b").get("/register/").get_data(as_text=True)
    assert "逾期未报送材料" not in sibling


def test_filters_narrow_the_register(world: World, app: Flask, entries: list[int]) -> None:
    client = _signed_in(app, "issuer")
    level = _entry(world, entries[0]).level
    page = client.get(f"/register/?level={level}").get_data(as_text=True)
    assert f'id="entry-{entries[0]}"' in page and f'id="entry-{entries[1]}"' not in page
    assert "逾期未报送材料" not in client.get("/register/?outcome=waived").get_data(as_text=True)
    narrowed = client.get(f"/register/?org_id={world.branch_b}").get_data(as_text=True)
    assert "<article " not in narrowed
    # a unit stands for its whole subtree: the committee's filter keeps branch A's entries
    above = client.get(f"/register/?org_id={world.committee}").get_data(as_text=True)
    assert above.count("<article ") == 2
    assert "<article " not in client.get("/register/?org_id=999999").get_data(as_text=True)
    assert f"/exports/register.xlsx?org_id={world.branch_b}" in narrowed  # the same filter
    assert client.get("/register/?outcome=bogus").status_code == 404


def test_an_outcome_needs_the_signers_password(world: World, app: Flask,
                                               entries: list[int]) -> None:
    client = _signed_in(app, "issuer")
    entry = entries[0]
    token = _token(client.get("/register/").get_data(as_text=True))
    unsigned = client.post(f"/register/{entry}/outcome", data={
        "csrf_token": token, "outcome": "talk_held", "note": "已约谈"})
    assert unsigned.status_code == 422
    assert f'id="password-{entry}-error"' in unsigned.get_data(as_text=True)
    wrong = client.post(f"/register/{entry}/outcome", data={
        "csrf_token": token, "outcome": "talk_held", "password": "wrong-password-9"})
    assert wrong.status_code == 422 and _entry(world, entry).outcome is None
    signed = client.post(f"/register/{entry}/outcome", data={
        "csrf_token": token, "outcome": "talk_held", "note": "已约谈支部书记",
        "password": PASSWORD})
    assert signed.status_code == 302
    stored = _entry(world, entry)
    assert (stored.outcome, stored.outcome_by_id) == ("talk_held", world.ids["issuer"])
    with world.rt.read() as session:
        last = session.scalars(select(LedgerEntry).where(
            LedgerEntry.subject == f"register:{entry}").order_by(LedgerEntry.id.desc())).first()
    assert last is not None and last.signature == "confirmed"
    assert last.actor_id == world.ids["issuer"]


def test_others_cannot_record_outcomes(world: World, app: Flask, entries: list[int]) -> None:
    entry = entries[0]
    for who, status in (("handler_b", 404), ("handler_a", 422)):
        client = _signed_in(app, who)
        token = _token(client.get("/register/").get_data(as_text=True))
        answer = client.post(f"/register/{entry}/outcome", data={
            "csrf_token": token, "outcome": "talk_held", "password": PASSWORD})
        assert answer.status_code == status
    assert _entry(world, entry).outcome is None


def test_an_issuer_waives_the_escalation_of_an_item(world: World, app: Flask,
                                                    entries: list[int]) -> None:
    client = _signed_in(app, "issuer")
    item_id = _entry(world, entries[0]).item_id
    token = _token(client.get("/register/").get_data(as_text=True))
    bad = client.post(f"/register/items/{item_id}/waiver", data={
        "csrf_token": token, "reason": "汛期抢险", "until": "not a date"})
    assert bad.status_code == 422 and f'id="wuntil-{entries[0]}-error"' in bad.get_data(
        as_text=True)
    done = client.post(f"/register/items/{item_id}/waiver", data={
        "csrf_token": token, "reason": "汛期抢险", "until": "2030-01-01"})
    assert done.status_code == 302
    assert "汛期抢险" in client.get("/register/").get_data(as_text=True)
