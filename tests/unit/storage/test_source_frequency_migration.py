"""Revision 0024 drops `harvest_sources.frequency`; going back restores it as `manual`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from tests.conftest import fresh_postgres_database

from moisson.config import Settings
from moisson.storage.migrate import alembic_config, upgrade
from moisson.storage.session import make_engine


@pytest.fixture
def database_at_0023(database_url: str, tmp_path: Path) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'frequency.db'}"
        upgrade(url, "0023")
        yield url
        return
    with fresh_postgres_database(database_url, f"moisson_frequency_{os.getpid()}") as url:
        upgrade(url, "0023")
        yield url


def source_rows(url: str) -> list[dict[str, object]]:
    engine = make_engine(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT * FROM harvest_sources ORDER BY id"))
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def test_the_column_goes_and_comes_back_as_manual_with_sources_kept(
    database_at_0023: str,
) -> None:
    url = database_at_0023
    engine = make_engine(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO harvest_sources (id, name, slug, url, backend, config, active,"
                " autoarchive, validation_state, frequency, created_at, updated_at) VALUES"
                " ('s1', 'S', 's', 'https://x.test', 'dcat', '{}', true, true, 'accepted',"
                " 'daily', :now, :now)"
            ),
            {"now": "2026-01-01 00:00:00"},
        )
    engine.dispose()

    upgrade(url, "0024")
    (dropped,) = source_rows(url)
    assert "frequency" not in dropped
    assert (dropped["id"], dropped["slug"], dropped["backend"]) == ("s1", "s", "dcat")

    command.downgrade(alembic_config(url), "0023")
    (restored,) = source_rows(url)
    assert restored["frequency"] == "manual"
    assert restored["slug"] == "s"
