"""`sandan init`, `sandan demo` and `sandan serve`."""

from __future__ import annotations

import click

from web.commands.common import runtime
from workflow.checkpoints import write_checkpoint
from workflow.runtime import Runtime
from workflow.schema import store_definitions, upgrade_database


def prepare(rt: Runtime) -> None:
    """Create or upgrade the database, load the definitions and make the ledger key."""
    upgrade_database(rt)
    store_definitions(rt)
    rt.ledger_key()


def seal(rt: Runtime) -> None:
    """Write a checkpoint over everything written so far."""
    with rt.transaction() as session:
        write_checkpoint(session, rt.checkpoint_path, rt.ledger_key(), rt.clock.now())


@click.command()
def init() -> None:
    """Create or upgrade the database and load the definitions."""
    rt = runtime()
    prepare(rt)
    kinds = ", ".join(f"{d.kind} v{d.version}" for d in rt.definitions.latest())
    click.echo(f"database ready at {rt.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"definitions loaded: {kinds}")


@click.command()
@click.option("--serve/--no-serve", default=True, help="Serve the app after seeding (default).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo(serve: bool, host: str, port: int) -> None:
    """Seed the configured database with the demo county, print the logins, and serve it."""
    from workflow.demo import DEMO_PASSWORD, seed_demo

    rt = runtime()
    prepare(rt)
    accounts = seed_demo(rt)
    seal(rt)
    click.echo("Sandan demo data is ready. Sign in with any of these accounts:")
    for username, description in accounts:
        click.echo(f"  {username:<14} {DEMO_PASSWORD}   {description}")
    if serve:
        _serve(host, port)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the web app and the API (development server; use gunicorn in production)."""
    _serve(host, port)


def _serve(host: str, port: int) -> None:
    from web.app import create_app

    app = create_app()
    click.echo(f"Serving Sandan on http://{host}:{port}/  (Ctrl+C stops it)")
    app.run(host=host, port=port, threaded=True, use_reloader=False)
