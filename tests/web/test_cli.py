"""`sandan init` and `sandan demo --no-serve` as a user runs them, on each backend."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from web.cli import cli
from workflow.config import Settings
from workflow.models import Item, Person
from workflow.runtime import Runtime


def _env(settings: Settings) -> dict[str, str]:
    return {
        "SANDAN_DATABASE_URL": settings.database_url,
        "SANDAN_INSTANCE_PATH": str(settings.instance_path),
    }


def test_demo_seeds_once_and_prints_the_logins(settings: Settings) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "--no-serve"], env=_env(settings))
    assert first.exit_code == 0, first.output
    assert "zuzhibu" in first.output and "Sandan2026demo" in first.output
    again = runner.invoke(cli, ["demo", "--no-serve"], env=_env(settings))
    assert again.exit_code == 0, again.output
    rt = Runtime(settings)
    with rt.read() as session:
        assert session.scalar(select(func.count()).select_from(Person).where(
            Person.username == "admin")) == 1
        states = set(session.scalars(select(Item.state)))
    rt.dispose()
    assert {"closed", "rectifying", "in_progress", "issued"} <= states
    verified = runner.invoke(cli, ["ledger", "verify"], env=_env(settings))
    assert verified.exit_code == 0 and "ledger OK" in verified.output


def test_init_reports_the_definitions(settings: Settings) -> None:
    result = CliRunner().invoke(cli, ["init"], env=_env(settings))
    assert result.exit_code == 0, result.output
    assert "task v1" in result.output and "rectification v1" in result.output


@pytest.mark.parametrize("value", ["mysql://x", ""])
def test_bad_configuration_is_one_clear_line(value: str, tmp_path: object) -> None:
    env = {"SANDAN_DATABASE_URL": value or "sqlite:///x.db", "SANDAN_TIMEZONE": "Mars/Base"}
    if value:
        env.pop("SANDAN_TIMEZONE")
    result = CliRunner().invoke(cli, ["init"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("error: SANDAN_")
    assert "Traceback" not in result.output
