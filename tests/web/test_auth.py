"""Web sessions: sign-in, lockout, rate limit, CSRF, cookies, timeouts, revocation, tokens."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, World
from tests.web.test_pages import _token, login
from tests.workflow.helpers import issue_task
from web.app import create_app
from workflow.access import Scope
from workflow.clock import FixedClock
from workflow.models import Item
from workflow.services import accounts, tokens

NEW = "Changed2026pass"
FAILED = "用户名或密码错误"  # the start of the (Chinese) message a failed sign-in shows


@pytest.fixture
def app(world: World) -> Flask:
    app = create_app(runtime=world.rt)
    app.config["TESTING"] = True
    return app


def _client(app: Flask, address: str = "127.0.0.1") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _try(client: FlaskClient, username: str, password: str) -> tuple[int, str]:
    token = _token(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"username": username, "password": password,
                                         "csrf_token": token})
    return answer.status_code, answer.get_data(as_text=True)


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def _item_version(world: World, item_id: int) -> int:
    with world.rt.read() as session:
        return session.get_one(Item, item_id).version


def test_ten_wrong_passwords_lock_even_across_addresses(app: Flask) -> None:
    for attempt in range(10):
        status, page = _try(_client(app, f"10.0.0.{attempt}"), "handler_a", "wrong-password-1")
        assert status == 200 and FAILED in page
    client = _client(app, "10.0.1.1")
    status, page = _try(client, "handler_a", PASSWORD)
    assert FAILED in page and not _signed_in(client)  # locked: the right password is refused


def test_the_message_does_not_reveal_whether_the_user_exists(app: Flask) -> None:
    pages = [_try(_client(app, f"10.0.2.{n}"), name, "wrong-password-1")[1]
             for n, name in enumerate(("handler_a", "no_such_user"))]
    assert all(FAILED in page for page in pages)
    tokens_removed = [re.sub(r"[\w-]{20,}\.[\w-]+\.[\w-]+", "TOKEN", page) for page in pages]
    assert tokens_removed[0] == tokens_removed[1]


def test_failed_sign_ins_are_rate_limited_per_address(app: Flask) -> None:
    client = _client(app, "10.0.3.1")
    for _ in range(3):
        assert _try(client, "handler_a", PASSWORD)[0] == 302  # successes are not counted
        client.post("/logout", data={"csrf_token": _token(client.get("/").get_data(True))})
    for _ in range(10):
        assert _try(client, "nobody", "wrong-password-1")[0] == 200
    status, page = _try(client, "handler_b", PASSWORD)
    assert status == 429 and "尝试过于频繁" in page
    assert _try(_client(app, "10.0.3.2"), "handler_b", PASSWORD)[0] == 302


@pytest.mark.parametrize("path", ["/login", "/logout", "/account/password", "/items/{id}/fire"])
def test_a_post_without_csrf_token_is_refused(world: World, app: Flask, path: str) -> None:
    item_id = issue_task(world)
    client = _client(app)
    login(client, "handler_a")
    answer = client.post(path.format(id=item_id), data={
        "username": "handler_a", "password": PASSWORD, "old_password": PASSWORD,
        "new_password": NEW, "confirm": NEW, "trigger": "sign_for", "version": "1"})
    assert answer.status_code == 400
    assert _signed_in(client) and _item_version(world, item_id) == 1
    assert accounts.authenticate(world.rt, "handler_a", PASSWORD) is not None


def test_session_cookie_flags(app: Flask) -> None:
    client = _client(app)
    client.get("/login")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert not cookie.secure  # plain HTTP in development
    token = _token(client.get("/login", base_url="https://localhost").get_data(as_text=True))
    answer = client.post("/login", base_url="https://localhost", data={
        "username": "handler_a", "password": PASSWORD, "csrf_token": token, "remember": "yes"},
        headers={"Referer": "https://localhost/login"})  # Flask-WTF checks it over HTTPS
    assert answer.status_code == 302
    cookies = answer.headers.getlist("Set-Cookie")
    assert cookies and all("; Secure" in c and "HttpOnly" in c for c in cookies)


def test_production_cookies_are_secure(world: World) -> None:
    production = world.rt.settings.with_(environment="production", secret_key="k" * 40)
    app = create_app(runtime=world.rt.__class__(production, world.rt.clock))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_password_change_ends_every_other_session(app: Flask) -> None:
    here, elsewhere = _client(app), _client(app)
    login(here, "handler_a")
    login(elsewhere, "handler_a")
    page = here.get("/account/password").get_data(as_text=True)
    answer = here.post("/account/password", data={
        "csrf_token": _token(page), "old_password": PASSWORD, "new_password": NEW,
        "confirm": NEW})
    assert answer.status_code == 302
    assert _signed_in(here) and not _signed_in(elsewhere)


def test_disabling_ends_sessions_at_once(world: World, app: Flask) -> None:
    client = _client(app)
    login(client, "handler_a")
    accounts.disable_account(world.rt, Scope.system(), world.ids["handler_a"])
    assert not _signed_in(client)


def test_sign_out_ends_the_remember_me_cookie_too(app: Flask) -> None:
    client = _client(app)
    token = _token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "handler_a", "password": PASSWORD,
                                "csrf_token": token, "remember": "yes"})
    remembered = client.get_cookie("remember_token")
    assert remembered is not None
    restarted = _client(app)  # a browser restart: only the remember-me cookie is left
    restarted.set_cookie("remember_token", remembered.value)
    assert _signed_in(restarted)
    answer = client.post("/logout", data={"csrf_token": _token(client.get("/").get_data(True))})
    assert any(c.startswith("remember_token=;") for c in answer.headers.getlist("Set-Cookie"))
    stolen = _client(app)
    stolen.set_cookie("remember_token", remembered.value)
    assert not _signed_in(stolen) and not _signed_in(restarted)


def test_idle_timeout(app: Flask, clock: FixedClock) -> None:
    client = _client(app)
    token = _token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "handler_a", "password": PASSWORD,
                                "csrf_token": token, "remember": "yes"})
    clock.advance(minutes=29)
    assert _signed_in(client)
    clock.advance(minutes=31)
    answer = client.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert "长时间未操作" in client.get("/login").get_data(as_text=True)
    assert not _signed_in(client)  # the remember-me cookie went with the session


def test_idle_timeout_answers_the_api_in_json(app: Flask, clock: FixedClock) -> None:
    client = _client(app)
    token = _token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "handler_a", "password": PASSWORD,
                                "csrf_token": token})
    assert client.get("/api/v1/me").status_code == 200
    clock.advance(minutes=31)
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401 and answer.get_json()["code"] == "not_authenticated"


def test_absolute_session_lifetime_bounds_remember_me(app: Flask, clock: FixedClock) -> None:
    client = _client(app)
    token = _token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "handler_a", "password": PASSWORD,
                                "csrf_token": token, "remember": "yes"})
    remembered = client.get_cookie("remember_token")
    assert remembered is not None
    for _ in range(28):  # active all day long: the idle timeout never strikes
        clock.advance(minutes=25)
        assert _signed_in(client)
    clock.advance(minutes=25)  # 12 h 5 min after signing in
    assert not _signed_in(client)
    restored = _client(app)
    restored.set_cookie("remember_token", remembered.value)
    assert not _signed_in(restored)


def test_first_sign_in_forces_a_password_change(world: World, app: Flask) -> None:
    accounts.reset_password(world.rt, Scope.system(), world.ids["handler_a"], "Initial2026pw")
    client = _client(app)
    status, _page = _try(client, "handler_a", "Initial2026pw")
    assert status == 302
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/account/password")
    item_id = issue_task(world)
    assert client.get(f"/items/{item_id}").status_code == 302
    page = client.get("/account/password").get_data(as_text=True)
    assert "首次登录须修改初始密码" in page
    client.post("/account/password", data={"csrf_token": _token(page),
                                            "old_password": "Initial2026pw",
                                            "new_password": NEW, "confirm": NEW})
    assert _signed_in(client)


def test_mismatched_confirmation_changes_nothing(app: Flask) -> None:
    client = _client(app)
    login(client, "handler_a")
    page = client.get("/account/password").get_data(as_text=True)
    answer = client.post("/account/password", data={
        "csrf_token": _token(page), "old_password": PASSWORD, "new_password": NEW,
        "confirm": NEW + "x"})
    assert "不一致" in answer.get_data(as_text=True)
    assert _try(_client(app, "10.0.9.9"), "handler_a", PASSWORD)[0] == 302


def test_next_only_leads_to_this_site(app: Flask) -> None:
    client = _client(app)
    token = _token(client.get("/login").get_data(as_text=True))
    answer = client.post("/login?next=//evil.example/x", data={
        "username": "handler_a", "password": PASSWORD, "csrf_token": token})
    assert answer.headers["Location"] == "/"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_bearer_token_acts_as_its_owner_without_csrf(world: World, app: Flask) -> None:
    own, foreign = issue_task(world), issue_task(world, to=world.branch_b)
    made = tokens.create_token(world.rt, Scope.system(), world.ids["handler_a"], name="api")
    client = _client(app)
    assert client.get(f"/items/{own}", headers=_bearer(made.token)).status_code == 200
    assert client.get(f"/items/{foreign}", headers=_bearer(made.token)).status_code == 404
    answer = client.post(f"/items/{own}/fire", headers=_bearer(made.token),
                         data={"trigger": "sign_for", "version": "1"})
    assert answer.status_code == 302 and _item_version(world, own) == 2
    assert client.get_cookie("session") is None  # token requests open no session


def test_bad_credentials_are_401_and_never_skip_csrf(world: World, app: Flask) -> None:
    item_id = issue_task(world)
    made = tokens.create_token(world.rt, Scope.system(), world.ids["handler_a"], name="api")
    tokens.revoke_token(world.rt, Scope.system(), made.id)
    client = _client(app)
    login(client, "handler_a")  # a session cookie does not rescue a bad token
    answer = client.get(f"/items/{item_id}", headers=_bearer(made.token))
    assert answer.status_code == 401 and answer.json == {
        "code": "not_authenticated", "message": "a valid bearer token or session is required"}
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    answer = client.post(f"/items/{item_id}/fire", headers=_bearer("sdn_000000000000_nope"),
                         data={"trigger": "sign_for", "version": "1"})
    assert answer.status_code == 401 and _item_version(world, item_id) == 1
    answer = client.post(f"/items/{item_id}/fire", headers={"Authorization": "Basic eDp5"},
                         data={"trigger": "sign_for", "version": "1"})
    assert answer.status_code == 401 and _item_version(world, item_id) == 1


def test_expired_token_is_refused(world: World, app: Flask, clock: FixedClock) -> None:
    item_id = issue_task(world)
    made = tokens.create_token(world.rt, Scope.system(), world.ids["handler_a"], name="api",
                               days=1)
    client = _client(app)
    assert client.get(f"/items/{item_id}", headers=_bearer(made.token)).status_code == 200
    clock.advance(days=1, seconds=1)
    assert client.get(f"/items/{item_id}", headers=_bearer(made.token)).status_code == 401


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SANDAN_IDLE_MINUTES", "0", "SANDAN_IDLE_MINUTES must be a whole number >= 1"),
    ("SANDAN_SESSION_HOURS", "twelve", "SANDAN_SESSION_HOURS must be a whole number"),
    ("SANDAN_PROXIES", "-1", "SANDAN_PROXIES must be a whole number >= 0"),
    ("SANDAN_RATELIMIT_STORAGE", "ftp://x", "SANDAN_RATELIMIT_STORAGE must be"),
])
def test_session_settings_are_checked(name: str, value: str, message: str) -> None:
    from workflow.config import Settings
    from workflow.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        Settings.from_env({name: value})


def test_a_malformed_login_rate_limit_stops_the_app(world: World) -> None:
    from workflow.errors import ConfigError

    settings = world.rt.settings.with_(login_rate_limit="ten a minute")
    with pytest.raises(ConfigError, match="SANDAN_LOGIN_RATE_LIMIT"):
        create_app(runtime=world.rt.__class__(settings, world.rt.clock))


def test_behind_a_proxy_the_client_address_and_https_come_from_its_headers(
        world: World) -> None:
    settings = world.rt.settings.with_(proxies=1)
    app = create_app(runtime=world.rt.__class__(settings, world.rt.clock))
    app.config["TESTING"] = True
    client = app.test_client()
    answer = client.get("/login", headers={"X-Forwarded-Proto": "https",
                                           "X-Forwarded-For": "203.0.113.9"})
    assert all("; Secure" in c for c in answer.headers.getlist("Set-Cookie"))


def test_the_api_refuses_a_session_with_an_initial_password(world: World, app: Flask) -> None:
    accounts.reset_password(world.rt, Scope.system(), world.ids["handler_a"], "Initial2026pw")
    client = _client(app)
    assert _try(client, "handler_a", "Initial2026pw")[0] == 302
    answer = client.get("/api/v1/items")
    assert answer.status_code == 403 and answer.json["code"] == "password_change_required"
