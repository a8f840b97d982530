"""Revision 0022 adds where a job resumes; existing jobs get no cursor and no resume."""

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
def database_at_0021(database_url: str, tmp_path: Path) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'resume.db'}"
        upgrade(url, "0021")
        yield url
        return
    with fresh_postgres_database(database_url, f"moisson_resume_{os.getpid()}") as url:
        upgrade(url, "0021")
        yield url


def job_columns(url: str) -> set[str]:
    engine = make_engine(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    try:
        return {column["name"] for column in sa.inspect(engine).get_columns("harvest_jobs")}
    finally:
        engine.dispose()


def test_existing_jobs_get_no_cursor_and_the_revision_goes_back(database_at_0021: str) -> None:
    url = database_at_0021
    engine = make_engine(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO harvest_sources (id, name, slug, url, backend, config, active,"
                " autoarchive, validation_state, frequency, created_at, updated_at) VALUES"
                " ('s1', 'S', 's', 'https://x.test', 'dcat', '{}', true, true, 'accepted',"
                " 'manual', :now, :now)"
            ),
            {"now": "2026-01-01 00:00:00"},
        )
        conn.execute(
            sa.text(
                "INSERT INTO harvest_jobs (id, source_id, status, created, truncated, items_total,"
                " items_pending, items_started, items_done, items_failed, items_skipped,"
                " items_archived, items_unchanged, items_datasets, items_dataservices,"
                " quality_assessed, quality_nonconforming, quality_violations, quality_warnings)"
                " VALUES ('j1', 's1', 'done', :now, false,"
                " 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)"
            ),
            {"now": "2026-01-01 00:00:00"},
        )
    engine.dispose()
    upgrade(url, "0022")
    engine = make_engine(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT cursor, resumes FROM harvest_jobs")).one()
    engine.dispose()
    assert tuple(row) == (None, 0)
    command.downgrade(alembic_config(url), "0021")
    assert {"cursor", "resumes"}.isdisjoint(job_columns(url))
