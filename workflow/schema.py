"""Creating and upgrading the database (Alembic, run programmatically) and storing definitions."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, select

from workflow.definitions.loader import load_directory
from workflow.definitions.model import Definition
from workflow.errors import DefinitionError
from workflow.models import DefinitionVersion
from workflow.runtime import Runtime

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["sandan_url"] = url
    return config


def upgrade_database(rt: Runtime) -> None:
    """Create or upgrade the schema to the newest migration."""
    if rt.settings.is_sqlite:
        rt.settings.instance_path.mkdir(parents=True, exist_ok=True)
    with rt.engine.begin() as connection:
        config = alembic_config(rt.settings.database_url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def is_current(engine: Engine, url: str) -> bool:
    """True when the database is at the newest migration (for readiness checks)."""
    current, expected = revisions(engine, url)
    return current == expected


def revisions(engine: Engine, url: str) -> tuple[list[str], list[str]]:
    """The database's migration heads (empty for a fresh database) and the code's, sorted."""
    heads = sorted(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    with engine.connect() as connection:
        return sorted(MigrationContext.configure(connection).get_current_heads()), heads


def store_definitions(rt: Runtime, directory: Path | None = None) -> list[Definition]:
    """Load the definition files and record any new (kind, version) in the database.

    A file whose text differs from the stored text of the same (kind, version) is refused:
    running items keep the version they were created with, so a change needs a new version.
    """
    definitions = load_directory(directory or rt.settings.definitions_path)
    with rt.transaction() as session:
        stored = {(r.kind, r.version): r for r in session.scalars(select(DefinitionVersion))}
        problems = []
        for definition in definitions:
            row = stored.get((definition.kind, definition.version))
            if row is None:
                session.add(DefinitionVersion(
                    kind=definition.kind, version=definition.version,
                    source_hash=definition.source_hash, source_name=definition.source,
                    source_text=Path(definition.source).read_text(encoding="utf-8"),
                    loaded_at=rt.clock.now(),
                ))
            elif row.source_hash != definition.source_hash:
                problems.append(
                    f"{definition.source}:1: version {definition.version} of '{definition.kind}' "
                    "was changed after it was loaded; give the changed definition a new version"
                )
        if problems:
            raise DefinitionError(problems)
    rt.reload_definitions()
    return definitions
