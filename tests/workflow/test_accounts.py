"""Accounts in the engine: lockout, password changes, disabling, session generations, tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, World
from workflow.access import Scope
from workflow.clock import FixedClock
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.models import LedgerEntry, Person, PersonToken
from workflow.services import accounts, orgs, tokens

NEW = "Changed2026pass"


def _actions(world: World, name: str) -> list[str]:
    with world.rt.read() as session:
        return list(session.scalars(select(LedgerEntry.action).where(
            LedgerEntry.subject == f"person:{world.ids[name]}").order_by(LedgerEntry.id)))


def _generation(world: World, name: str) -> int:
    return world.person(name).session_generation


def test_ten_wrong_passwords_lock_the_account_for_a_while(world: World, clock: FixedClock) -> None:
    for _ in range(9):
        assert accounts.authenticate(world.rt, "handler_a", "wrong-password-1") is None
    assert accounts.authenticate(world.rt, "handler_a", PASSWORD) is not None  # 9 do not lock
    for _ in range(10):
        assert accounts.authenticate(world.rt, "handler_a", "wrong-password-1") is None
    assert accounts.authenticate(world.rt, "handler_a", PASSWORD) is None  # locked: refused
    assert "account.lock" in _actions(world, "handler_a")
    clock.advance(minutes=14)
    assert accounts.authenticate(world.rt, "handler_a", PASSWORD) is None
    clock.advance(minutes=2)
    assert accounts.authenticate(world.rt, "handler_a", PASSWORD) is not None


def test_unknown_user_and_wrong_password_look_the_same(world: World) -> None:
    assert accounts.authenticate(world.rt, "nobody", PASSWORD) is None
    assert accounts.authenticate(world.rt, "handler_a", "wrong-password-1") is None


def test_change_password_needs_the_old_one_and_ends_other_sessions(world: World) -> None:
    before = _generation(world, "handler_a")
    with pytest.raises(NotAllowed):
        accounts.change_password(world.rt, world.person("handler_a"), "wrong-password-1", NEW)
    assert world.person("handler_a").failed_logins == 1  # the wrong guess was counted
    person = accounts.change_password(world.rt, world.person("handler_a"), PASSWORD, NEW)
    assert person.session_generation == before + 1 and not person.must_change_password
    assert accounts.authenticate(world.rt, "handler_a", PASSWORD) is None
    assert accounts.authenticate(world.rt, "handler_a", NEW) is not None
    assert _actions(world, "handler_a")[-1] == "account.password_change"


@pytest.mark.parametrize(("new", "message"), [
    ("short1", "at least 10 characters"),
    ("onlyletterslong", "letters and digits"),
    (PASSWORD, "must differ"),
    ("handler_a2026x", "must not contain the username"),
])
def test_password_policy(world: World, new: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        accounts.change_password(world.rt, world.person("handler_a"), PASSWORD, new)
    assert accounts.authenticate(world.rt, "handler_a", PASSWORD) is not None


def test_reset_sets_an_initial_password_to_change(world: World) -> None:
    before = _generation(world, "handler_a")
    accounts.reset_password(world.rt, world.person("admin"), world.ids["handler_a"], NEW)
    person = accounts.authenticate(world.rt, "handler_a", NEW)
    assert person is not None and person.must_change_password
    assert person.session_generation == before + 1
    assert _actions(world, "handler_a")[-1] == "account.password_reset"


def test_disable_and_enable(world: World) -> None:
    before = _generation(world, "handler_a")
    accounts.disable_account(world.rt, world.person("admin"), world.ids["handler_a"], "调离")
    assert _generation(world, "handler_a") == before + 1
    assert accounts.authenticate(world.rt, "handler_a", PASSWORD) is None
    assert Scope.of(world.person("handler_a")).org_paths() == ()  # a disabled actor sees nothing
    accounts.enable_account(world.rt, world.person("admin"), world.ids["handler_a"])
    assert accounts.authenticate(world.rt, "handler_a", PASSWORD) is not None
    assert _actions(world, "handler_a")[-2:] == ["account.disable", "account.enable"]


def test_nobody_disables_themselves(world: World) -> None:
    with pytest.raises(NotAllowed):
        accounts.disable_account(world.rt, world.person("admin"), world.ids["admin"])


@pytest.mark.parametrize(("actor", "error"), [
    ("handler_b", NotFound),  # cannot see branch A's people at all
    ("leader", NotAllowed),  # sees them, administers nothing
    ("handler_a2", NotAllowed),
])
def test_only_administrators_change_accounts(world: World, actor: str, error: type) -> None:
    with pytest.raises(error):
        accounts.disable_account(world.rt, world.person(actor), world.ids["handler_a"])
    with pytest.raises(error):
        accounts.reset_password(world.rt, world.person(actor), world.ids["handler_a"], NEW)
    assert world.person("handler_a").active


def test_sign_out_advances_the_generation_once(world: World) -> None:
    generation = _generation(world, "handler_a")
    accounts.sign_out(world.rt, world.ids["handler_a"], generation)
    accounts.sign_out(world.rt, world.ids["handler_a"], generation)  # stale: nothing more
    assert _generation(world, "handler_a") == generation + 1
    assert _actions(world, "handler_a").count("account.sign_out") == 1


def test_revoke_role(world: World) -> None:
    accounts.revoke_role(world.rt, Scope.system(), person_id=world.ids["handler_a"],
                         org_id=world.branch_a, role="handler")
    assert Scope.of(world.person("handler_a")).roles == {}
    with pytest.raises(NotFound):
        accounts.revoke_role(world.rt, Scope.system(), person_id=world.ids["handler_a"],
                             org_id=world.branch_a, role="handler")
    assert _actions(world, "handler_a")[-1] == "role.revoke"


def test_token_signs_in_its_owner_until_revoked(world: World) -> None:
    made = tokens.create_token(world.rt, world.person("handler_a"), world.ids["handler_a"],
                               name="报表脚本")
    owner = tokens.authenticate_token(world.rt, made.token)
    assert owner is not None and owner.id == world.ids["handler_a"]
    assert Scope.of(owner) == Scope.of(world.person("handler_a"))  # exactly the owner's roles
    with world.rt.read() as session:
        row = session.get_one(PersonToken, made.id)
        assert made.token.split("_", 2)[2] not in row.secret_hash and len(row.secret_hash) == 64
        assert row.last_used_at is not None
    tokens.revoke_token(world.rt, world.person("handler_a"), made.id)
    assert tokens.authenticate_token(world.rt, made.token) is None
    assert _actions(world, "handler_a")[-2:] == ["token.create", "token.revoke"]


def test_a_token_carries_every_grant_and_inspection_of_its_owner(world: World) -> None:
    # grants and inspected units are read in the same query as the token: two grants times two
    # inspected units must still come back as two of each, and stay readable after the session
    orgs.grant_role(world.rt, Scope.system(), person_id=world.ids["inspector"],
                    org_id=world.committee, role="inspector")
    orgs.grant_role(world.rt, Scope.system(), person_id=world.ids["inspector"],
                    org_id=world.branch_a, role="leader")
    made = tokens.create_token(world.rt, Scope.system(), world.ids["inspector"], name="t")
    owner = tokens.authenticate_token(world.rt, made.token)
    assert owner is not None
    scope, expected = Scope.of(owner), Scope.of(world.person("inspector"))
    assert {k: sorted(v) for k, v in scope.roles.items()} == {
        k: sorted(v) for k, v in expected.roles.items()}
    assert sorted(scope.inspected) == sorted(expected.inspected)
    assert len(owner.grants) == 2 and len(scope.inspected) == 2


def test_token_expires(world: World, clock: FixedClock) -> None:
    made = tokens.create_token(world.rt, Scope.system(), world.ids["handler_a"], name="t", days=1)
    clock.advance(hours=23)
    assert tokens.authenticate_token(world.rt, made.token) is not None
    clock.advance(hours=2)
    assert tokens.authenticate_token(world.rt, made.token) is None


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # right prefix, wrong secret
    lambda t: t.replace("sdn_", "xyz_"),
    lambda t: "",
    lambda t: "sdn_short_secret",
])
def test_bad_tokens_sign_nobody_in(world: World, mangle: object) -> None:
    made = tokens.create_token(world.rt, Scope.system(), world.ids["handler_a"], name="t")
    assert callable(mangle)
    assert tokens.authenticate_token(world.rt, mangle(made.token)) is None


def test_tokens_stop_with_their_owner(world: World) -> None:
    made = tokens.create_token(world.rt, Scope.system(), world.ids["handler_a"], name="t")
    accounts.disable_account(world.rt, Scope.system(), world.ids["handler_a"])
    assert tokens.authenticate_token(world.rt, made.token) is None
    accounts.enable_account(world.rt, Scope.system(), world.ids["handler_a"])
    accounts.reset_password(world.rt, Scope.system(), world.ids["handler_a"], NEW)
    assert tokens.authenticate_token(world.rt, made.token) is None  # initial password pending


def test_someone_elses_token_is_not_found(world: World) -> None:
    made = tokens.create_token(world.rt, Scope.system(), world.ids["handler_a"], name="t")
    for actor in ("handler_b", "handler_a2", "leader"):
        with pytest.raises(NotFound):
            tokens.revoke_token(world.rt, world.person(actor), made.id)
    with pytest.raises((NotFound, NotAllowed)):
        tokens.create_token(world.rt, world.person("handler_b"), world.ids["handler_a"], name="x")
    assert tokens.authenticate_token(world.rt, made.token) is not None


def test_token_lifetime_is_bounded(world: World) -> None:
    with pytest.raises(InvalidInput):
        tokens.create_token(world.rt, Scope.system(), world.ids["handler_a"], name="t", days=400)


def test_last_use_is_written_at_most_every_few_minutes(world: World, clock: FixedClock) -> None:
    made = tokens.create_token(world.rt, Scope.system(), world.ids["handler_a"], name="t")
    tokens.authenticate_token(world.rt, made.token)
    first = clock.now()
    clock.advance(minutes=1)
    tokens.authenticate_token(world.rt, made.token)
    with world.rt.read() as session:
        assert session.get_one(PersonToken, made.id).last_used_at == first
    clock.advance(minutes=5)
    tokens.authenticate_token(world.rt, made.token)
    with world.rt.read() as session:
        assert session.get_one(PersonToken, made.id).last_used_at == clock.now()


def test_people_keep_chinese_names(world: World) -> None:
    with world.rt.read() as session:
        person = session.scalars(select(Person).where(Person.username == "handler_a")).one()
    assert person.display_name == "handler_a同志"


def test_a_secret_with_underscores_still_works(world: World,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens.secrets, "token_urlsafe", lambda n: "a_b_c" * 9)
    made = tokens.create_token(world.rt, Scope.system(), world.ids["handler_a"], name="t")
    assert made.token.count("_") > 2
    assert tokens.authenticate_token(world.rt, made.token) is not None
