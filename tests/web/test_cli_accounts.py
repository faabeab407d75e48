"""`sandan users`, `sandan tokens` and `sandan orgs` as an administrator runs them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from tests.conftest import PASSWORD, World
from tests.web.test_cli import _env
from web.cli import cli
from workflow.config import Settings
from workflow.services import accounts, tokens

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def _run(settings: Settings, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=_env(settings), input=stdin)


def test_users_disable_enable_passwd_revoke(world: World, settings: Settings) -> None:
    assert _run(settings, "users", "disable", "handler_a", "--reason", "调离").exit_code == 0
    assert accounts.authenticate(world.rt, "handler_a", PASSWORD) is None
    assert "(disabled)" in _run(settings, "users", "list").output
    assert _run(settings, "users", "enable", "handler_a").exit_code == 0
    result = _run(settings, "users", "passwd", "handler_a", stdin="Fresh2026pass\nFresh2026pass\n")
    assert result.exit_code == 0, result.output
    person = accounts.authenticate(world.rt, "handler_a", "Fresh2026pass")
    assert person is not None and person.must_change_password
    revoked = _run(settings, "users", "revoke", "handler_a", "handler", "--org",
                   str(world.branch_a))
    assert revoked.exit_code == 0, revoked.output
    again = _run(settings, "users", "revoke", "handler_a", "handler", "--org", str(world.branch_a))
    assert again.exit_code == 1 and again.output.startswith("error: ")


def test_a_weak_password_is_one_clear_line(world: World, settings: Settings) -> None:
    result = _run(settings, "users", "passwd", "handler_a", stdin="short\nshort\n")
    assert result.exit_code == 1 and "at least 10 characters" in result.output
    assert "Traceback" not in result.output


def test_tokens_create_list_revoke(world: World, settings: Settings) -> None:
    made = _run(settings, "tokens", "create", "handler_a", "--name", "报表", "--days", "7")
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[0]
    assert token.startswith("sdn_") and tokens.authenticate_token(world.rt, token) is not None
    listed = _run(settings, "tokens", "list", "handler_a").output
    assert "active" in listed and token not in listed and "报表" in listed
    token_id = listed.split()[0]
    assert _run(settings, "tokens", "revoke", token_id).exit_code == 0
    assert tokens.authenticate_token(world.rt, token) is None
    assert "revoked" in _run(settings, "tokens", "list", "handler_a").output


def test_orgs_import_list_and_tree_commands(world: World, settings: Settings,
                                            tmp_path: Path) -> None:
    result = _run(settings, "orgs", "import", str(EXAMPLES / "orgs.xlsx"), "--set-passwords")
    assert result.exit_code == 0, result.output
    assert "units: 7 created" in result.output and "hx_ducha" in result.output
    assert _run(settings, "orgs", "rename", "hx-c2", "西村联合党支部").exit_code == 0
    assert _run(settings, "orgs", "move", "hx-c1-g2", "--parent", "hx-c2").exit_code == 0
    merged = _run(settings, "orgs", "merge", "hx-c1", "--into", "hx-c2", "--reason", "合并")
    assert merged.exit_code == 0, merged.output
    closed = _run(settings, "orgs", "close", "hx-org", "--reason", "撤销")
    assert closed.exit_code == 0, closed.output
    tree = _run(settings, "orgs", "list").output
    assert "西村联合党支部 [hx-c2]" in tree and "(merged into" in tree and "(closed)" in tree
    template = tmp_path / "template.xlsx"
    assert _run(settings, "orgs", "template", str(template)).exit_code == 0
    empty = _run(settings, "orgs", "import", str(template))
    assert empty.exit_code == 1 and "no rows to import" in empty.output


def test_a_bad_import_is_reported_row_by_row(world: World, settings: Settings,
                                             tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("units:\n  - {code: x1, name: 甲, kind: planet}\n", encoding="utf-8")
    result = _run(settings, "orgs", "import", str(path))
    assert result.exit_code == 1
    assert "units entry 1 (line 2), column kind: 'planet' is not one of" in result.output
    assert "nothing imported" in result.output
