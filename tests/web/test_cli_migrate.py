"""`sandan definitions migrate` as an administrator runs it: dry run, refusal, apply, again."""

from __future__ import annotations

from click.testing import CliRunner, Result

from tests.conftest import World
from tests.workflow.migration_helpers import FIXTURES, MAPPING, issue_running
from web.cli import cli
from workflow.config import Settings


def _sandan(settings: Settings, *args: object) -> Result:
    env = {
        "SANDAN_DATABASE_URL": settings.database_url,
        "SANDAN_INSTANCE_PATH": str(settings.instance_path),
        "SANDAN_LEDGER_KEY_FILE": str(settings.ledger_key_file),
        "SANDAN_CHECKPOINT_PATH": str(settings.checkpoint_path),
    }
    return CliRunner().invoke(cli, list(map(str, args)), env=env)


def _migrate(settings: Settings, *args: object) -> Result:
    return _sandan(settings, "definitions", "migrate", *args)


def test_dry_run_then_apply_then_nothing_left(world: World, settings: Settings) -> None:
    ids = issue_running(world)
    dry = _migrate(settings, MAPPING, "--as", "admin")
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[0].startswith(f"rectification v1 → v2 ({MAPPING}, sha256 ")
    assert lines[0].endswith("): 6 running item(s) in your scope")
    rows = {int(line.split()[0]): line.split()[1:3] for line in lines[2:-1]}
    assert rows[ids["rectifying"]] == ["rectifying", "in_progress"]
    assert rows[ids["extension_requested"]] == ["extension_requested", "in_progress"]
    assert rows[ids["submitted"]] == ["submitted", "submitted"]
    assert ids["closed"] not in rows and len(rows) == 6
    assert lines[-1] == (
        "dry run: 6 item(s) would move; nothing was written (run again with --apply)")

    applied = _migrate(settings, MAPPING, "--apply", "--as", "admin")
    assert applied.exit_code == 0, applied.output
    assert applied.output.splitlines()[-1] == (
        "moved 6 item(s) to rectification v2, each with a 'migrate' entry in its ledger")
    again = _migrate(settings, MAPPING, "--apply", "--as", "admin")
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[0].endswith("): 0 running item(s) in your scope")
    assert again.output.splitlines()[1:] == ["nothing to do"]
    verified = _sandan(settings, "ledger", "verify")
    assert verified.exit_code == 0, verified.output


def test_refusals_exit_1_with_a_message_and_no_traceback(world: World, settings: Settings) -> None:
    ids = issue_running(world)
    missing = FIXTURES / "missing-state.yaml"
    for mode in ("--dry-run", "--apply"):
        refused = _migrate(settings, missing, mode, "--as", "admin")
        assert refused.exit_code == 1
        assert (f"error: refused: 1 item running in rectification v1 would have no place in v2: "
                f"'extension_requested' (1 item: {ids['extension_requested']})") in refused.stderr
    dry = _migrate(settings, missing, "--as", "admin")
    assert "extension_requested    (no place)" in dry.stdout

    bad = _migrate(settings, FIXTURES / "invalid" / "unknown_key.yaml", "--as", "admin")
    assert bad.exit_code == 1
    assert bad.stderr.splitlines() == [
        f"{FIXTURES}/invalid/unknown_key.yaml:1: to_version: required key is missing",
        f"{FIXTURES}/invalid/unknown_key.yaml:4: unknown key 'to_versoin' "
        "(did you mean 'to_version'?)",
    ]
    handler = _migrate(settings, MAPPING, "--apply", "--as", "handler_a")
    assert handler.exit_code == 1
    assert handler.stderr == (
        "error: only an administrator may move items to another definition version\n")
    nobody = _migrate(settings, MAPPING, "--as", "nobody")
    assert nobody.exit_code == 1 and "no active user 'nobody'" in nobody.stderr
    for result in (refused, bad, handler, nobody):
        assert "Traceback" not in result.output
