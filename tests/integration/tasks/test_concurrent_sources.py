"""Concurrent jobs never fail each other's records: slugs and contact points under load.

Four sources of one organization, each on a loopback host of its own (so they are four
domains, as four portals would be), harvested at the same time. Their catalogs share what
makes concurrent jobs meet: titles (hence slugs; two datasets of a title in each catalog),
identifiers (the first half of every catalog uses the same ones) and contact points (three,
the same name and e-mail in every catalog, new ones each round). Every job's first write
asks for the very slugs and contact points the three others ask for.

What must hold, each round: every job `done` with zero failed items, every remote record of
every source harvested exactly once, slugs unique, each contact point exactly once and used
by the datasets that name it. On PostgreSQL with Redis, with two real `moisson worker`
processes of concurrency 2, and with the in-process worker (2 threads).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.dcat_catalog import Catalog, CatalogServer, dataset_ids
from tests.integration.tasks.conftest import DeploymentFactory
from tests.integration.tasks.workers import (
    REDIS_URL,
    datasets_by_remote_id,
    wait_final,
)

from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.services.runs import create_pending_job
from moisson.storage.base import new_id
from moisson.storage.models import ContactPoint, Dataset, HarvestSource, Organization
from moisson.tasks.local import LocalWorker

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

HOSTS = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]
ROUNDS = 3
JOB_TIMEOUT = 60.0
#: Lines the engine logs when a write lost a race and was retried (for the report only:
#: whether jobs meet at the very same moment depends on the machine's scheduling).
RETRY_LINES = re.compile(r"taken by another job meanwhile|lost a race with another")


def round_catalog(tag: str) -> Catalog:
    """20 datasets in 2 pages: ids `<tag>-shared-0..9` (in every catalog of the round) then
    `<key>-10..19`; titles `Relevé commun <i // 2>` (in every round: the slug families grow);
    contact points `Guichet <tag>-<i % 3>`. Sources of two rounds share a host, hence a
    domain, so identifiers are shared within a round only (across domains)."""
    return Catalog(
        pages=2,
        per_page=10,
        delay=0.05,
        identifier=lambda key, i: f"{tag}-shared-{i}" if i < 10 else f"{key}-{i}",
        title=lambda key, i: f"Relevé commun {i // 2}",
        contact=lambda key, i: (f"Guichet {tag}-{i % 3}", f"guichet-{tag}-{i % 3}@region.test"),
    )


@dataclass
class Round:
    tag: str
    catalog: Catalog
    keys: list[str]
    source_ids: list[str]


@pytest.fixture
def servers() -> Iterator[list[CatalogServer]]:
    started = [CatalogServer({}, host=host).start() for host in HOSTS]
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def organization(pg_sessions: sessionmaker[Session]) -> str:
    with pg_sessions() as session:
        org = Organization(name="Région", slug=f"region-{new_id()}")
        session.add(org)
        session.commit()
        return org.id


def new_round(
    sessions: sessionmaker[Session], servers: list[CatalogServer], organization: str, tag: str
) -> Round:
    catalog = round_catalog(tag)
    keys, source_ids = [], []
    with sessions() as session:
        for n, server in enumerate(servers):
            key = f"{tag}-s{n}"
            server.catalogs[key] = catalog
            source = HarvestSource(
                name=key,
                slug=f"{key}-{new_id()}",
                url=server.url(key),
                backend="dcat",
                organization_id=organization,
                validation_state="accepted",
            )
            session.add(source)
            session.flush()
            keys.append(key)
            source_ids.append(source.id)
        session.commit()
    return Round(tag, catalog, keys, source_ids)


def pending_jobs(sessions: sessionmaker[Session], source_ids: list[str]) -> list[str]:
    with sessions() as session:
        job_ids = []
        for source_id in source_ids:
            source = session.get(HarvestSource, source_id)
            assert source is not None
            job_ids.append(create_pending_job(session, source).id)
        session.commit()
    return job_ids


def assert_harvested_once(sessions: sessionmaker[Session], run: Round, job_ids: list[str]) -> None:
    jobs = wait_final(sessions, job_ids, JOB_TIMEOUT)
    size = run.catalog.size
    assert [(j.status, j.items_done, j.items_failed) for j in jobs] == [
        (JobStatus.DONE, size, 0)
    ] * len(jobs), "a job failed an item or did not finish"
    for source_id, key in zip(run.source_ids, run.keys, strict=True):
        assert datasets_by_remote_id(sessions, source_id) == dict.fromkeys(
            dataset_ids(key, run.catalog), 1
        )
    with sessions() as session:
        slugs = session.execute(select(func.count(), func.count(func.distinct(Dataset.slug))))
        total, distinct = slugs.one()
        assert total == distinct
        points = session.execute(
            select(ContactPoint.id, ContactPoint.name, ContactPoint.email).where(
                ContactPoint.name.like(f"Guichet {run.tag}-%")
            )
        ).all()
        assert sorted((name, email) for _id, name, email in points) == [
            (f"Guichet {run.tag}-{n}", f"guichet-{run.tag}-{n}@region.test") for n in range(3)
        ], "each contact point exactly once"
        id_of = {name: point_id for point_id, name, _email in points}
        named = session.execute(
            select(Dataset.harvest_remote_id, Dataset.contact_point_ids).where(
                Dataset.harvest_source_id.in_(run.source_ids)
            )
        ).all()
    assert len(named) == len(run.source_ids) * size
    for remote_id, contact_ids in named:
        index = int(remote_id.rsplit("-", 1)[1])
        assert contact_ids == [id_of[f"Guichet {run.tag}-{index % 3}"]]


def test_two_celery_workers_harvest_overlapping_sources(
    deployment: DeploymentFactory,
    pg_sessions: sessionmaker[Session],
    servers: list[CatalogServer],
    organization: str,
) -> None:
    moisson = deployment(REDIS_URL)
    workers = [moisson.start_worker(f"w{n}", concurrency=2) for n in range(2)]
    for worker in workers:
        worker.wait_ready()
    for number in range(ROUNDS):
        run = new_round(pg_sessions, servers, organization, f"celery{number}")
        job_ids = [moisson.submit(pg_sessions, source_id) for source_id in run.source_ids]
        assert_harvested_once(pg_sessions, run, job_ids)
    retries = sum(len(RETRY_LINES.findall(w.output())) for w in workers)
    print(f"retried after losing a race: {retries}")  # noqa: T201 (shown with -s)
    for worker in workers:
        assert "Traceback" not in worker.output(), worker.output()


@pytest.mark.allow_hosts(HOSTS)  # loopback addresses only, one per "portal"
def test_in_process_worker_harvests_overlapping_sources(
    pg_sessions: sessionmaker[Session],
    pg_database_url: str,
    servers: list[CatalogServer],
    organization: str,
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=pg_database_url,
        outbound_allow_networks=["127.0.0.0/8"],
        http={"max_retries": 0},
        harvest={"worker_threads": 2},
    )
    worker = LocalWorker(pg_sessions, settings)
    worker.start(resume_pending=False)
    try:
        for number in range(ROUNDS):
            run = new_round(pg_sessions, servers, organization, f"local{number}")
            job_ids = pending_jobs(pg_sessions, run.source_ids)
            for job_id in job_ids:
                worker.submit(job_id)
            assert_harvested_once(pg_sessions, run, job_ids)
    finally:
        worker.stop()
