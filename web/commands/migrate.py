"""`sandan definitions migrate MAPPING [--dry-run|--apply] --as USER`.

Moves the running items of one definition version to another by a migration file. The dry run
(the default) lists every running item and where it would land; `--apply` moves them all in one
transaction. Exit status 0 when the migration can run (dry) or ran; 1 when the file has problems
(each printed as `file:line: path: message`), the user is not an administrator, or some item has
no place in the new version (the items are named, nothing is written).
"""

from __future__ import annotations

from pathlib import Path

import click

from web.commands.common import runtime
from workflow.definitions.migration import load_migration
from workflow.errors import DefinitionError
from workflow.models import Person
from workflow.runtime import Runtime
from workflow.services.definition_migration import (
    MigrationReport,
    apply_migration,
    plan_migration,
)
from workflow.services.orgs import find_person


@click.command("migrate")
@click.argument("mapping", type=click.Path(path_type=Path))
@click.option("--dry-run/--apply", "dry_run", default=True, show_default=True,
              help="List where each running item would land, or move them all.")
@click.option("--as", "username", required=True, help="Act as this administrator.")
def migrate(mapping: Path, dry_run: bool, username: str) -> None:
    """Move running items to a new definition version by a state mapping file."""
    rt = runtime()
    actor = _actor(rt, username)
    try:
        migration = load_migration(mapping)
        report = (plan_migration if dry_run else apply_migration)(rt, actor, migration)
    except DefinitionError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None
    _print(report)
    refusal = report.refusal()
    if refusal:
        click.echo(f"error: {refusal}", err=True)
        raise SystemExit(1)


def _actor(rt: Runtime, username: str) -> Person:
    person = find_person(rt, username)
    if person is None or not person.active:
        raise click.ClickException(f"no active user '{username}'")
    return person


def _print(report: MigrationReport) -> None:
    head = f"{report.kind} v{report.from_version} → v{report.to_version}"
    running = len(report.moves) + len(report.stuck)
    click.echo(f"{head} ({report.source}, sha256 {report.source_hash[:12]}): "
               f"{running} running item(s) in your scope")
    if not running:
        click.echo("nothing to do")
        return
    lands = {m.item_id: (m.from_state, m.to_state, m.title) for m in report.moves}
    lands |= {s.item_id: (s.state, "(no place)", s.title) for s in report.stuck}
    click.echo(f"{'item':>6}  {'from':<22} {'to':<22} title")
    for item_id in sorted(lands):
        before, after, title = lands[item_id]
        click.echo(f"{item_id:>6}  {before:<22} {after:<22} {title}")
    if report.applied:
        click.echo(f"moved {len(report.moves)} item(s) to {report.kind} v{report.to_version}, "
                   "each with a 'migrate' entry in its ledger")
    elif not report.stuck:
        click.echo(f"dry run: {len(report.moves)} item(s) would move; nothing was written "
                   "(run again with --apply)")
