"""The sweep's rules: reminders, closing, responses, waivers, the register, reviews, recurrence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, START, World
from tests.workflow.sweep_helpers import counts, fire, issue, item, ledger_actions
from workflow.errors import InvalidInput, NotAllowed
from workflow.models import AccountabilityEntry, Item, ItemLink, LedgerEntry
from workflow.services.register import record_outcome, register_entries, waive_escalation
from workflow.services.sweeps import run_sweep

DAY = timedelta(days=1)


def _kinds(report: object) -> list[str]:
    return [a.action or a.kind for a in report.actions]  # type: ignore[attr-defined]


def test_reminders_go_out_before_the_due_date_once_each(world: World) -> None:
    item_id = issue(world, "task", days=30)  # remind 5 days and 1 day before
    assert _kinds(run_sweep(world.rt, START + 24 * DAY)) == []
    assert _kinds(run_sweep(world.rt, START + 25 * DAY)) == ["reminder"]
    assert _kinds(run_sweep(world.rt, START + 28 * DAY)) == []
    assert _kinds(run_sweep(world.rt, START + 29 * DAY)) == ["reminder"]
    assert [a for a, _l in ledger_actions(world, item_id)].count("remind_due") == 2
    assert item(world, item_id).next_deadline_at == START + 30 * DAY


def test_reminders_missed_while_no_sweep_ran_collapse_into_the_latest(world: World) -> None:
    issue(world, "task", days=30)
    report = run_sweep(world.rt, START + 29 * DAY + timedelta(hours=12))
    assert _kinds(report) == ["reminder"]
    assert report.actions[0].at == START + 29 * DAY


def test_a_planned_start_has_its_lead_time_reminder(world: World) -> None:
    item_id = issue(world, "rectification", days=15, planned_start=START + 5 * DAY)
    report = run_sweep(world.rt, START + 4 * DAY)  # start_lead P1D
    assert _kinds(report) == ["start_reminder"]
    assert set(report.actions[0].recipients) == {world.ids["handler_a"], world.ids["handler_a2"]}
    assert ("remind_start", None) in ledger_actions(world, item_id)


def test_closing_an_item_stops_its_escalation_and_keeps_the_history(world: World) -> None:
    item_id = issue(world, "task", days=10)
    assert _kinds(run_sweep(world.rt, START + 14 * DAY)) == ["overdue", "remind", "urge"]
    world.rt.clock.set(START + 15 * DAY)  # type: ignore[attr-defined]
    fire(world, "issuer", item_id, "withdraw", {"reason": "任务调整"})
    assert _kinds(run_sweep(world.rt, START + 90 * DAY)) == []
    closed = item(world, item_id)
    assert (closed.is_open, closed.escalation_level, closed.next_deadline_at) == (False, 2, None)
    assert [a for a, _l in ledger_actions(world, item_id)].count("escalate") == 2


def test_a_response_restarts_the_unanswered_clock(world: World) -> None:
    item_id = issue(world, "task", days=10)
    run_sweep(world.rt, START + 14 * DAY)  # remind, urge; admonish would come on day 19
    world.rt.clock.set(START + 16 * DAY)  # type: ignore[attr-defined]
    fire(world, "handler_a", item_id, "sign_for", {"comment": "已签收，正在办理"})
    assert item(world, item_id).last_response_at == START + 16 * DAY
    assert _kinds(run_sweep(world.rt, START + 20 * DAY)) == []
    assert _kinds(run_sweep(world.rt, START + 21 * DAY)) == ["admonish", "criticise"]


def test_a_state_without_the_due_clock_pauses_the_ladder(world: World) -> None:
    from tests.workflow.helpers import attach

    item_id = issue(world, "task", days=10)
    world.rt.clock.set(START + DAY)  # type: ignore[attr-defined]
    fire(world, "handler_a", item_id, "sign_for")
    fire(world, "handler_a", item_id, "start")
    fire(world, "handler_a", item_id, "submit", {"evidence": [attach(world, item_id)]})
    kinds = _kinds(run_sweep(world.rt, START + 30 * DAY))
    assert kinds == ["review_overdue"]  # the inspector's five working days ran out, not the item
    assert "escalate" not in [a for a, _l in ledger_actions(world, item_id)]


def test_a_waiver_holds_escalation_until_it_expires(world: World) -> None:
    item_id = issue(world, "task", days=10)
    run_sweep(world.rt, START + 11 * DAY)  # remind
    world.rt.clock.set(START + 12 * DAY)  # type: ignore[attr-defined]
    with pytest.raises(NotAllowed):
        waive_escalation(world.rt, world.person("handler_a"), item_id, reason="x",
                         until=START + 30 * DAY)
    with pytest.raises(InvalidInput):
        waive_escalation(world.rt, world.person("issuer"), item_id, reason=" ",
                         until=START + 30 * DAY)
    waive_escalation(world.rt, world.person("issuer"), item_id, reason="受疫情影响暂缓督办",
                     until=START + 30 * DAY)
    assert ("waive", None) in ledger_actions(world, item_id)
    assert _kinds(run_sweep(world.rt, START + 29 * DAY)) == []
    assert _kinds(run_sweep(world.rt, START + 30 * DAY)) == ["urge"]  # admonish waits its 5 days


def test_register_entries_and_their_outcomes_are_in_the_ledger(world: World) -> None:
    rt = world.rt
    item_id = issue(world, "task", days=10)
    run_sweep(rt, START + 14 * DAY)
    run_sweep(rt, START + 19 * DAY)  # admonish (registered) and criticise (registered)
    entries = register_entries(rt, world.person("leader"))
    assert [(e.level, e.action) for e in entries] == [(4, "criticise"), (3, "admonish")]
    talk = entries[1]
    assert (talk.item_id, talk.org_id) == (item_id, world.branch_a)
    assert (talk.primary_person_id, talk.direct_person_id) == (
        world.ids["handler_a"], world.ids["handler_a2"])
    assert register_entries(rt, world.person("handler_b")) == []
    with pytest.raises(NotAllowed):
        record_outcome(rt, world.person("handler_a"), talk.id, "talk_held")
    with pytest.raises(InvalidInput):
        record_outcome(rt, world.person("issuer"), talk.id, "waived")
    rt.clock.set(START + 20 * DAY)  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="password"):  # an outcome is signed
        record_outcome(rt, world.person("issuer"), talk.id, "talk_held", "已约谈支部书记")
    with pytest.raises(NotAllowed, match="signature password is wrong"):
        record_outcome(rt, world.person("issuer"), talk.id, "talk_held", password="nope-nope-1")
    record_outcome(rt, world.person("issuer"), talk.id, "talk_held", "已约谈支部书记",
                   password=PASSWORD)
    with pytest.raises(InvalidInput):
        record_outcome(rt, world.person("issuer"), talk.id, "notice_published",
                       password=PASSWORD)
    with rt.read() as session:
        chain = session.scalars(select(LedgerEntry.action).where(
            LedgerEntry.subject == f"register:{talk.id}").order_by(LedgerEntry.id)).all()
        stored = session.get_one(AccountabilityEntry, talk.id)
    assert chain == ["register.open", "register.talk_held"]
    with rt.read() as session:
        signed = session.scalars(select(LedgerEntry).where(
            LedgerEntry.subject == f"register:{talk.id}").order_by(LedgerEntry.id.desc())).first()
    assert signed is not None and signed.signature == "confirmed"
    assert signed.actor_id == world.ids["issuer"]
    assert (stored.outcome, stored.outcome_by_id) == ("talk_held", world.ids["issuer"])


def test_review_limits_count_working_days_across_national_day(world: World) -> None:
    rt = world.rt
    rt.clock.set(datetime(2026, 9, 28, 1, tzinfo=UTC))  # type: ignore[attr-defined]
    from tests.workflow.helpers import default_fields
    from workflow.services.lists import NewItem, issue_list

    item_id = issue_list(
        rt, world.person("issuer"), kind="responsibility", title="党建责任清单",
        issuer_org_id=world.committee,
        items=[NewItem(title="落实三会一课", assignee_org_id=world.branch_a,
                       fields=default_fields("responsibility"))],
    ).item_ids[0]
    rt.clock.set(datetime(2026, 9, 30, 1, tzinfo=UTC))  # type: ignore[attr-defined]
    fire(world, "handler_a", item_id, "return_to_issuer", {"reason": "职责不属于本支部"})
    limit = datetime(2026, 10, 13, 1, tzinfo=UTC)  # five working days: 8, 9, 10 (Sat), 12, 13
    assert item(world, item_id).next_deadline_at == limit
    assert _kinds(run_sweep(rt, limit - timedelta(minutes=1))) == []
    report = run_sweep(rt, limit)
    assert _kinds(report) == ["review_overdue"]
    assert report.actions[0].recipients == (world.ids["issuer"],)


def test_a_standing_duty_generates_one_task_per_month(world: World) -> None:
    rt = world.rt
    duty = issue(world, "responsibility", days=10)
    fire(world, "handler_a", duty, "acknowledge")
    # April starts at 00:00 Beijing (31 March 16:00 UTC); its task is issued 3 days ahead
    issue_at = datetime(2026, 3, 28, 16, tzinfo=UTC)
    assert _kinds(run_sweep(rt, issue_at - timedelta(minutes=1))) == []
    report = run_sweep(rt, issue_at)
    assert _kinds(report) == ["recur"]
    assert _kinds(run_sweep(rt, issue_at)) == []
    may = run_sweep(rt, datetime(2026, 4, 28, 16, tzinfo=UTC))
    assert [a.kind for a in may.actions if a.item_id == duty] == ["recur"]
    assert "remind" in _kinds(may)  # April's task, due 21 April, is overdue by now
    with rt.read() as session:
        generated = session.scalars(select(Item).join(ItemLink, ItemLink.from_item_id == Item.id)
                                    .where(ItemLink.to_item_id == duty,
                                           ItemLink.kind == "recurs_from")
                                    .order_by(Item.id)).all()
    assert [g.title for g in generated] == ["按期召开专题组织生活会（2026-04）",
                                            "按期召开专题组织生活会（2026-05）"]
    april = generated[0]
    assert april.kind == "task" and april.assignee_org_id == world.branch_a
    assert april.planned_start_at == datetime(2026, 3, 31, 16, tzinfo=UTC)
    assert april.due_at == datetime(2026, 4, 20, 16, tzinfo=UTC)  # P20D
    assert [a for a, _l in ledger_actions(world, duty)].count("recur") == 2
    rt.clock.set(datetime(2026, 5, 2, tzinfo=UTC))  # type: ignore[attr-defined]
    fire(world, "issuer", duty, "suspend", {"reason": "机构调整"})
    assert "recur" not in _kinds(run_sweep(rt, datetime(2026, 7, 1, tzinfo=UTC)))


def test_a_dry_run_forecasts_without_writing(world: World) -> None:
    rt = world.rt
    issue(world, "task", days=10)
    before = counts(world)
    forecast = run_sweep(rt, START + 30 * DAY, dry_run=True)
    assert _kinds(forecast) == ["overdue", "remind", "urge"]
    assert counts(world) == before
    done = run_sweep(rt, START + 30 * DAY)
    assert [(a.kind, a.level, a.recipients) for a in done.actions] == [
        (a.kind, a.level, a.recipients) for a in forecast.actions]
