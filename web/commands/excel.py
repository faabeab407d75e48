"""`sandan export ledger|items|rankings|register` and `sandan import list`: Excel in and out.

Without `--as`, the command line acts as the system (everything); with `--as USERNAME` it sees
and may do exactly what that person sees and may do on the web pages. An import checks the whole
file first and prints every problem with its row and column; nothing is issued unless the file
is free of problems (and never with `--dry-run`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import click

from web.commands.common import runtime
from workflow.access import Scope
from workflow.errors import InvalidInput, NotFound
from workflow.excel.board_export import export_rankings, export_register
from workflow.excel.items_export import Export, export_items, export_ledger
from workflow.excel.list_import import check_workbook
from workflow.models import Organisation, Person
from workflow.queries import ItemFilter
from workflow.runtime import Runtime
from workflow.services.list_rows import issue_plan
from workflow.services.orgs import find_person
from workflow.services.register_reads import RegisterFilter

OUT = click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                   help="The .xlsx file to write.")
AS = click.option("--as", "username", help="See only what this user may see (default: all).")


@click.group("export")
def export() -> None:
    """Write the ledger, item lists, rankings or the register to an Excel workbook."""


def item_filters(command: Callable[..., Any]) -> Callable[..., Any]:
    """The filters of the web inbox's item search, as options."""
    options = [
        click.option("--kind", "kinds", multiple=True, help="List kind (repeatable)."),
        click.option("--state", "states", multiple=True, help="State (repeatable)."),
        click.option("--unit", help="Only this unit's subtree (id or code)."),
        click.option("--open/--closed", "is_open", default=None, help="Open or closed items."),
        click.option("--overdue", is_flag=True, help="Only overdue items."),
        click.option("--due-after", type=click.DateTime(["%Y-%m-%d"]), help="Due on or after."),
        click.option("--due-before", type=click.DateTime(["%Y-%m-%d"]), help="Due before."),
        click.option("--text", help="Words in the title."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@export.command("items")
@OUT
@AS
@item_filters
def export_items_command(out: Path, username: str | None, **filters: Any) -> None:
    """Items matching the filters, one row each."""
    rt = runtime()
    _write(out, export_items(rt, _actor(rt, username), _filter(rt, filters)))


@export.command("ledger")
@OUT
@AS
@item_filters
def export_ledger_command(out: Path, username: str | None, **filters: Any) -> None:
    """The ledger book (台账): one row per item with its history, and a sheet of all entries."""
    rt = runtime()
    _write(out, export_ledger(rt, _actor(rt, username), _filter(rt, filters)))


@export.command("rankings")
@OUT
@AS
@click.option("--checklist", required=True, help="Assessment checklist name.")
@click.option("--period", required=True, help="2026-Q1, 2026-03 or 2026.")
@click.option("--org", "org_ref", required=True, help="Unit the round ran under (id or code).")
@click.option("--level", help="Rank at this level of the tree (e.g. branch).")
def export_rankings_command(out: Path, username: str | None, checklist: str, period: str,
                            org_ref: str, level: str | None) -> None:
    """One ranking with each unit's points, grade, stars and breakdown."""
    rt = runtime()
    _write(out, export_rankings(rt, _actor(rt, username), checklist=checklist, period=period,
                                org_id=_org(rt, org_ref), level=level))


@export.command("register")
@OUT
@AS
@click.option("--outcome", help="open (no outcome yet), talk_held, notice_published or waived.")
@click.option("--level", type=int, help="Only this ladder level.")
@click.option("--unit", help="Only this unit (id or code).")
def export_register_command(out: Path, username: str | None, outcome: str | None,
                            level: int | None, unit: str | None) -> None:
    """The accountability register (追责问责台账)."""
    rt = runtime()
    flt = RegisterFilter(outcome=outcome, level=level, org_id=_org(rt, unit) if unit else None)
    _write(out, export_register(rt, _actor(rt, username), flt))


@click.group("import")
def import_group() -> None:
    """Issue lists from Excel workbooks filled in from the template."""


@import_group.command("list")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="The issuing person.")
@click.option("--dry-run", is_flag=True, help="Check the file and show what it would issue.")
@click.option("--kind", help="List kind, when the file does not say.")
@click.option("--title", help="List title, when the file does not say.")
@click.option("--issuer", "issuer_ref", help="Issuing unit (id or code), when not the only one.")
def import_list(file: Path, username: str, dry_run: bool, kind: str | None, title: str | None,
                issuer_ref: str | None) -> None:
    """Issue the list in FILE (.xlsx from the template): every row, or nothing."""
    rt = runtime()
    actor = _actor(rt, username)
    assert isinstance(actor, Person)
    data = file.read_bytes()
    checked = check_workbook(rt, actor, data, file.name, kind=kind, title=title,
                             issuer_org_id=_org(rt, issuer_ref) if issuer_ref else None)
    if checked.plan is None or checked.problems:
        for problem in checked.problems:
            click.echo(problem.text(), err=True)
        raise InvalidInput(f"{file.name}: {len(checked.problems)} problem(s), nothing issued")
    for row in checked.preview:
        click.echo(f"  row {row.number}: {row.title} → {row.unit} (due {row.due or '-'})")
    if dry_run:
        click.echo(f"{len(checked.preview)} item(s) would be issued (dry run, nothing issued)")
        return
    key = "xlsx:" + hashlib.sha256(data).hexdigest()
    issued = issue_plan(rt, actor, checked.plan, idempotency_key=key)
    if not issued.created:
        click.echo(f"this file was already issued as list {issued.list_id}; nothing new issued")
        return
    click.echo(f"issued list {issued.list_id} with {len(issued.item_ids)} item(s)")


def _actor(rt: Runtime, username: str | None) -> Person | Scope:
    if username is None:
        return Scope.system()
    person = find_person(rt, username)
    if person is None or not person.active:
        raise click.ClickException(f"no active user '{username}'")
    return person


def _org(rt: Runtime, ref: str) -> int:
    from sqlalchemy import select

    match = Organisation.id == int(ref) if ref.isdigit() else Organisation.code == ref
    with rt.read() as session:
        found = session.scalar(select(Organisation.id).where(match))
    if found is None:
        raise NotFound(f"no unit '{ref}'")
    return int(found)


def _filter(rt: Runtime, options: dict[str, Any]) -> ItemFilter:
    tz = rt.settings.tz

    def moment(day: datetime | None) -> datetime | None:
        if day is None:
            return None
        return datetime.combine(day.date(), time(0), tzinfo=tz).astimezone(UTC)

    return ItemFilter(
        kinds=tuple(options["kinds"]), states=tuple(options["states"]),
        unit_id=_org(rt, options["unit"]) if options["unit"] else None,
        is_open=options["is_open"], overdue=True if options["overdue"] else None,
        due_after=moment(options["due_after"]), due_before=moment(options["due_before"]),
        text=options["text"],
    )


def _write(out: Path, result: Export) -> None:
    out.write_bytes(result.data)
    click.echo(f"{result.rows} row(s) written to {out}")
