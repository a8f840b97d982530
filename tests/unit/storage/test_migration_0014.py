"""Migration 0014: csw-iso-19139 datasets re-keyed from fileIdentifier to citation id."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import fresh_postgres_database

from moisson.config import Settings
from moisson.storage.migrate import upgrade
from moisson.storage.models import Dataset, HarvestPage, HarvestRecord, HarvestSource
from moisson.storage.session import make_engine

CITED = "http://catalogue.example.test/fr-1-orphan-residentifier-1"


@pytest.fixture
def url_at_head(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database: the rows below are written with today's models, so revision
    0014 (it moves data only) is run again on them (`run_0014`)."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'rekey.db'}"
        upgrade(url, "head")
        yield url
        return
    with fresh_postgres_database(database_url, f"moisson_rekey_{os.getpid()}") as url:
        upgrade(url, "head")
        yield url


def run_0014(engine: Engine) -> None:
    revision = import_module("moisson.migrations.versions.0014_csw_iso_citation_ids")
    with engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        revision.upgrade()


def add_source(db: Session, backend: str) -> HarvestSource:
    source = HarvestSource(
        name=backend, slug=f"s-{backend}", url="https://csw.example.test/csw", backend=backend
    )
    db.add(source)
    db.flush()
    return source


def add_dataset(db: Session, source: HarvestSource, remote_id: str, cited: str | None) -> None:
    dataset = Dataset(
        slug=f"d-{source.backend}-{remote_id}",
        title=remote_id,
        harvest_source_id=source.id,
        harvest_remote_id=remote_id,
        harvest_dct_identifier=cited,
    )
    db.add(dataset)
    db.flush()
    db.add(
        HarvestRecord(
            source_id=source.id,
            remote_id=remote_id,
            kind="dataset",
            content_hash="h",
            dataset_id=dataset.id,
        )
    )


def test_iso_datasets_take_their_citation_identifier(url_at_head: str) -> None:
    engine = make_engine(Settings(database_url=url_at_head))
    with Session(engine) as db:
        iso, dcat = add_source(db, "csw-iso-19139"), add_source(db, "csw-dcat")
        add_dataset(db, iso, "file-1", CITED)
        add_dataset(db, iso, "file-2", None)  # no citation identifier: stays
        add_dataset(db, iso, "file-3", "shared")  # two share one: both stay
        add_dataset(db, iso, "file-4", "shared")
        add_dataset(db, iso, "already", "already")  # written by the new code
        add_dataset(db, dcat, "dcat-1", "other")  # another backend: untouched
        db.add(HarvestPage(source_id=iso.id, key="p1", digest="d", records=[["file-1", "dataset"]]))
        db.add(HarvestPage(source_id=dcat.id, key="p1", digest="d", records=[]))
        db.commit()
        iso_id, dcat_id = iso.id, dcat.id

    run_0014(engine)

    with Session(engine) as db:
        remote_ids = dict(db.execute(select(Dataset.title, Dataset.harvest_remote_id)).all())
        assert remote_ids == {
            "file-1": CITED,
            "file-2": "file-2",
            "file-3": "file-3",
            "file-4": "file-4",
            "already": "already",
            "dcat-1": "dcat-1",
        }
        recorded = set(db.scalars(select(HarvestRecord.remote_id)))
        assert recorded == {CITED, "file-2", "file-3", "file-4", "already", "dcat-1"}
        cached = set(db.scalars(select(HarvestPage.source_id)))
        assert cached == {dcat_id}  # the re-keyed source's page cache is emptied
        assert iso_id not in cached
    engine.dispose()
