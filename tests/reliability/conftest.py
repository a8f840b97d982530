"""Fixtures of the reliability tests: tight HTTP settings and one-call real harvests."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.harvest.conftest import Run, load_run, make_org, make_source

from moisson.config import Settings
from moisson.harvest.engine import run_job
from moisson.services.runs import create_pending_job
from moisson.storage.base import utcnow
from moisson.storage.models import Dataset, HarvestRecord, HarvestSource, Resource

LOOPBACK = [ipaddress.IPv4Network("127.0.0.1/32")]


def tight(settings: Settings, **http: object) -> Settings:
    """Settings whose timeouts, retries and backoff make a fault cost well under a second."""
    base: dict[str, object] = {
        "connect_timeout": 0.3,
        "read_timeout": 1.0,
        "max_retries": 2,
        "backoff_base": 0.01,
        "max_retry_after": 2.0,
        "max_response_bytes": 1_000_000,
        "max_response_seconds": 2.0,
    }
    return settings.model_copy(
        update={
            "http": settings.http.model_copy(update={**base, **http}),
            "outbound_allow_networks": LOOPBACK,
        }
    )


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    return tight(settings)


@dataclass(frozen=True)
class DatasetState:
    title: str
    version: int
    archived_at: object
    harvest_archived_at: object
    resources: int


def snapshot(db: Session, source: HarvestSource) -> dict[str, DatasetState]:
    """Every dataset of `source` by remote id: what a fault must leave untouched."""
    db.expire_all()
    datasets = db.scalars(select(Dataset).where(Dataset.harvest_source_id == source.id))
    state = {}
    for dataset in datasets:
        resources = db.scalar(
            select(func.count()).select_from(Resource).where(Resource.dataset_id == dataset.id)
        )
        state[str(dataset.harvest_remote_id)] = DatasetState(
            dataset.title,
            dataset.version,
            dataset.archived_at,
            dataset.harvest_archived_at,
            int(resources or 0),
        )
    return state


def age_harvest(db: Session, source: HarvestSource, days: int = 30) -> None:
    """Pretend the source's datasets were last harvested `days` ago, beyond the autoarchive
    grace period: a later run that does not see them would archive them. A fault that
    passed for a shrunken catalog then shows as archived datasets."""
    then = utcnow() - timedelta(days=days)
    db.execute(
        update(Dataset)
        .where(Dataset.harvest_source_id == source.id)
        .values(harvest_last_update=then)
    )
    db.execute(
        update(HarvestRecord).where(HarvestRecord.source_id == source.id).values(updated_at=then)
    )
    db.commit()


class Harvester:
    """Runs real jobs of one source with the engine's own (guarded) client."""

    def __init__(self, db: Session, factory: sessionmaker[Session], settings: Settings) -> None:
        self.db = db
        self.factory = factory
        self.settings = settings

    def source(self, url: str, backend: str) -> HarvestSource:
        return make_source(self.db, url=url, backend=backend, organization=make_org(self.db))

    def run(
        self,
        source: HarvestSource,
        *,
        settings: Settings | None = None,
        http: httpx.Client | None = None,
    ) -> Run:
        job = create_pending_job(self.db, source)
        self.db.commit()
        run_job(self.factory, settings or self.settings, job.id, http=http)
        self.db.expire_all()
        return load_run(self.db, job.id)


@pytest.fixture
def harvester(
    db: Session, session_factory: sessionmaker[Session], fast_settings: Settings
) -> Harvester:
    return Harvester(db, session_factory, fast_settings)
