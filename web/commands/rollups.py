"""`sandan rollups check|rebuild`: the dashboard's per-unit counts against the items."""

from __future__ import annotations

import click

from web.commands.common import runtime
from workflow import rollups as counts


@click.group()
def rollups() -> None:
    """The dashboard's roll-ups: compare them with the items, or recount them."""


@rollups.command("check")
def check_command() -> None:
    """Recount from the items and compare; exit 1 and list the differences if any."""
    rt = runtime()
    with rt.engine.connect() as connection:
        found = counts.differences(connection)
    if found:
        click.echo(f"roll-ups differ from the items in {len(found)} place(s):", err=True)
        for line in found[:50]:
            click.echo(f"  {line}", err=True)
        raise SystemExit(1)
    click.echo("roll-ups OK: they equal a recount of the items")


@rollups.command("rebuild")
def rebuild_command() -> None:
    """Recount both roll-ups from the items (after a restore or a load that bypassed Sandan)."""
    rt = runtime()
    with rt.write_connection() as connection:
        counts.rebuild(connection, rt.clock.now())
    click.echo("roll-ups rebuilt from the items")
