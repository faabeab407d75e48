"""Alembic environment: the same URL and metadata as the engine; batch mode for SQLite."""

from __future__ import annotations

from alembic import context

import workflow.models  # noqa: F401  (registers every table on the metadata)
from workflow.db import Base, make_engine

config = context.config


def _url() -> str:
    url = config.attributes.get("sandan_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        from workflow.config import Settings

        url = Settings.from_env().database_url
    return str(url)


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=Base.metadata, render_as_batch=True,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
