"""`sandan users create|grant|list`: accounts and their roles from the command line."""

from __future__ import annotations

import click
from sqlalchemy import select

from web.commands.common import runtime
from workflow.access import Scope
from workflow.models import Person
from workflow.services import orgs


@click.group()
def users() -> None:
    """People who sign in, and their roles."""


@users.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Display name, e.g. 张伟.")
@click.option("--org", "org_id", type=int, help="Home unit id.")
@click.password_option(help="Initial password (asked for when omitted).")
def create(username: str, display_name: str, org_id: int | None, password: str) -> None:
    """Create an account; its owner must change the password at first login."""
    rt = runtime()
    person_id = orgs.create_person(rt, Scope.system(), username=username,
                                   display_name=display_name, password=password, org_id=org_id)
    click.echo(f"created {username} (id {person_id})")


@users.command("grant")
@click.argument("username")
@click.argument("role")
@click.option("--org", "org_id", type=int, required=True, help="Unit id where the role applies.")
def grant(username: str, role: str, org_id: int) -> None:
    """Give USERNAME the ROLE (issuer, inspector, handler, leader, admin) at a unit."""
    rt = runtime()
    person = orgs.find_person(rt, username)
    if person is None:
        raise click.ClickException(f"no user '{username}'")
    orgs.grant_role(rt, Scope.system(), person_id=person.id, org_id=org_id, role=role)
    click.echo(f"{username} is now {role} at unit {org_id}")


@users.command("list")
def list_users() -> None:
    """Every account with its roles."""
    rt = runtime()
    with rt.read() as session:
        for person in session.scalars(select(Person).order_by(Person.username)):
            roles = ", ".join(f"{g.role}@{g.org.name}" for g in person.grants) or "-"
            state = "" if person.active else " (disabled)"
            click.echo(f"{person.username:<16} {person.display_name}{state}  {roles}")
