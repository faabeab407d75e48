"""`sandan ledger verify|checkpoint`: check the chain against the signed checkpoints."""

from __future__ import annotations

import click

from web.commands.common import runtime
from workflow.checkpoints import verify, write_checkpoint


@click.group()
def ledger() -> None:
    """The ledger (台账): verify it, seal it."""


@ledger.command("verify")
def verify_command() -> None:
    """Recompute every hash and chain and compare with the checkpoints; exit 1 on any damage."""
    rt = runtime()
    with rt.read() as session:
        result = verify(session, rt.checkpoint_path, rt.ledger_key())
    if not result.ok:
        where = [f"first bad entry #{result.first_bad}"] if result.first_bad else []
        if result.file_damaged:
            where.append(f"the checkpoint file {rt.checkpoint_path} is damaged")
        click.echo(f"ledger verification FAILED: {'; '.join(where)}", err=True)
        for _entry, message in result.problems:
            click.echo(f"  {message}", err=True)
        raise SystemExit(1)
    head = f"#{result.head_id} {result.head_hash}" if result.head_id else "(empty)"
    unsealed = result.count and (result.head_id or 0) - result.sealed_through
    click.echo(
        f"ledger OK: {result.count} entries, head {head}; sealed through "
        f"#{result.sealed_through} by {result.checkpoints} checkpoint(s)"
        + (f"; {unsealed} newer id(s) not sealed yet" if unsealed and unsealed > 0 else "")
    )


@ledger.command("checkpoint")
def checkpoint_command() -> None:
    """Seal every entry written since the last checkpoint."""
    rt = runtime()
    with rt.transaction() as session:
        line = write_checkpoint(session, rt.checkpoint_path, rt.ledger_key(), rt.clock.now())
    if line is None:
        click.echo("nothing new to seal")
    else:
        click.echo(f"checkpoint {line['n']} seals entries #{line['first']}..#{line['seq']}")
