"""Stopping `moisson serve` (SIGTERM) while a job runs in a child process, as real processes.

Uvicorn raises SIGTERM again once it has shut down, so whatever must happen at shutdown
happens in the app's lifespan: the worker ends its children and fails their jobs, saying why.
Nothing keeps harvesting after the server is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
from sqlalchemy import select
from tests.cli.test_serve_schema import POSTGRES_SERVER, free_port, serve
from tests.conftest import fresh_postgres_database
from tests.dcat_catalog import Catalog, catalog_server, wait_until
from tests.integration.tasks.test_job_processes import process_exists

from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.services.users import ensure_first_admin
from moisson.storage.migrate import upgrade
from moisson.storage.models import HarvestErrorRow, HarvestJob, HarvestSource
from moisson.storage.session import make_engine, make_sessionmaker, unit_of_work


def job_children(pid: int) -> list[int]:
    """The spawned job processes of `pid` (not multiprocessing's resource tracker)."""
    found = subprocess.run(  # noqa: S603 (a fixed command)
        ["pgrep", "-P", str(pid), "-f", "spawn_main"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return [int(line) for line in found.stdout.split()]


def test_sigterm_ends_the_running_jobs_child_and_keeps_its_job_to_resume(tmp_path: Path) -> None:
    configured = os.environ.get("MOISSON_TEST_DATABASE_URL", "")
    server = configured if configured.startswith("postgresql") else POSTGRES_SERVER
    with (
        catalog_server({"slow": Catalog(pages=3, per_page=2, delay=30.0)}) as catalogs,
        fresh_postgres_database(server, f"moisson_shutdown_{os.getpid()}") as url,
    ):
        upgrade(url)
        engine = make_engine(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
        sessions = make_sessionmaker(engine)
        with unit_of_work(sessions) as session:
            admin = ensure_first_admin(session, Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
            assert admin is not None
            source = HarvestSource(
                name="slow",
                slug="slow",
                url=catalogs.url("slow"),
                backend="dcat",
                validation_state="accepted",
                owner_id=admin.user.id,
            )
            session.add(source)
            session.flush()
            source_id, key = source.id, admin.api_key
        port = free_port()
        process = serve(url, port, OUTBOUND_ALLOW_NETWORKS="127.0.0.1/32")
        try:
            base = f"http://127.0.0.1:{port}/api/1/harvest"
            assert wait_until(lambda: answers(f"{base}/sources/"), 60), process.poll()
            run = httpx.post(f"{base}/source/{source_id}/run/", headers={"X-API-KEY": key})
            job_id = run.json()["last_job"]["id"]
            assert wait_until(lambda: job_children(process.pid), 30)
            child = job_children(process.pid)[0]

            def taken() -> bool:
                with sessions() as session:
                    job = session.get(HarvestJob, job_id)
                    return job is not None and job.status != JobStatus.PENDING

            assert wait_until(taken, 30)  # the child holds the job, waiting on page 1
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)  # not the 90 s of the job's pages
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        assert wait_until(lambda: not process_exists(child), 10)
        with sessions() as session:
            job = session.get(HarvestJob, job_id)
            assert job is not None
            # Back to the queue, to resume where its last commit stopped at the next start.
            assert job.status == JobStatus.PENDING
            errors = session.scalars(
                select(HarvestErrorRow.message).where(HarvestErrorRow.job_id == job_id)
            ).all()
        assert any("worker was stopped" in message for message in errors), errors
        engine.dispose()


def answers(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.TransportError:
        return False
