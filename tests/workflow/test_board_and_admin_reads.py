"""The engine's read models behind the board, the register and the administration pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, START, World
from tests.workflow.sweep_helpers import issue
from workflow.access import Scope
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.models import InspectorAssignment, LedgerEntry
from workflow.services import orgs
from workflow.services.admin_reads import managed_units, person_view, unit_view
from workflow.services.assessments import start_assessment
from workflow.services.board import board_rounds
from workflow.services.register_reads import RegisterFilter, register_view
from workflow.services.sweeps import run_sweep


def _outsider(world: World) -> int:
    system = Scope.system()
    other = orgs.create_org(world.rt, system, name="外县党委", kind="committee")
    person = orgs.create_person(world.rt, system, username="outsider", display_name="外人",
                                password=PASSWORD, org_id=other, must_change_password=False)
    orgs.grant_role(world.rt, system, person_id=person, org_id=other, role="admin")
    return person


def test_rounds_are_offered_to_everyone_related_to_their_organisation(world: World) -> None:
    start_assessment(world.rt, world.person("issuer"), checklist="branch_work",
                     period="2026Q1", org_id=world.committee)
    for who in ("leader", "handler_b", "group_handler", "inspector"):
        rounds = board_rounds(world.rt, world.person(who))
        assert [(r.period, r.org_id, r.yearly) for r in rounds] == [
            ("2026", world.committee, True), ("2026Q1", world.committee, False)], who
    outsider = orgs.load_person(world.rt, _outsider(world))
    assert board_rounds(world.rt, outsider) == []  # an administrator of another tree
    assert board_rounds(world.rt, Scope.of(None)) == []


def test_the_register_view_names_people_steps_and_filters(world: World) -> None:
    issue(world, "task", days=10)
    run_sweep(world.rt, START + timedelta(days=14))
    run_sweep(world.rt, START + timedelta(days=19))
    rows = register_view(world.rt, world.person("issuer"))
    assert [r.entry.level for r in rows] == [4, 3]
    assert rows[0].primary == "handler_a同志" and rows[0].direct == "handler_a2同志"
    assert rows[0].step is not None and rows[0].step.zh == "通报批评"
    assert all(r.may_record for r in rows)
    assert not any(r.may_record for r in register_view(world.rt, world.person("leader")))
    assert register_view(world.rt, world.person("handler_b")) == []
    assert [r.entry.level for r in register_view(
        world.rt, world.person("issuer"), RegisterFilter(level=3))] == [3]
    assert register_view(world.rt, world.person("issuer"),
                         RegisterFilter(outcome="talk_held")) == []
    with pytest.raises(InvalidInput):
        register_view(world.rt, world.person("issuer"), RegisterFilter(outcome="bogus"))


def test_administrators_read_only_what_they_manage(world: World) -> None:
    admin = world.person("admin")
    assert [u.id for u in managed_units(world.rt, admin)] == [
        world.committee, world.branch_a, world.group_a, world.branch_b]
    assert [c.id for c in unit_view(world.rt, admin, world.branch_a).children] == [world.group_a]
    view = person_view(world.rt, admin, world.ids["inspector"])
    assert {o.id for o in view.inspects} == {world.branch_a, world.branch_b}
    with pytest.raises(NotAllowed):
        managed_units(world.rt, world.person("issuer"))
    outsider = orgs.load_person(world.rt, _outsider(world))
    with pytest.raises(NotFound):
        unit_view(world.rt, outsider, world.branch_a)
    with pytest.raises(NotFound):
        person_view(world.rt, outsider, world.ids["handler_a"])


def test_an_inspection_assignment_ends_with_a_ledger_entry(world: World) -> None:
    inspector = world.ids["inspector"]
    orgs.unassign_inspector(world.rt, world.person("admin"), person_id=inspector,
                            org_id=world.branch_b)
    with world.rt.read() as session:
        left = session.scalars(select(InspectorAssignment.org_id).where(
            InspectorAssignment.person_id == inspector)).all()
        last = session.scalars(select(LedgerEntry).where(
            LedgerEntry.subject == f"person:{inspector}").order_by(LedgerEntry.id.desc())).first()
    assert left == [world.branch_a]
    assert last is not None and last.action == "inspector.unassign"
    assert last.actor_id == world.ids["admin"]
    with pytest.raises(NotFound):
        orgs.unassign_inspector(world.rt, world.person("admin"), person_id=inspector,
                                org_id=world.branch_b)
    with pytest.raises(NotAllowed):
        orgs.unassign_inspector(world.rt, world.person("issuer"), person_id=inspector,
                                org_id=world.branch_a)
