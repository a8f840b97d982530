"""Run Alembic migrations programmatically (the migrations ship inside the package)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def schema_revisions(database_url: str) -> tuple[set[str], set[str]]:
    """(the revisions the database is at, the head revisions of this version's migrations);
    the first is empty for a database that was never migrated."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from moisson.config import Settings
    from moisson.storage.session import make_engine

    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    engine = make_engine(Settings(_env_file=None, database_url=database_url))  # type: ignore[call-arg]
    quiet = logging.getLogger("alembic")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # a question, not a migration: no "Context impl" lines
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        quiet.setLevel(level)
        engine.dispose()
    return current, heads
