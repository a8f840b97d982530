"""The Alembic migrations build exactly the schema the models declare, on both dialects."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from moisson.config import Settings
from moisson.storage.base import Base
from moisson.storage.migrate import upgrade
from moisson.storage.session import make_engine


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the suite's (SQLite file or PostgreSQL)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    url = make_url(database_url)
    name = f"moisson_migrate_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class TestMigrations:
    def test_upgrade_head_matches_models(self, empty_database_url: str) -> None:
        upgrade(empty_database_url)
        engine = make_engine(Settings(database_url=empty_database_url))
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        engine.dispose()
        assert diff == [], f"models and migrations disagree: {diff}"

    def test_upgrade_twice_is_harmless(self, empty_database_url: str) -> None:
        upgrade(empty_database_url)
        upgrade(empty_database_url)
        engine = create_engine(empty_database_url)
        tables = set(inspect(engine).get_table_names())
        engine.dispose()
        assert {"harvest_sources", "harvest_jobs", "harvest_items", "datasets"} <= tables
