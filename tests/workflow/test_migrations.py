"""The migrations are one straight line and build exactly the schema the models describe."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import workflow.models  # noqa: F401  (registers every table)
from workflow.db import Base
from workflow.runtime import Runtime
from workflow.schema import alembic_config, is_current, upgrade_database


def test_the_migrations_form_a_single_line(database_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(database_url))
    assert len(script.get_heads()) == 1, script.get_heads()
    revisions = list(script.walk_revisions())
    assert revisions[-1].down_revision is None
    for newer, older in zip(revisions, revisions[1:], strict=False):
        assert newer.down_revision == older.revision


def test_the_migrated_schema_matches_the_models(rt: Runtime) -> None:
    assert is_current(rt.engine, rt.settings.database_url)
    with rt.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_downgrade_to_nothing_and_upgrade_again(rt: Runtime) -> None:
    with rt.engine.begin() as connection:
        config = alembic_config(rt.settings.database_url)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    with rt.engine.connect() as connection:
        left = set(inspect(connection).get_table_names()) - {"alembic_version"}
    assert left == set()
    upgrade_database(rt)
    assert is_current(rt.engine, rt.settings.database_url)
    with rt.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) >= set(Base.metadata.tables)
