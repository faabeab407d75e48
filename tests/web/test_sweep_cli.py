"""`sandan sweep` and the must-show: a demo item climbs its ladder level by level, once each."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import select

from web.cli import cli
from workflow.config import Settings
from workflow.models import AccountabilityEntry, Item, LedgerEntry
from workflow.runtime import Runtime


def _env(settings: Settings) -> dict[str, str]:
    return {
        "SANDAN_DATABASE_URL": settings.database_url,
        "SANDAN_INSTANCE_PATH": str(settings.instance_path),
    }


def _sweep(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(cli, ["sweep", *args], env=_env(settings))
    assert result.exit_code == 0, result.output
    return result.output


def test_sweeping_the_demo_far_ahead_climbs_each_level_once(settings: Settings) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--no-serve"], env=_env(settings)).exit_code == 0
    far = datetime.now(UTC) + timedelta(days=200)
    moments = [far, far, far + timedelta(days=6), far + timedelta(days=12), far]
    outputs = [_sweep(settings, "--now", m.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
               for m in moments]
    assert "remind" in outputs[0] and "urge" in outputs[0] and "admonish" not in outputs[0]
    assert "0 action(s)" in outputs[1]  # the same moment again changes nothing
    assert "admonish" in outputs[2] and "criticise" in outputs[2]
    assert "0 action(s)" in outputs[3] and "0 action(s)" in outputs[4]
    rt = Runtime(settings)
    with rt.read() as session:
        unsigned = session.scalars(select(Item).where(Item.state == "issued")).first()
        assert unsigned is not None and unsigned.escalation_level == 4
        entries = session.scalars(select(LedgerEntry).where(
            LedgerEntry.subject == f"item:{unsigned.id}", LedgerEntry.action == "escalate")).all()
        register = session.scalars(select(AccountabilityEntry).where(
            AccountabilityEntry.item_id == unsigned.id)).all()
        opened = session.scalars(select(LedgerEntry.subject).where(
            LedgerEntry.action == "register.open", LedgerEntry.item_id == unsigned.id)).all()
    rt.dispose()
    assert [e.inputs["level"] for e in entries] == [1, 2, 3, 4]
    assert Counter(e.level for e in register) == Counter({3: 1, 4: 1})  # the task's register levels
    assert sorted(opened) == sorted(f"register:{e.id}" for e in register)
    verified = runner.invoke(cli, ["ledger", "verify"], env=_env(settings))
    assert verified.exit_code == 0, verified.output


def test_a_dry_run_prints_the_forecast_and_writes_nothing(settings: Settings) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--no-serve"], env=_env(settings)).exit_code == 0
    later = (datetime.now(UTC) + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M")
    forecast = _sweep(settings, "--now", later, "--dry-run")
    assert "(dry run)" in forecast and "would do" in forecast and "urge" in forecast
    assert "total:" in forecast
    rt = Runtime(settings)
    with rt.read() as session:
        assert not session.scalars(select(LedgerEntry).where(
            LedgerEntry.action == "escalate")).first()
    rt.dispose()


def test_a_bad_moment_is_one_clear_line(settings: Settings) -> None:
    result = CliRunner().invoke(cli, ["sweep", "--now", "next tuesday"], env=_env(settings))
    assert result.exit_code == 1
    assert result.output.startswith("error: --now: 'next tuesday' is not an ISO 8601 time")
