"""`sandan orgs list|import|template|rename|move|close|merge`: the organisation tree.

Units are named by id or by code. The command line acts as the system (an administrator of the
whole tree); every change is in the ledger.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from web.commands.common import runtime
from workflow.access import Scope
from workflow.models import Organisation
from workflow.orgfiles import write_template
from workflow.runtime import Runtime
from workflow.services import org_import, org_tree


@click.group()
def orgs() -> None:
    """Units (committees, enterprises, branches, groups, inspection teams) and their people."""


def org_id(rt: Runtime, ref: str) -> int:
    """A unit id from an id or a code, or a one-line error."""
    with rt.read() as session:
        column = Organisation.id if ref.isdigit() else Organisation.code
        found = session.scalar(select(Organisation.id).where(column == ref))
    if found is None:
        raise click.ClickException(f"no unit '{ref}'")
    return int(found)


@orgs.command("list")
def list_orgs() -> None:
    """The tree, one unit a line: id, code, name, kind; closed and merged units marked."""
    rt = runtime()
    with rt.read() as session:
        for org in session.scalars(select(Organisation).order_by(Organisation.path)):
            state = ""
            if org.merged_into_id:
                state = f"  (merged into {org.merged_into_id})"
            elif org.closed_at:
                state = "  (closed)"
            click.echo(f"{org.id:>5}  {'  ' * org.depth}{org.name} [{org.code or '-'}] "
                       f"{org.kind}{state}")


@orgs.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--set-passwords", is_flag=True,
              help="Give each new person a random initial password and print it once.")
def import_command(file: Path, set_passwords: bool) -> None:
    """Import units and people from FILE (.yaml or .xlsx): every row, or nothing."""
    result = org_import.import_orgs(runtime(), Scope.system(), file, set_passwords=set_passwords)
    click.echo(f"units: {len(result.units_created)} created, {len(result.units_unchanged)} "
               f"unchanged; people: {len(result.people_created)} created, "
               f"{len(result.people_unchanged)} unchanged; {result.grants} role(s) granted, "
               f"{result.assignments} inspection assignment(s)")
    for username, password in result.passwords.items():
        click.echo(f"  {username:<16} {password}")


@orgs.command("template")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def template(file: Path) -> None:
    """Write an empty Excel template (sheets units and people) to FILE."""
    write_template(file)
    click.echo(f"template written to {file}")


@orgs.command("rename")
@click.argument("unit")
@click.argument("name")
def rename(unit: str, name: str) -> None:
    """Rename UNIT (id or code) to NAME."""
    rt = runtime()
    org_tree.rename_org(rt, Scope.system(), org_id(rt, unit), name=name)
    click.echo(f"unit {unit} renamed to {name}")


@orgs.command("move")
@click.argument("unit")
@click.option("--parent", required=True, help="The new parent unit (id or code).")
def move(unit: str, parent: str) -> None:
    """Move UNIT with its whole subtree under another parent."""
    rt = runtime()
    org_tree.move_org(rt, Scope.system(), org_id(rt, unit), parent_id=org_id(rt, parent))
    click.echo(f"unit {unit} moved under {parent}")


@orgs.command("close")
@click.argument("unit")
@click.option("--reason", required=True, help="Why (kept in the ledger).")
def close(unit: str, reason: str) -> None:
    """Close UNIT (it must have no open units below it and no open items)."""
    rt = runtime()
    org_tree.close_org(rt, Scope.system(), org_id(rt, unit), reason=reason)
    click.echo(f"unit {unit} closed")


@orgs.command("merge")
@click.argument("unit")
@click.option("--into", "into", required=True, help="The unit that takes over (id or code).")
@click.option("--reason", required=True, help="Why (kept in the ledger).")
def merge(unit: str, into: str, reason: str) -> None:
    """Merge UNIT into another: its units, open items, people and roles move; it closes."""
    rt = runtime()
    moved = org_tree.merge_org(rt, Scope.system(), org_id(rt, unit), into_id=org_id(rt, into),
                               reason=reason)
    click.echo(f"unit {unit} merged into {into}: " + ", ".join(f"{v} {k}" for k, v in
                                                               moved.items()))
