"""The access matrix: every role × every engine action, every route of the app, and a sweep of
foreign objects that must leave the database untouched.

The specification (DESIGN.md, "Who uses it"; docs in README "Accounts, sessions and tokens") is
written down once below as SEES and HOLDS for an item the committee issued to branch A; the
expected outcome of every cell is computed from it and from the definition's `roles`, never
from the code under test:

- an actor who cannot see the item gets NotFound (404), never NotAllowed, so existence does not
  leak, whatever they try;
- an actor who sees it but holds none of the step's roles gets NotAllowed (403);
- everyone else succeeds.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.conftest import World
from tests.workflow.drive import Driver
from tests.workflow.helpers import attach, issue_task
from workflow.access import Scope
from workflow.config import PROJECT_ROOT
from workflow.definitions.loader import load_directory
from workflow.definitions.vocabulary import ROLES
from workflow.errors import NotAllowed, NotFound, SandanError
from workflow.models import Person
from workflow.queries import ItemFilter, evidence_download, find_items, inbox_items, item_detail
from workflow.services.evidence import attach_evidence
from workflow.services.ledger import LedgerFilter, ledger_rows

#: persona → the world's person acting it (None: anonymous)
PERSONAS = {"issuer": "issuer", "inspector": "inspector", "handler_own": "handler_a",
            "handler_sibling": "handler_b", "handler_child": "group_handler",
            "leader": "leader", "admin": "admin", "anonymous": None}
#: who may see an item issued by the committee to branch A
SEES = {"issuer", "inspector", "handler_own", "leader", "admin"}
#: the roles each persona holds for that item
HOLDS = {"issuer": {"issuer"}, "inspector": {"inspector"}, "handler_own": {"handler"},
         "handler_sibling": set(), "handler_child": set(), "leader": {"leader"},
         "admin": set(ROLES), "anonymous": set()}


def expected(persona: str, roles: tuple[str, ...] | set[str]) -> type[Exception] | None:
    """The outcome the specification gives `persona` for an action needing one of `roles`."""
    if persona not in SEES:
        return NotFound
    if not HOLDS[persona] & set(roles):
        return NotAllowed
    return None


def actor(world: World, persona: str) -> Person | Scope:
    name = PERSONAS[persona]
    return world.person(name) if name else Scope.of(None)


def _steps() -> list[Any]:
    """(kind, trigger, source state) for every transition of the shipped definitions."""
    shipped = {d.kind: d for d in load_directory(PROJECT_ROOT / "definitions")}
    return [pytest.param(kind, step.trigger, source, id=f"{kind}:{step.trigger}@{source}")
            for kind in ("task", "rectification")
            for step in shipped[kind].transitions for source in step.sources]


@pytest.mark.parametrize(("kind", "trigger", "source"), _steps())
def test_every_role_fires_every_trigger_as_specified(world: World, kind: str, trigger: str,
                                                     source: str) -> None:
    drive = Driver(world)
    item_id = drive.fresh(kind, source)
    step = drive.definition(item_id).transition(source, trigger)
    assert step is not None
    drive.satisfy(item_id, step)
    allowed = [p for p in PERSONAS if expected(p, step.roles) is None]
    assert allowed, f"nobody may fire {trigger}"
    inputs = drive.inputs(item_id, step)
    before = drive.item(item_id)
    for persona in (p for p in PERSONAS if p not in allowed):
        with pytest.raises(expected(persona, step.roles)):  # type: ignore[arg-type]
            drive.fire(item_id, step, PERSONAS[persona], inputs)
        after = drive.item(item_id)
        assert (after.state, after.version, after.ledger_seq) == \
            (before.state, before.version, before.ledger_seq), persona
    for number, persona in enumerate(allowed):
        if number:
            item_id = drive.fresh(kind, source)
            drive.satisfy(item_id, step)
        result = drive.fire(item_id, step, PERSONAS[persona])
        assert result.state == step.dest, persona


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_every_role_reads_lists_and_uploads_as_specified(world: World, persona: str) -> None:
    drive = Driver(world)
    item_id = drive.fresh("task")
    sha = attach(world, item_id)
    who = actor(world, persona)
    scope = who if isinstance(who, Scope) else Scope.of(who)
    sees = persona in SEES
    calls = {
        "read item": lambda: item_detail(world.rt, scope, item_id),
        "read ledger": lambda: ledger_rows(world.rt, scope, LedgerFilter(item_id=item_id)),
        "download evidence": lambda: evidence_download(world.rt, scope, item_id, sha),
    }
    for name, call in calls.items():
        if sees:
            assert call(), name
        else:
            with pytest.raises(NotFound):
                call()
    listed = {i.id for i in inbox_items(world.rt, scope, open_only=False)}
    found = {i.id for i in find_items(world.rt, scope, ItemFilter())}
    ledger = {e.item_id for e in ledger_rows(world.rt, scope, LedgerFilter())}
    assert (item_id in listed, item_id in found, item_id in ledger) == (sees, sees, sees)
    outcome = expected(persona, {"handler"})
    upload = lambda: attach_evidence(world.rt, who, item_id, "整改报告.pdf",  # noqa: E731
                                     io.BytesIO(f"report by {persona}".encode()))
    if outcome is None:
        assert upload().size > 0
    else:
        with pytest.raises(outcome):
            upload()


def test_lists_never_count_what_the_actor_may_not_see(world: World) -> None:
    mine = {issue_task(world) for _ in range(3)}
    theirs = {issue_task(world, to=world.branch_b) for _ in range(4)}
    for persona, expected_ids in (("handler_own", mine), ("handler_sibling", theirs),
                                  ("leader", mine | theirs), ("handler_child", set())):
        scope = Scope.of(world.person(PERSONAS[persona]))  # type: ignore[arg-type]
        assert {i.id for i in find_items(world.rt, scope, ItemFilter())} == expected_ids
        assert len(inbox_items(world.rt, scope)) == len(expected_ids)


def _database(world: World) -> dict[str, list[str]]:
    """Every row of every table (as text, sorted) and the evidence store's files."""
    from sqlalchemy import select

    from workflow.db import Base

    with world.rt.read() as session:
        content = {table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
                   for table in Base.metadata.sorted_tables}
    content["evidence files"] = sorted(
        str(p) for p in world.rt.evidence_path.rglob("*") if p.is_file())
    return content


def _ledger_head(world: World) -> tuple[int, str] | None:
    from sqlalchemy import select

    from workflow.models import LedgerEntry

    with world.rt.read() as session:
        row = session.execute(select(LedgerEntry.id, LedgerEntry.hash)
                              .order_by(LedgerEntry.id.desc()).limit(1)).first()
    return (row.id, row.hash) if row else None


def _foreign_operations(world: World, drive: Driver) -> list[tuple[str, Any]]:
    """(description, call(actor)) for every operation on every object of branch A."""
    from workflow.services import accounts, org_tree, orgs, tokens
    from workflow.services.lists import NewItem, decompose_item

    items = [drive.fresh("task", state) for state in
             ("issued", "returned", "in_progress", "extension_requested", "submitted",
              "approved", "rectifying")]
    items += [drive.fresh("rectification", "submitted")]
    shas = {item_id: attach(world, item_id, content=f"材料{item_id}".encode())
            for item_id in items if drive.item(item_id).is_open}
    token = tokens.create_token(world.rt, Scope.system(), world.ids["handler_a"], name="t")
    person, org = world.ids["handler_a"], world.branch_a
    rt = world.rt
    ops: list[tuple[str, Any]] = []
    for item_id in items:
        for step in drive.definition(item_id).transitions:
            ops.append((f"fire {step.trigger} on item {item_id}",
                        lambda a, i=item_id, t=step.trigger: _fire(drive, a, i, t)))
        ops += [
            (f"read item {item_id}", lambda a, i=item_id: item_detail(rt, _scope(a), i)),
            (f"read ledger of {item_id}",
             lambda a, i=item_id: ledger_rows(rt, _scope(a), LedgerFilter(item_id=i))),
            (f"upload to {item_id}", lambda a, i=item_id: attach_evidence(
                rt, a, i, "x.pdf", io.BytesIO(b"foreign upload"))),
            (f"decompose {item_id}", lambda a, i=item_id: decompose_item(rt, a, i, [NewItem(
                title="子项", assignee_org_id=world.group_a,
                fields={"category": "党建", "description": "分解"})])),
        ]
        if item_id in shas:
            ops.append((f"download evidence of {item_id}", lambda a, i=item_id: evidence_download(
                rt, _scope(a), i, shas[i])))
    ops += [
        ("list items of branch A", lambda a: find_items(rt, _scope(a), ItemFilter(unit_id=org))),
        ("ledger of branch A", lambda a: ledger_rows(rt, _scope(a), LedgerFilter(unit_id=org))),
        ("rename branch A", lambda a: org_tree.rename_org(rt, a, org, name="改名")),
        ("move branch A", lambda a: org_tree.move_org(rt, a, org, parent_id=world.branch_b)),
        ("close branch A", lambda a: org_tree.close_org(rt, a, org, reason="x")),
        ("merge branch A", lambda a: org_tree.merge_org(rt, a, org, into_id=world.branch_b,
                                                        reason="x")),
        ("create a unit in branch A", lambda a: orgs.create_org(rt, a, name="新", kind="group",
                                                                parent_id=org)),
        ("create a person in branch A", lambda a: orgs.create_person(
            rt, a, username="intruder", display_name="某", password=None, org_id=org)),
        ("grant a role in branch A", lambda a: orgs.grant_role(
            rt, a, person_id=person, org_id=org, role="admin")),
        ("assign inspection of branch A", lambda a: orgs.assign_inspector(
            rt, a, person_id=person, org_id=org)),
        ("disable handler A", lambda a: accounts.disable_account(rt, a, person)),
        ("enable handler A", lambda a: accounts.enable_account(rt, a, person)),
        ("reset handler A's password", lambda a: accounts.reset_password(
            rt, a, person, "Intruder2026pw")),
        ("revoke handler A's role", lambda a: accounts.revoke_role(
            rt, a, person_id=person, org_id=org, role="handler")),
        ("create a token for handler A", lambda a: tokens.create_token(rt, a, person, name="x")),
        ("revoke handler A's token", lambda a: tokens.revoke_token(rt, a, token.id)),
        ("list handler A's tokens", lambda a: tokens.list_tokens(rt, a, person)),
    ]
    return ops


def _scope(who: Person | Scope) -> Scope:
    return who if isinstance(who, Scope) else Scope.of(who)


def _fire(drive: Driver, who: Person | Scope, item_id: int, trigger: str) -> Any:
    from workflow.services.items import fire_transition

    return fire_transition(drive.rt, who, item_id, trigger, {},
                           expected_version=drive.item(item_id).version, password="x")


def test_a_sweep_of_foreign_objects_changes_nothing(world: World) -> None:
    """Every operation on every object of branch A, by actors outside it: all "not found",
    and afterwards the database content and the ledger head are exactly as before."""
    drive = Driver(world)
    operations = _foreign_operations(world, drive)
    before, head = _database(world), _ledger_head(world)
    outsiders = [actor(world, p) for p in ("handler_sibling", "handler_child", "anonymous")]
    wrong = []
    for who in outsiders:
        for description, call in operations:
            try:
                call(who)
            except NotFound:
                continue
            except SandanError as exc:
                wrong.append(f"{description} by {who}: {type(exc).__name__}: {exc}")
            else:
                wrong.append(f"{description} by {who}: succeeded")
    assert wrong == []
    assert len(operations) > 100
    assert _ledger_head(world) == head
    assert _database(world) == before
