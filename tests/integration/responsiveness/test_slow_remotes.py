"""The API never waits for a harvest: jobs waiting on slow loopback catalogs, requests timed.

A real app (`create_app`) with the in-process worker, on a fresh database of the kind the
suite runs on (a SQLite file, or a PostgreSQL database of its own), harvesting generated
DCAT catalogs whose every page takes seconds to arrive. The bounds asserted are generous
(a second where a request normally takes milliseconds): they catch a request that queues
behind a remote, not a slow machine. `bench/bench_api_latency.py` measures the latencies.
"""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import fresh_postgres_database
from tests.dcat_catalog import Catalog, CatalogServer, catalog_server, wait_until

from moisson.api import create_app
from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.services.users import ensure_first_admin
from moisson.storage.migrate import upgrade
from moisson.storage.models import Dataset, HarvestJob, HarvestSource
from moisson.storage.session import make_engine, make_sessionmaker, unit_of_work
from moisson.tasks.local import LocalWorker

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PROMPT = 1.0
"""Seconds within which a request must answer while a job waits on a remote."""
PAGE_DELAY = 3.0
"""Seconds each catalog page takes: longer than the lock timeout below."""
LOCK_TIMEOUT = 1.0


def suite_database(tmp_path: Path, name: str) -> Iterator[str]:
    configured = os.environ.get("MOISSON_TEST_DATABASE_URL", "")
    if configured.startswith("postgresql"):
        with fresh_postgres_database(configured, f"{name}_{os.getpid()}"[:63]) as url:
            upgrade(url)
            yield url
        return
    url = f"sqlite:///{tmp_path / 'moisson.db'}"
    upgrade(url)
    yield url


@dataclass
class Service:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    client: TestClient
    headers: dict[str, str]
    owner_id: str

    def add_source(self, name: str, url: str) -> str:
        with unit_of_work(self.sessions) as session:
            source = HarvestSource(
                name=name,
                slug=name,
                url=url,
                backend="dcat",
                validation_state="accepted",
                owner_id=self.owner_id,
            )
            session.add(source)
            session.flush()
            return source.id

    def run(self, source_id: str) -> str:
        response = self.client.post(f"/api/1/harvest/source/{source_id}/run/", headers=self.headers)
        assert response.status_code == 200, response.text
        return str(response.json()["last_job"]["id"])

    def warm_up(self, source_id: str) -> None:
        """One request of each kind first: a process's first call of a route is slow."""
        path = f"/api/1/harvest/source/{source_id}/"
        assert self.client.get("/api/1/harvest/sources/").status_code == 200
        assert self.client.get("/metrics").status_code == 200
        put = self.client.put(path, json={"description": "warm"}, headers=self.headers)
        assert put.status_code == 200

    def job(self, job_id: str) -> HarvestJob:
        with self.sessions() as session:
            job = session.get(HarvestJob, job_id)
            assert job is not None
            return job


def make_service(
    database_url: str,
    harvest: dict[str, object] | None = None,
    quality: dict[str, object] | None = None,
    **database: float,
) -> Iterator[Service]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="testing",
        database_url=database_url,
        outbound_allow_networks=[ipaddress.IPv4Network("127.0.0.1/32")],
    )
    settings = settings.model_copy(
        update={
            "database": settings.database.model_copy(update=database),
            "harvest": settings.harvest.model_copy(update={"worker_threads": 2, **(harvest or {})}),
            "quality": settings.quality.model_copy(update=quality or {}),
        }
    )
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    with unit_of_work(sessions) as session:
        admin = ensure_first_admin(session, settings)
    assert admin is not None
    worker = LocalWorker(sessions, settings)
    worker.start()
    client = TestClient(create_app(settings, session_factory=sessions, runner=worker))
    try:
        yield Service(
            settings, engine, sessions, client, {"X-API-KEY": admin.api_key}, admin.user.id
        )
    finally:
        client.close()
        worker.stop(wait=False)
        engine.dispose()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    for url in suite_database(tmp_path, "moisson_slow"):
        yield from make_service(url, lock_timeout=LOCK_TIMEOUT)


@pytest.fixture
def catalogs() -> Iterator[CatalogServer]:
    with catalog_server({}) as server:
        yield server


def self_sessions(service: Service) -> Session:
    return service.sessions()


def timed(call: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    result = call()
    return time.monotonic() - started, result


class TestApiWhileJobsWait:
    def test_reads_and_writes_answer_at_once_while_a_page_is_slower_than_the_lock_timeout(
        self, service: Service, catalogs: CatalogServer
    ) -> None:
        catalogs.catalogs["slow"] = Catalog(pages=2, per_page=5, delay=PAGE_DELAY)
        busy = service.add_source("slow", catalogs.url("slow"))
        idle = service.add_source("idle", "https://example.org/catalog.rdf")
        service.warm_up(idle)
        job_id = service.run(busy)
        # While the first page is awaited, then while the second is (items written between).
        # The job's own time (a child process to start, two slow pages) is bounded loosely:
        # on a loaded machine it can take seconds more; what is timed strictly is the API.
        calls = 0
        deadline = time.monotonic() + 2 * PAGE_DELAY + 10
        while time.monotonic() < deadline and service.job(job_id).status != JobStatus.DONE:
            for method, path, body in (
                ("GET", "/api/1/harvest/sources/", None),
                ("GET", f"/api/1/harvest/job/{job_id}/", None),
                ("GET", "/metrics", None),
                ("PUT", f"/api/1/harvest/source/{idle}/", {"description": f"edit {calls}"}),
            ):
                started = time.monotonic()
                response = service.client.request(method, path, json=body, headers=service.headers)
                elapsed = time.monotonic() - started
                assert response.status_code == 200, (method, path, response.text)
                assert elapsed < PROMPT, (method, path, elapsed)
                calls += 1
            time.sleep(0.2)
        final = service.job(job_id)
        assert final.status == JobStatus.DONE
        assert final.items_done == 10
        assert calls >= 4 * 10  # the loop ran for the whole job, the 3 s waits included

    def test_two_slow_jobs_of_the_worker_progress_together(
        self, service: Service, catalogs: CatalogServer
    ) -> None:
        catalogs.catalogs["one"] = Catalog(pages=2, per_page=3, delay=2.0)
        catalogs.catalogs["two"] = Catalog(pages=2, per_page=3, delay=2.0)
        jobs = [service.run(service.add_source(key, catalogs.url(key))) for key in ("one", "two")]
        # Taken by the worker first: in `process` mode a job's child needs a moment to start.
        assert wait_until(
            lambda: all(service.job(j).status != JobStatus.PENDING for j in jobs), 20.0
        )
        started = time.monotonic()

        def both_past_their_first_page() -> bool:
            return all(service.job(job_id).items_total >= 3 for job_id in jobs)

        assert wait_until(both_past_their_first_page, 2 * 2.0 + 1.5)
        # Side by side, not one after the other: both were past page 1 before either could
        # have fetched two pages more.
        assert time.monotonic() - started < 3 * 2.0
        assert wait_until(
            lambda: all(service.job(j).status == JobStatus.DONE for j in jobs), 3 * 2.0 + 5
        )

    def test_a_preview_waiting_on_its_remote_holds_no_lock(
        self, service: Service, catalogs: CatalogServer
    ) -> None:
        catalogs.catalogs["preview"] = Catalog(pages=1, per_page=4, delay=PAGE_DELAY)
        slow = service.add_source("preview", catalogs.url("preview"))
        idle = service.add_source("other", "https://example.org/catalog.rdf")
        service.warm_up(idle)
        answers: list[httpx.Response] = []
        preview = threading.Thread(
            target=lambda: answers.append(
                service.client.get(
                    f"/api/1/harvest/source/{slow}/preview/", headers=service.headers
                )
            )
        )
        preview.start()
        time.sleep(1.0)  # the preview is now waiting for its page
        started = time.monotonic()
        response = service.client.put(
            f"/api/1/harvest/source/{idle}/",
            json={"description": "meanwhile"},
            headers=service.headers,
        )
        elapsed = time.monotonic() - started
        preview.join(timeout=PAGE_DELAY + 10)
        assert response.status_code == 200
        assert elapsed < PROMPT
        assert answers, "the preview never answered"
        assert answers[0].status_code == 200, answers[0].text
        assert len(answers[0].json()["items"]) == 4  # the preview saw its records...
        with self_sessions(service) as session:  # ...and left nothing behind
            assert session.scalar(select(func.count()).select_from(Dataset)) == 0


class TestLockTimeout:
    def test_a_write_that_cannot_get_the_lock_is_a_503_with_retry_after(
        self, service: Service
    ) -> None:
        idle = service.add_source("locked", "https://example.org/catalog.rdf")
        path = f"/api/1/harvest/source/{idle}/"
        hold = service.engine.connect()
        try:
            # Another writer holding what the request needs: the database's write lock on
            # SQLite, the source's row on PostgreSQL.
            if service.settings.is_sqlite:
                hold.exec_driver_sql("SELECT 1")  # a write transaction: BEGIN IMMEDIATE
            else:
                hold.execute(
                    select(HarvestSource.id).where(HarvestSource.id == idle).with_for_update()
                )
            read_time, read = timed(lambda: service.client.get(path))
            assert read.status_code == 200
            assert read_time < PROMPT  # reads never wait for writers
            elapsed, response = timed(
                lambda: service.client.put(
                    path, json={"description": "blocked"}, headers=service.headers
                )
            )
        finally:
            hold.rollback()
            hold.close()
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "2"
        assert response.json() == {"message": "The database is busy; retry in a moment"}
        assert LOCK_TIMEOUT * 0.8 <= elapsed < LOCK_TIMEOUT + PROMPT
        again = service.client.put(path, json={"description": "free"}, headers=service.headers)
        assert again.status_code == 200


@pytest.fixture
def pg_service() -> Iterator[Service]:
    configured = os.environ.get("MOISSON_TEST_DATABASE_URL", "")
    server = configured if configured.startswith("postgresql") else DEFAULT_POSTGRES
    with fresh_postgres_database(server, f"moisson_idle_{os.getpid()}") as url:
        upgrade(url)
        yield from make_service(url)


def test_no_postgres_session_idles_in_a_transaction_while_a_job_waits(
    pg_service: Service, catalogs: CatalogServer
) -> None:
    catalogs.catalogs["slow"] = Catalog(pages=3, per_page=5, delay=2.0)
    job_id = pg_service.run(pg_service.add_source("slow", catalogs.url("slow")))
    worst = 0.0
    samples = 0
    with pg_service.engine.connect() as probe:
        probe = probe.execution_options(isolation_level="AUTOCOMMIT")
        while pg_service.job(job_id).status not in {JobStatus.DONE, JobStatus.FAILED}:
            idle = probe.execute(
                text(
                    "SELECT coalesce(max(extract(epoch FROM now() - state_change)), 0) "
                    "FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
            worst = max(worst, float(idle))
            samples += 1
            time.sleep(0.1)
    assert pg_service.job(job_id).status == JobStatus.DONE
    assert samples > 30  # sampled through the 6 s of page waits
    assert worst < 1.0  # never idle in a transaction while the remote is awaited
