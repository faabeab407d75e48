"""`sandan users create|grant|revoke|disable|enable|passwd|list`: accounts and their roles.

The command line acts as the system (an administrator of the whole tree); every change it makes
is in the ledger like any other.
"""

from __future__ import annotations

import click
from sqlalchemy import select

from web.commands.common import runtime
from workflow.access import Scope
from workflow.models import Person
from workflow.runtime import Runtime
from workflow.services import accounts, orgs


@click.group()
def users() -> None:
    """People who sign in, and their roles."""


def person_id(rt: Runtime, username: str) -> int:
    """The id of USERNAME, or a one-line error."""
    person = orgs.find_person(rt, username)
    if person is None:
        raise click.ClickException(f"no user '{username}'")
    return person.id


@users.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Display name, e.g. 张伟.")
@click.option("--org", "org_id", type=int, help="Home unit id.")
@click.password_option(help="Initial password (asked for when omitted).")
def create(username: str, display_name: str, org_id: int | None, password: str) -> None:
    """Create an account; its owner must change the password at first login."""
    rt = runtime()
    new_id = orgs.create_person(rt, Scope.system(), username=username,
                                display_name=display_name, password=password, org_id=org_id)
    click.echo(f"created {username} (id {new_id})")


@users.command("grant")
@click.argument("username")
@click.argument("role")
@click.option("--org", "org_id", type=int, required=True, help="Unit id where the role applies.")
def grant(username: str, role: str, org_id: int) -> None:
    """Give USERNAME the ROLE (issuer, inspector, handler, leader, admin) at a unit."""
    rt = runtime()
    orgs.grant_role(rt, Scope.system(), person_id=person_id(rt, username), org_id=org_id,
                    role=role)
    click.echo(f"{username} is now {role} at unit {org_id}")


@users.command("revoke")
@click.argument("username")
@click.argument("role")
@click.option("--org", "org_id", type=int, required=True, help="Unit id where the role is held.")
def revoke(username: str, role: str, org_id: int) -> None:
    """Take ROLE at a unit away from USERNAME."""
    rt = runtime()
    accounts.revoke_role(rt, Scope.system(), person_id=person_id(rt, username), org_id=org_id,
                         role=role)
    click.echo(f"{username} is no longer {role} at unit {org_id}")


@users.command("disable")
@click.argument("username")
@click.option("--reason", help="Why (kept in the ledger).")
def disable(username: str, reason: str | None) -> None:
    """Stop USERNAME signing in; their sessions and API tokens stop working at once."""
    rt = runtime()
    accounts.disable_account(rt, Scope.system(), person_id(rt, username), reason)
    click.echo(f"{username} is disabled")


@users.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Let USERNAME sign in again (also lifts a lockout)."""
    rt = runtime()
    accounts.enable_account(rt, Scope.system(), person_id(rt, username))
    click.echo(f"{username} is enabled")


@users.command("passwd")
@click.argument("username")
@click.option("--temporary/--permanent", default=True, show_default=True,
              help="Temporary: the owner must change it at the next sign-in.")
@click.password_option(help="The new password (asked for when omitted).")
def passwd(username: str, temporary: bool, password: str) -> None:
    """Set a new password for USERNAME; every session of theirs ends."""
    rt = runtime()
    accounts.reset_password(rt, Scope.system(), person_id(rt, username), password,
                            must_change=temporary)
    click.echo(f"password of {username} set" + (" (to be changed at sign-in)" if temporary else ""))


@users.command("list")
def list_users() -> None:
    """Every account with its roles."""
    rt = runtime()
    with rt.read() as session:
        for person in session.scalars(select(Person).order_by(Person.username)):
            roles = ", ".join(f"{g.role}@{g.org.name}" for g in person.grants) or "-"
            state = "" if person.active else " (disabled)"
            if person.locked_until is not None and person.locked_until > rt.clock.now():
                state += " (locked)"
            click.echo(f"{person.username:<16} {person.display_name}{state}  {roles}")
