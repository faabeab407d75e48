"""Time travel: every shipped definition's whole escalation ladder, climbed once, in order."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import START, World
from tests.workflow.sweep_helpers import counts, issue, ledger_actions
from workflow.checkpoints import verify
from workflow.definitions.model import EscalationStep
from workflow.models import AccountabilityEntry, LedgerEntry, Notification
from workflow.services.sweeps import run_sweep

GRID = timedelta(hours=12)
KINDS = ["task", "rectification", "responsibility"]


def _expected(step: EscalationStep, due: datetime, previous: datetime | None) -> datetime:
    """When the step may fire, computed independently of the engine (calendar-day ladders)."""
    if step.after is not None:
        moment = due + step.after.period  # type: ignore[operator]
    elif step.at_percent is not None:
        moment = START + (due - START) * step.at_percent / 100
    else:
        moment = (previous or due) + step.unanswered_for.period  # type: ignore[union-attr,operator]
    return max(moment, due, previous or due)


def _on_grid(moment: datetime) -> datetime:
    steps = -(-(moment - START) // GRID)  # ceiling division
    return START + steps * GRID


@pytest.mark.parametrize("kind", KINDS)
def test_time_travel_climbs_the_whole_ladder_once_each(world: World, kind: str) -> None:
    rt = world.rt
    definition = rt.definitions.get(kind)
    assert definition.escalation, f"{kind} ships with a ladder"
    item_id = issue(world, kind, days=10)
    due = START + timedelta(days=10)
    applied: dict[int, datetime] = {}
    moment = START
    while moment < due + timedelta(days=60):
        moment += GRID
        for action in run_sweep(rt, moment).actions:
            if action.kind == "escalate":
                assert action.level not in applied, f"level {action.level} twice"
                applied[action.level] = moment
    previous = None
    for step in definition.escalation:
        expected = _on_grid(_expected(step, due, previous))
        assert applied.get(step.level) == expected, (kind, step.level, step.action)
        previous = applied[step.level]
    levels = [level for action, level in ledger_actions(world, item_id) if action == "escalate"]
    assert levels == [s.level for s in definition.escalation]
    with rt.read() as session:
        register = session.execute(select(AccountabilityEntry.level, AccountabilityEntry.action)
                                   .order_by(AccountabilityEntry.level)).all()
        notified = session.execute(select(Notification.template, Notification.person_id)
                                   .where(Notification.channel == "inbox")).all()
        assert verify(session, rt.checkpoint_path, rt.ledger_key()).ok
    assert register == [(s.level, s.action) for s in definition.escalation if s.register]
    for step in definition.escalation:
        assert any(template == step.action for template, _p in notified), step.action


def test_each_level_notifies_its_recipients_up_the_tree(world: World) -> None:
    rt = world.rt
    item_id = issue(world, "task", days=10)
    actions = run_sweep(rt, START + timedelta(days=30)).actions  # remind, urge
    actions += run_sweep(rt, START + timedelta(days=36)).actions  # admonish, criticise
    steps = {a.level: set(a.recipients) for a in actions if a.kind == "escalate"}
    ids = world.ids
    handlers = {ids["handler_a"], ids["handler_a2"]}
    assert steps[1] == handlers  # handler, direct_responsible (handler_a2)
    assert steps[2] == handlers  # + unit_head: branch A sits right under the issuer
    assert steps[3] == handlers | {ids["issuer"]}  # unit_head, primary_responsible, issuer
    assert steps[4] == {ids["handler_a"], ids["issuer"], ids["leader"]}
    with rt.read() as session:
        rows = session.execute(select(Notification.person_id).where(
            Notification.item_id == item_id, Notification.template == "criticise",
            Notification.channel == "inbox")).scalars().all()
    assert sorted(rows) == sorted(steps[4])


def test_a_group_item_reaches_the_branch_secretary_as_unit_head(world: World) -> None:
    issue(world, "task", days=10, to=world.group_a)
    report = run_sweep(world.rt, START + timedelta(days=14))
    urge = next(a for a in report.actions if a.action == "urge")
    assert {world.ids["group_handler"], world.ids["handler_a"]} <= set(urge.recipients)


def test_a_second_sweep_at_the_same_moment_changes_nothing(world: World) -> None:
    rt = world.rt
    issue(world, "task", days=10)
    issue(world, "rectification", days=3)
    done = 0
    for days in (6, 9.5, 11, 14, 25, 40):
        done += len(run_sweep(rt, START + timedelta(days=days)).actions)
        before = counts(world)
        second = run_sweep(rt, START + timedelta(days=days))
        assert second.actions == [] and second.examined == 0
        assert counts(world) == before
    assert done >= 10


def test_a_late_sweep_climbs_each_due_level_once_and_waits_for_answers(world: World) -> None:
    rt = world.rt
    item_id = issue(world, "task", days=10)
    late = START + timedelta(days=14)  # due + 4 days: remind (P0D) and urge (P3D) are both due
    assert [a.action or a.kind for a in run_sweep(rt, late).actions] == [
        "overdue", "remind", "urge"]
    # admonish waits 5 days from the urging this sweep sent, even though the sweep came late
    assert run_sweep(rt, late + timedelta(days=4, hours=23)).actions == []
    after = run_sweep(rt, late + timedelta(days=5)).actions
    # criticism (150 % of the allowed time, day 15) was due long ago but comes after admonishing
    assert [a.action for a in after] == ["admonish", "criticise"]
    assert [a for a, _l in ledger_actions(world, item_id)].count("escalate") == 4


def test_the_sweep_selects_through_the_partial_index(world: World, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL's planner chooses by statistics")
    from workflow.services.sweeps import due_items

    with world.rt.read() as session:
        statement = due_items(START, 50).compile(session.get_bind(),
                                                  compile_kwargs={"literal_binds": True})
        plan = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}").all()
    assert "ix_items_next_deadline" in " ".join(str(row[-1]) for row in plan)


def test_ledger_entries_record_the_sweep_moment_and_the_due_moment(world: World) -> None:
    rt = world.rt
    item_id = issue(world, "task", days=10)
    late = START + timedelta(days=12)
    run_sweep(rt, late)
    with rt.read() as session:
        entry = session.scalars(select(LedgerEntry).where(
            LedgerEntry.item_id == item_id, LedgerEntry.action == "escalate")).one()
    assert entry.at == late and entry.actor_id is None
    assert entry.inputs["level"] == 1 and entry.inputs["escalation"] == "remind"
    assert entry.inputs["due_moment"].startswith("2026-03-12T01:00:00")
