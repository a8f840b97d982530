"""Distributed harvesting on the real services: `moisson worker` processes on Redis and
RabbitMQ, a PostgreSQL database, DCAT catalogs served from loopback.

What must hold: every job ends done and every dataset exists exactly once with its
resources, whichever worker ran what; the job of a worker killed mid-job is resumed by the
worker its task is delivered to next, loses nothing already done and duplicates nothing; a
large source never holds up small ones; two schedulers never enqueue a due source twice.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.dcat_catalog import RESOURCES_PER_DATASET, Catalog, CatalogServer, wait_until
from tests.integration.tasks.conftest import DeploymentFactory
from tests.integration.tasks.workers import (
    RABBITMQ_URL,
    REDIS_URL,
    MoissonProcess,
    add_source,
    datasets_by_remote_id,
    free_port,
    job,
    resources_per_dataset,
    wait_final,
)

from moisson.api import create_app
from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.services.scheduling import set_schedule
from moisson.storage.models import HarvestErrorRow, HarvestItem, HarvestJob, HarvestSource
from moisson.storage.notification_models import NotificationDelivery, NotificationSubscription

pytestmark = pytest.mark.slow

JOB_TIMEOUT = 40.0


@pytest.fixture
def catalogs() -> Iterator[CatalogServer]:
    server = CatalogServer({}).start()
    yield server
    server.stop()


def serve(server: CatalogServer, prefix: str, count: int, catalog: Catalog) -> list[str]:
    keys = [f"{prefix}{index}" for index in range(count)]
    for key in keys:
        server.catalogs[key] = catalog
    return keys


def remote_requests(port: int, status: str) -> float:
    """`moisson_remote_requests_total{backend="dcat",status=...}` on a worker's metrics port."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    total = 0.0
    for line in text.splitlines():
        labels = ('backend="dcat"', f'status="{status}"')
        if line.startswith("moisson_remote_requests_total{") and all(x in line for x in labels):
            total += float(line.rsplit(" ", 1)[1])
    return total


def harvested_correctly(
    sessions: sessionmaker[Session], source_id: str, key: str, catalog: Catalog
) -> None:
    per_remote_id = datasets_by_remote_id(sessions, source_id)
    assert per_remote_id == {f"{key}-{i}": 1 for i in range(catalog.size)}
    assert resources_per_dataset(sessions, source_id) == {RESOURCES_PER_DATASET}


def workers_of(sessions: sessionmaker[Session], job_ids: list[str]) -> list[int]:
    """The pid each job ran in (the `worker` column is `host:pid:thread`)."""
    return [int(job(sessions, job_id).worker.split(":")[1]) for job_id in job_ids]  # type: ignore[union-attr]


class TestSeveralWorkers:
    @pytest.mark.parametrize(
        ("broker", "sources"), [(REDIS_URL, 10), (RABBITMQ_URL, 4)], ids=["redis", "rabbitmq"]
    )
    def test_two_workers_harvest_sources_concurrently(
        self,
        deployment: DeploymentFactory,
        pg_sessions: sessionmaker[Session],
        catalogs: CatalogServer,
        broker: str,
        sources: int,
    ) -> None:
        catalog = Catalog(pages=2, per_page=5, delay=0.2)
        keys = serve(catalogs, f"many-{broker[:4]}-", sources, catalog)
        source_ids = [add_source(pg_sessions, key, catalogs.url(key)) for key in keys]
        moisson = deployment(broker)
        ports = [free_port(), free_port()]
        workers = [
            moisson.start_worker(f"w{n}", concurrency=2, metrics_port=port)
            for n, port in enumerate(ports)
        ]
        for worker in workers:
            worker.wait_ready()

        job_ids = [moisson.submit(pg_sessions, source_id) for source_id in source_ids]
        jobs = wait_final(pg_sessions, job_ids, JOB_TIMEOUT)

        assert [j.status for j in jobs] == [JobStatus.DONE] * sources
        assert all(j.items_done == catalog.size for j in jobs)
        for source_id, key in zip(source_ids, keys, strict=True):
            harvested_correctly(pg_sessions, source_id, key, catalog)
        ran_in = workers_of(pg_sessions, job_ids)
        assert all(any(w.owns(pid) for w in workers) for pid in ran_in)
        assert all(any(w.owns(pid) for pid in ran_in) for w in workers), "a worker did nothing"
        # Each worker counts the pages its pool fetched; together, every page exactly once.
        fetched = sum(remote_requests(port, "200") for port in ports)
        assert fetched == sources * catalog.pages == catalogs.pages_served


class TestWorkerKilledMidJob:
    def test_the_redelivered_task_resumes_the_job_with_every_dataset_once(
        self,
        deployment: DeploymentFactory,
        pg_sessions: sessionmaker[Session],
        catalogs: CatalogServer,
    ) -> None:
        # Pages a second apart: the engine commits at least every second, so once the first
        # page shows as done, several seconds of work remain to be cut short.
        catalog = Catalog(pages=5, per_page=4, delay=1.0)
        (key,) = serve(catalogs, "killed-", 1, catalog)
        source_id = add_source(pg_sessions, key, catalogs.url(key))
        # Redis hands an unacknowledged task out again after 2 x job_stale_after (here 4 s):
        # the second worker below gets the killed job's task back.
        moisson = deployment(REDIS_URL, MOISSON_HARVEST__JOB_STALE_AFTER="2")
        doomed = moisson.start_worker("doomed")
        doomed.wait_ready()
        first = moisson.submit(pg_sessions, source_id)

        assert wait_until(lambda: job(pg_sessions, first).items_done >= catalog.per_page, 20)
        doomed.kill(signal.SIGKILL)
        killed = job(pg_sessions, first)
        assert killed.status in {JobStatus.INITIALIZED, JobStatus.PROCESSING}
        assert killed.items_done < catalog.size
        assert killed.cursor is not None

        # No watchdog runs: the redelivered task finds the job held by a process that is
        # gone, and takes it up where its last commit stopped.
        survivor = moisson.start_worker("survivor")
        survivor.wait_ready()
        (resumed,) = wait_final(pg_sessions, [first], JOB_TIMEOUT)

        assert resumed.status == JobStatus.DONE
        assert (resumed.resumes, resumed.items_done, resumed.items_total) == (1, 20, 20)
        assert resumed.cursor is None
        with pg_sessions() as session:
            remote_ids = session.scalars(
                select(HarvestItem.remote_id).where(HarvestItem.job_id == first)
            ).all()
            warnings = session.scalars(
                select(HarvestErrorRow.message).where(HarvestErrorRow.job_id == first)
            ).all()
        assert sorted(remote_ids) == sorted(f"{key}-{i}" for i in range(catalog.size))
        harvested_correctly(pg_sessions, source_id, key, catalog)
        assert len(warnings) == 1
        assert "is gone" in warnings[0]
        assert "resumes where its last commit stopped" in warnings[0]
        # The first page, committed before the kill, was not fetched again.
        first_page = [r for r in catalogs.requests() if r.path == f"/{key}/catalog.rdf"]
        assert len(first_page) == 1


class TestFairSharing:
    def test_a_large_slow_source_does_not_hold_up_small_ones(
        self,
        deployment: DeploymentFactory,
        pg_sessions: sessionmaker[Session],
        catalogs: CatalogServer,
        pg_database_url: str,
    ) -> None:
        large = Catalog(pages=6, per_page=4, delay=1.0)
        small = Catalog(pages=1, per_page=3)
        (large_key,) = serve(catalogs, "large-", 1, large)
        small_keys = serve(catalogs, "small-", 3, small)
        large_id = add_source(pg_sessions, large_key, catalogs.url(large_key))
        small_ids = [add_source(pg_sessions, key, catalogs.url(key)) for key in small_keys]
        moisson = deployment(REDIS_URL)
        worker = moisson.start_worker("fair", concurrency=2)
        worker.wait_ready()

        large_job = moisson.submit(pg_sessions, large_id)
        assert wait_until(lambda: job(pg_sessions, large_job).items_total > 0, 20)
        small_jobs = [moisson.submit(pg_sessions, source_id) for source_id in small_ids]
        smalls = wait_final(pg_sessions, small_jobs, JOB_TIMEOUT)

        assert [j.status for j in smalls] == [JobStatus.DONE] * 3
        still = job(pg_sessions, large_job)
        assert still.status in {JobStatus.INITIALIZED, JobStatus.PROCESSING}

        # Meanwhile the API shows the large job's progress growing (the engine commits every batch).
        settings = Settings(_env_file=None, database_url=pg_database_url)  # type: ignore[call-arg]
        api = TestClient(create_app(settings, session_factory=pg_sessions))
        seen = _progress_while_running(api, large_job)
        assert len(set(seen)) >= 2
        assert seen == sorted(seen)

        (large_done,) = wait_final(pg_sessions, [large_job], JOB_TIMEOUT)
        assert large_done.status == JobStatus.DONE
        assert max(j.ended for j in smalls) < large_done.ended  # type: ignore[operator]
        harvested_correctly(pg_sessions, large_id, large_key, large)


def _progress_while_running(api: TestClient, job_id: str) -> list[int]:
    counts: list[int] = []
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        shown = api.get(f"/api/1/harvest/job/{job_id}/").json()
        if shown["status"] not in {"initialized", "processing"}:
            break
        counts.append(shown["items_by_status"]["done"])
        time.sleep(0.3)
    return counts


class _NoRunner:
    def submit(self, job_id: str) -> None:
        raise AssertionError(f"no source is due in this test (job {job_id})")


class TestSchedulerProcesses:
    def test_two_scheduler_processes_enqueue_each_due_source_once(
        self,
        deployment: DeploymentFactory,
        pg_sessions: sessionmaker[Session],
    ) -> None:
        now = datetime.now(UTC)
        with pg_sessions() as session:
            source_ids = []
            for index in range(20):
                source = HarvestSource(
                    name=f"Scheduled {index}",
                    slug=f"scheduled-{index}-{now.timestamp()}",
                    url="http://127.0.0.1:9/catalog.rdf",
                    backend="dcat",
                    validation_state="accepted",
                )
                set_schedule(source, cron="0 * * * *", now=now - timedelta(hours=2))
                session.add(source)
                session.flush()
                source_ids.append(source.id)
            session.commit()
        moisson = deployment(REDIS_URL)
        schedulers: list[MoissonProcess] = [
            moisson.start(f"scheduler{n}", "scheduler", "--interval=0.1") for n in range(2)
        ]

        def jobs_per_source() -> dict[str, int]:
            with pg_sessions() as session:
                rows = session.execute(
                    select(HarvestJob.source_id, func.count())
                    .where(HarvestJob.source_id.in_(source_ids))
                    .group_by(HarvestJob.source_id)
                ).all()
            return dict(rows)  # type: ignore[arg-type]

        assert wait_until(lambda: len(jobs_per_source()) == 20, 20), [
            s.output() for s in schedulers
        ]
        time.sleep(1.0)  # both keep ticking: nothing more may be enqueued
        for scheduler in schedulers:
            assert scheduler.popen.poll() is None, scheduler.output()
            scheduler.kill(signal.SIGTERM)

        assert set(jobs_per_source().values()) == {1}
        assert moisson.queued_messages() == 20


class TestNotificationsFromCeleryWorkers:
    def test_a_job_finished_by_a_celery_worker_queues_its_notifications_once(
        self,
        deployment: DeploymentFactory,
        pg_sessions: sessionmaker[Session],
        catalogs: CatalogServer,
    ) -> None:
        catalog = Catalog(pages=1, per_page=3)
        (key,) = serve(catalogs, "notified-", 1, catalog)
        source_id = add_source(pg_sessions, key, catalogs.url(key))
        with pg_sessions() as session:
            subscription = NotificationSubscription(
                source_id=source_id,
                channel="webhook",
                target="http://127.0.0.1:9/hook",  # never called: only the queue is checked
                events=["datasets.created", "job.failed"],
            )
            session.add(subscription)
            session.commit()
        moisson = deployment(REDIS_URL)
        moisson.start_worker("notifier").wait_ready()

        job_id = moisson.submit(pg_sessions, source_id)
        (finished,) = wait_final(pg_sessions, [job_id], JOB_TIMEOUT)
        assert finished.status == JobStatus.DONE

        def queued() -> list[tuple[str, str, int]]:
            with pg_sessions() as session:
                rows = session.scalars(
                    select(NotificationDelivery).where(
                        NotificationDelivery.subscription_id == subscription.id
                    )
                ).all()
                return [(d.job_id, d.event, d.payload["job"]["items_done"]) for d in rows]  # type: ignore[misc]

        # Queued by the worker right after the job's last commit, not by any scheduler.
        assert wait_until(lambda: queued() != [], 10.0), "the worker queued nothing"
        assert queued() == [(job_id, "datasets.created", catalog.size)]
