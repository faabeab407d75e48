"""`sandan tokens create|revoke|list`: personal API tokens (bearer), shown once."""

from __future__ import annotations

import click

from web.commands.common import runtime
from web.commands.users import person_id
from workflow.access import Scope
from workflow.services import tokens as service


@click.group()
def tokens() -> None:
    """Personal API tokens: `Authorization: Bearer <token>`, acting with the owner's roles."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. 'reporting script'.")
@click.option("--days", type=int, default=90, show_default=True, help="Lifetime (1 to 366).")
def create(username: str, name: str, days: int) -> None:
    """Create a token for USERNAME and print it (the only time it is shown)."""
    rt = runtime()
    made = service.create_token(rt, Scope.system(), person_id(rt, username), name=name, days=days)
    click.echo(made.token)
    click.echo(f"token {made.id} for {username}, expires {made.expires_at:%Y-%m-%d %H:%M} UTC; "
               "store it now: it cannot be shown again", err=True)


@tokens.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID (see `tokens list`); it stops working at once."""
    service.revoke_token(runtime(), Scope.system(), token_id)
    click.echo(f"token {token_id} revoked")


@tokens.command("list")
@click.argument("username")
def list_tokens(username: str) -> None:
    """USERNAME's tokens: id, prefix, name, expiry, last use and whether revoked."""
    rt = runtime()
    now = rt.clock.now()
    for row in service.list_tokens(rt, Scope.system(), person_id(rt, username)):
        state = ("revoked" if row.revoked_at else "expired" if row.expires_at <= now
                 else "active")
        used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never used"
        click.echo(f"{row.id:>5}  sdn_{row.prefix}_…  {state:<8} expires "
                   f"{row.expires_at:%Y-%m-%d}  {used}  {row.name}")
