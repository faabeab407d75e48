"""`sandan sweep [--now ISO-TIME] [--dry-run]`: run the deadline sweep once and summarise it."""

from __future__ import annotations

from datetime import datetime

import click

from web.commands.common import runtime
from workflow.clock import as_utc
from workflow.errors import InvalidInput
from workflow.services.sweeps import SweepReport, run_sweep


@click.command()
@click.option("--now", "now", metavar="ISO-TIME",
              help="Sweep as of this moment (ISO 8601; without a zone: the configured zone).")
@click.option("--dry-run", is_flag=True,
              help="Only list what would be reminded, escalated or generated; write nothing.")
def sweep(now: str | None, dry_run: bool) -> None:
    """Send reminders, mark overdue items and climb escalation ladders due by now."""
    rt = runtime()
    as_of = _parse(now, rt.settings.tz) if now else None
    report = run_sweep(rt, as_of, dry_run=dry_run)
    _print(report, rt.settings.tz)


def _parse(text: str, tz: object) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"--now: '{text}' is not an ISO 8601 time such as 2026-05-01T09:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)  # type: ignore[arg-type]
    return as_utc(moment)


def _print(report: SweepReport, tz: object) -> None:
    local = report.as_of.astimezone(tz)  # type: ignore[arg-type]
    verb = "would do" if report.dry_run else "did"
    click.echo(f"sweep as of {local:%Y-%m-%d %H:%M %Z}{' (dry run)' if report.dry_run else ''}: "
               f"{report.examined} item(s) due, {verb} {len(report.actions)} action(s)")
    if not report.actions:
        return
    click.echo(f"{'item':>6}  {'action':<16} {'level':>5}  {'due moment':<16}  "
               f"{'notify':<12}  title")
    for action in report.actions:
        name = action.action or action.kind
        due = action.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]
        people = ",".join(str(p) for p in action.recipients) or "-"
        level = str(action.level) if action.level is not None else ""
        click.echo(f"{action.item_id:>6}  {name:<16} {level:>5}  {due:<16}  {people:<12}  "
                   f"{action.title}")
    counts = ", ".join(f"{name} {count}" for name, count in sorted(report.counts().items()))
    click.echo(f"total: {counts}")
