"""`sandan ledger checkpoint` and `sandan ledger verify` as an operator runs them."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from tests.conftest import World
from tests.workflow.helpers import issue_task
from web.cli import cli
from workflow.config import Settings
from workflow.models import LedgerEntry
from workflow.services.items import fire_transition

LEDGER = LedgerEntry.__table__


def _ledger(settings: Settings, *args: str) -> Result:
    env = {
        "SANDAN_DATABASE_URL": settings.database_url,
        "SANDAN_INSTANCE_PATH": str(settings.instance_path),
        "SANDAN_LEDGER_KEY_FILE": str(settings.ledger_key_file),
        "SANDAN_CHECKPOINT_PATH": str(settings.checkpoint_path),
        "SANDAN_EVIDENCE_PATH": str(settings.evidence_path),
    }
    return CliRunner().invoke(cli, ["ledger", *args], env=env)


def _rows(world: World) -> list[tuple[int, str]]:
    with world.rt.read() as session:
        return [tuple(r) for r in session.execute(
            select(LEDGER.c.id, LEDGER.c.hash).order_by(LEDGER.c.id))]


def test_checkpoint_then_verify(world: World, settings: Settings) -> None:
    item_id = issue_task(world)
    rows = _rows(world)
    (last_id, last_hash) = rows[-1]

    sealed = _ledger(settings, "checkpoint")
    assert sealed.exit_code == 0, sealed.output
    assert f"checkpoint 1 seals entries #{rows[0][0]}..#{last_id}" in sealed.output
    assert settings.checkpoint_path.exists() and settings.ledger_key_file.exists()
    again = _ledger(settings, "checkpoint")
    assert again.exit_code == 0 and "nothing new to seal" in again.output

    verified = _ledger(settings, "verify")
    assert verified.exit_code == 0, verified.output
    assert f"ledger OK: {len(rows)} entries, head #{last_id} {last_hash}" in verified.output
    assert f"sealed through #{last_id} by 1 checkpoint(s)" in verified.output
    assert "not sealed yet" not in verified.output

    fire_transition(world.rt, world.person("handler_a"), item_id, "sign_for", expected_version=1)
    (newest_id, newest_hash) = _rows(world)[-1]
    newer = _ledger(settings, "verify")
    assert newer.exit_code == 0, newer.output
    assert f"{len(rows) + 1} entries, head #{newest_id} {newest_hash}" in newer.output
    assert "1 newer id(s) not sealed yet" in newer.output


def test_verify_names_an_entry_edited_in_the_database_file(world: World, settings: Settings,
                                                           backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("edits the SQLite file directly with the sqlite3 module")
    issue_task(world)
    assert _ledger(settings, "checkpoint").exit_code == 0
    victim = _rows(world)[-3][0]
    world.rt.dispose()  # let go of the file as another process would

    path = settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE ledger_entries SET reason = 'forged' WHERE id = ?", (victim,))
        db.execute("DROP TRIGGER ledger_entries_no_update")
        db.execute("UPDATE ledger_entries SET reason = '已整改到位' WHERE id = ?", (victim,))
    db.close()

    failed = _ledger(settings, "verify")
    assert failed.exit_code == 1, failed.output
    assert f"ledger verification FAILED: first bad entry #{victim}" in failed.output
    assert f"entry #{victim} was altered" in failed.output
    assert "ledger OK" not in failed.output and "Traceback" not in failed.output


def test_verify_blames_the_checkpoint_file_not_an_entry(world: World, settings: Settings) -> None:
    issue_task(world)
    assert _ledger(settings, "checkpoint").exit_code == 0
    path = settings.checkpoint_path
    assert path is not None
    path.write_text(path.read_text(encoding="utf-8")[:40] + "\n", encoding="utf-8")

    failed = _ledger(settings, "verify")
    assert failed.exit_code == 1, failed.output
    assert f"the checkpoint file {path} is damaged" in failed.output
    assert "first bad entry" not in failed.output and "Traceback" not in failed.output
