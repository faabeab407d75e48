"""The `sandan` command: a thin face over the engine, like the API and the web pages.

Each command parses its options, calls one engine function and prints the result; an engine error
becomes a one-line message on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from workflow.errors import SandanError


class SandanGroup(click.Group):
    """Turns every engine error into `error: message` and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SandanError as exc:
            click.echo(f"error: {exc.message}", err=True)
            ctx.exit(1)


@click.group(cls=SandanGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Sandan (三单): task, responsibility and rectification lists with a tamper-evident ledger."""


def _register() -> None:
    from web.commands.assess import assess
    from web.commands.db import demo, init, serve
    from web.commands.definitions import definitions
    from web.commands.excel import export, import_group
    from web.commands.ledger import ledger
    from web.commands.orgs import orgs
    from web.commands.rollups import rollups
    from web.commands.sweep import sweep
    from web.commands.tokens import tokens
    from web.commands.users import users
    from web.commands.worker import worker
    from web.i18n import i18n_command

    for command in (init, demo, serve, definitions, ledger, users):
        cli.add_command(command)
    for command in (orgs, tokens, assess, rollups):
        cli.add_command(command)
    for command in (sweep, worker, i18n_command):
        cli.add_command(command)
    for command in (export, import_group):
        cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="sandan")


if __name__ == "__main__":
    main()
    sys.exit(0)
