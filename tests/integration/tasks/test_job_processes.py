"""The in-process worker running each job in a child process (`worker_mode = "process"`).

Real child processes (spawned), a real database of the kind the suite runs on, loopback DCAT
catalogs. A child killed mid-run must have its job resumed at once (not after
`job_stale_after`) where its last commit stopped, in a new child, ending with every dataset
once and fewer pages fetched than a full run; once resumed `max_resumes` times it fails, and
the worker runs the next job; shutting the worker down ends its children, whose jobs resume
at the next start.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.dcat_catalog import (
    RESOURCES_PER_DATASET,
    Catalog,
    CatalogServer,
    catalog_server,
    dataset_ids,
    wait_until,
)
from tests.integration.responsiveness.test_slow_remotes import (
    Service,
    make_service,
    suite_database,
)

from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.http.metrics import REMOTE_REQUESTS
from moisson.storage.models import HarvestJob, QualityAssessment, UrlCheck
from moisson.storage.repositories import errors as errors_repo
from moisson.storage.repositories import items as items_repo
from moisson.tasks.local import LocalWorker, uses_child_processes

CHILD_START = 20.0
"""Seconds a spawned child may take to import Moisson and take its job (generous: CI load)."""


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    for url in suite_database(tmp_path, "moisson_children"):
        yield from make_service(url, harvest={"worker_mode": "process"})


@pytest.fixture
def catalogs() -> Iterator[CatalogServer]:
    with catalog_server({}) as server:
        yield server


def worker_of(service: Service) -> LocalWorker:
    runner = service.client.app.state.runner  # type: ignore[attr-defined]
    assert isinstance(runner, LocalWorker)
    return runner


def job_errors(service: Service, job_id: str) -> list[str]:
    with service.sessions() as session:
        return [error.message for error in errors_repo.of_job(session, job_id)]


def status(service: Service, job_id: str) -> str:
    job: HarvestJob = service.job(job_id)
    return job.status


def running(service: Service, job_id: str) -> bool:
    """Taken by its child process and not finished."""
    return status(service, job_id) not in (JobStatus.PENDING, *FINAL)


FINAL = (JobStatus.DONE, JobStatus.DONE_ERRORS, JobStatus.FAILED)


class TestChildProcesses:
    def test_a_job_runs_in_a_child_process_and_its_remote_requests_reach_the_parent(
        self, service: Service, catalogs: CatalogServer
    ) -> None:
        catalogs.catalogs["child"] = Catalog(pages=2, per_page=3, delay=1.0)
        source_id = service.add_source("child", catalogs.url("child"))
        before = REMOTE_REQUESTS.labels("dcat", "200")._value.get()
        worker = worker_of(service)
        job_id = service.run(source_id)
        assert wait_until(lambda: worker.child_processes, CHILD_START)
        child = worker.child_processes[0]
        assert child.pid is not None
        assert child.pid != os.getpid()
        assert wait_until(lambda: status(service, job_id) == JobStatus.DONE, CHILD_START + 10)
        assert service.job(job_id).items_done == 6
        assert wait_until(lambda: not worker.child_processes, 5)
        assert not child.is_alive()
        assert child.exitcode == 0
        # The child's two page requests were added to the serving process's counter.
        assert REMOTE_REQUESTS.labels("dcat", "200")._value.get() - before == 2

    def test_a_killed_child_has_its_job_resumed_at_once_where_it_stopped(
        self, service: Service, catalogs: CatalogServer
    ) -> None:
        catalog = Catalog(pages=4, per_page=2, delay=1.0)
        catalogs.catalogs["killed"] = catalog
        source_id = service.add_source("killed", catalogs.url("killed"))
        worker = worker_of(service)
        job_id = service.run(source_id)
        # Page 1's items are committed once page 2 is fetched: kill after that.
        assert wait_until(lambda: service.job(job_id).items_done >= 2, CHILD_START + 10)
        child = worker.child_processes[0]
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        # Resumed by the worker itself, in a new child: the watchdog would wait
        # `job_stale_after` (600 s).
        assert wait_until(lambda: status(service, job_id) == JobStatus.DONE, CHILD_START + 20)
        job: HarvestJob = service.job(job_id)
        assert (job.resumes, job.items_done, job.items_total) == (1, 8, 8)
        with service.sessions() as session:
            remote_ids = [item.remote_id for item in items_repo.of_job(session, job_id)]
        assert remote_ids == dataset_ids("killed", catalog)
        # The resumed part started after the committed page 1: fewer pages than a full run.
        pages = [request.path for request in catalogs.requests()]
        assert pages.count("/killed/catalog.rdf") == 1
        (warning,) = job_errors(service, job_id)
        assert "exited with code -9" in warning
        assert "resumes where its last commit stopped (resume 1 of 3)" in warning

    def test_a_child_killed_once_too_often_fails_its_job_and_the_next_job_runs(
        self, service: Service, catalogs: CatalogServer
    ) -> None:
        worker = worker_of(service)
        harvest = worker.settings.harvest.model_copy(update={"max_resumes": 0})
        worker.settings = worker.settings.model_copy(update={"harvest": harvest})
        catalogs.catalogs["killed"] = Catalog(pages=3, per_page=2, delay=2.0)
        source_id = service.add_source("killed", catalogs.url("killed"))
        job_id = service.run(source_id)
        assert wait_until(lambda: running(service, job_id), CHILD_START)
        child = worker.child_processes[0]
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        assert wait_until(lambda: status(service, job_id) == JobStatus.FAILED, 10)
        assert any("exited with code -9" in message for message in job_errors(service, job_id))
        catalogs.catalogs["killed"] = Catalog(pages=1, per_page=2)
        again = service.run(source_id)
        assert wait_until(lambda: status(service, again) == JobStatus.DONE, CHILD_START + 10)

    def test_stopping_the_worker_ends_its_children(
        self, service: Service, catalogs: CatalogServer
    ) -> None:
        catalogs.catalogs["long"] = Catalog(pages=2, per_page=2, delay=30.0)
        source_id = service.add_source("long", catalogs.url("long"))
        worker = worker_of(service)
        job_id = service.run(source_id)
        assert wait_until(lambda: running(service, job_id), CHILD_START)
        pid = worker.child_processes[0].pid
        assert pid is not None
        worker.stop(wait=False)
        # Ended now, not after its 30 s pages (the worker's thread reaps it: no join here,
        # two threads waiting for one child would race for its exit status). The job waits
        # for the next start, to resume there.
        assert wait_until(lambda: not process_exists(pid), 10)
        assert wait_until(lambda: status(service, job_id) == JobStatus.PENDING, 10)
        assert any("worker was stopped" in message for message in job_errors(service, job_id))
        assert service.job(job_id).resumes == 1

    def test_a_stop_that_waits_still_ends_the_children_and_keeps_queued_jobs_pending(
        self, service: Service, catalogs: CatalogServer
    ) -> None:
        # One thread, so the second job queues behind the first.
        worker = worker_of(service)
        worker.stop(wait=False)
        worker.settings = worker.settings.model_copy(
            update={"harvest": worker.settings.harvest.model_copy(update={"worker_threads": 1})}
        )
        worker.start(resume_pending=False)
        catalogs.catalogs["first"] = Catalog(pages=2, per_page=2, delay=30.0)
        catalogs.catalogs["queued"] = Catalog(pages=1, per_page=2)
        first = service.run(service.add_source("first", catalogs.url("first")))
        queued = service.run(service.add_source("queued", catalogs.url("queued")))
        assert wait_until(lambda: running(service, first), CHILD_START)
        started = time.monotonic()
        worker.stop()  # as `moisson serve` does when it stops
        assert time.monotonic() - started < 15  # not the 60 s of the first job's pages
        assert status(service, first) == JobStatus.PENDING  # to resume at the next start
        assert status(service, queued) == JobStatus.PENDING


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class TestWorkerMode:
    @pytest.mark.parametrize(
        ("mode", "database_url", "expected"),
        [
            ("auto", "sqlite:///moisson.db", False),
            ("auto", "postgresql+psycopg://db/moisson", True),
            ("process", "sqlite:///moisson.db", True),
            ("thread", "postgresql+psycopg://db/moisson", False),
        ],
    )
    def test_the_mode_picks_child_processes(
        self, mode: str, database_url: str, expected: bool
    ) -> None:
        settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
        settings = settings.model_copy(
            update={"harvest": settings.harvest.model_copy(update={"worker_mode": mode})}
        )
        assert uses_child_processes(settings) is expected


@pytest.fixture
def assessing_service(tmp_path: Path) -> Iterator[Service]:
    """Jobs in child processes, assessed in a process of their own, URLs checked after."""
    quality = {
        "enabled": True,
        "separate_process": True,
        "url_checks": True,
        "url_checks_per_host_interval": 0.0,
        "url_checks_timeout": 2.0,
    }
    for url in suite_database(tmp_path, "moisson_assessing"):
        yield from make_service(url, harvest={"worker_mode": "process"}, quality=quality)


def test_a_child_job_is_assessed_in_its_own_process_and_its_urls_checked_after(
    assessing_service: Service, catalogs: CatalogServer
) -> None:
    service = assessing_service
    catalogs.catalogs["assessed"] = Catalog(pages=2, per_page=3)
    source_id = service.add_source("assessed", catalogs.url("assessed"))
    job_id = service.run(source_id)
    assert wait_until(lambda: status(service, job_id) == JobStatus.DONE, CHILD_START + 10)
    # Every URL answered (here 4xx/5xx: the catalog serves no files) and stored, after the job.
    assert wait_until(lambda: len(url_checks(service)) == 6 * RESOURCES_PER_DATASET, 20)
    assert all(code is not None and code >= 400 for code in url_checks(service).values())
    job = service.job(job_id)
    assert job.quality_assessed == 6  # by the assessment process of the job's child process
    with service.sessions() as session:
        rows = list(session.scalars(select(QualityAssessment)))
    assert len(rows) == 6
    for row in rows:  # re-scored from the stored evaluation: the URL metric is now known
        assert row.mqa is not None
        assert "downloadUrlStatusCode" not in row.mqa["unchecked"]
        assert "downloadUrlStatusCode" not in row.mqa["met"]


def url_checks(service: Service) -> dict[str, int | None]:
    with service.sessions() as session:
        return {row.url: row.status for row in session.scalars(select(UrlCheck))}
