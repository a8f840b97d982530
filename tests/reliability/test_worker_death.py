"""Data safety when the worker dies mid-job (SIGKILL) or the database drops its connections.

Every dataset must be wholly as before or wholly as after its item (title and resources of
one catalog version, never a mix, never without its resources); an item `done` must have
its dataset; the watchdog must put the dead job back to `pending`, and that job, run again,
must resume and recover: job done, one item per remote record, every dataset present once,
all of the new version.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import fresh_postgres_database
from tests.http_server import LoopbackServer, Reply, Seen, loopback_server
from tests.integration.harvest.conftest import make_org, make_source

from moisson.config import HttpSettings, Settings
from moisson.domain.enums import JobStatus
from moisson.harvest.engine import run_job
from moisson.harvest.watchdog import recover_stale_jobs
from moisson.services.runs import create_pending_job
from moisson.storage.base import Base, utcnow
from moisson.storage.models import (
    Dataset,
    HarvestErrorRow,
    HarvestItem,
    HarvestJob,
    HarvestSource,
    Resource,
)
from moisson.storage.session import make_engine, make_sessionmaker

N = 24
"""Datasets of the catalog."""
SHOW_DELAY = 0.03
"""Seconds each `package_show` takes: the job lasts long enough to be killed inside."""
JOB_PROCESS = Path(__file__).with_name("job_process.py")
SHOW = "/api/3/action/package_show"


def package(name: str, version: int) -> dict[str, object]:
    """Version 1 has one resource, version 2 two: a half-applied item would show."""
    return {
        "id": name,
        "name": name,
        "title": f"{name} v{version}",
        "resources": [
            {
                "id": f"{name}-{version}-{i}",
                "url": f"https://data.example.org/v{version}/{name}/{i}.csv",
                "title": f"{name} v{version} file {i}",
            }
            for i in range(version)
        ],
    }


def install_dkan(server: LoopbackServer, version: list[int]) -> None:
    names = [f"ds-{i:02d}" for i in range(N)]
    listing = json.dumps({"success": True, "result": names}).encode()
    server.script("/api/3/action/package_list", Reply(body=listing))

    def show(seen: Seen) -> Reply:
        name = parse_qs(urlsplit(seen.path).query)["id"][0]
        body = json.dumps({"success": True, "result": [package(name, version[0])]}).encode()
        return Reply(body=body, delay=SHOW_DELAY, headers={"Content-Type": "application/json"})

    server.script("/api/3/action/package_show", show)


def settings_for(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="testing",
        database_url=database_url,
        outbound_allow_networks=[ipaddress.IPv4Network("127.0.0.1/32")],
        http=HttpSettings(connect_timeout=2.0, read_timeout=5.0, max_retries=0),
    )


@contextmanager
def database(url: str) -> Iterator[tuple[Engine, sessionmaker[Session], Settings]]:
    settings = settings_for(url)
    engine = make_engine(settings)
    Base.metadata.create_all(engine)
    try:
        yield engine, make_sessionmaker(engine), settings
    finally:
        engine.dispose()


def expected_urls(dataset: Dataset) -> list[str]:
    """Version 1: its one file. Version 2: its two files, then version 1's (a harvest keeps
    resources gone from the remote, as udata does)."""
    name = str(dataset.harvest_remote_id)
    urls = [str(r["url"]) for r in package(name, 1)["resources"]]  # type: ignore[union-attr]
    if dataset.title.endswith(" v2"):
        urls = [str(r["url"]) for r in package(name, 2)["resources"]] + urls  # type: ignore[union-attr]
    return urls


def assert_consistent(factory: sessionmaker[Session], source_id: str, job_id: str) -> None:
    """Each dataset wholly of version 1 or 2; every `done` item's dataset of version 2."""
    with factory() as session:
        datasets = list(
            session.scalars(select(Dataset).where(Dataset.harvest_source_id == source_id))
        )
        assert sorted(d.harvest_remote_id or "" for d in datasets) == [
            f"ds-{i:02d}" for i in range(N)
        ]
        versions = {}
        for dataset in datasets:
            resources = list(
                session.scalars(
                    select(Resource)
                    .where(Resource.dataset_id == dataset.id)
                    .order_by(Resource.position)
                )
            )
            assert [r.url for r in resources] == expected_urls(dataset), dataset.title
            version = 1 if dataset.title.endswith(" v1") else 2
            versions[dataset.id] = version
        for item in session.scalars(select(HarvestItem).where(HarvestItem.job_id == job_id)):
            if item.status == "done":
                assert item.dataset_id in versions, "an item is done without its dataset"
                assert versions[item.dataset_id] == 2


def recover(
    factory: sessionmaker[Session], settings: Settings, source_id: str, killed: str
) -> None:
    """The watchdog puts the dead job back to `pending`; run again, the same job resumes,
    ends done and converges, with one item per remote record (a job killed before any
    commit starts from the beginning). A job the engine failed itself is followed by a new
    run; one killed after its end is run again as a no-op."""
    with factory() as session:
        job = session.get(HarvestJob, killed)
        assert job is not None
        if job.status in (JobStatus.INITIALIZED, JobStatus.PROCESSING):
            recovery = recover_stale_jobs(session, settings, now=utcnow() + timedelta(hours=1))
            session.commit()
            assert recovery.resumed == [killed]
            session.refresh(job)
            assert (job.status, job.resumes) == (JobStatus.PENDING, 1)
        elif job.status == JobStatus.FAILED:  # the engine itself ended it (database lost)
            source = session.get(HarvestSource, source_id)
            assert source is not None
            killed = create_pending_job(session, source).id
            session.commit()
    run_job(factory, settings, killed)
    with factory() as session:
        job = session.get(HarvestJob, killed)
        assert job is not None
        assert job.status == JobStatus.DONE
        assert job.cursor is None
        remote_ids = list(
            session.scalars(select(HarvestItem.remote_id).where(HarvestItem.job_id == killed))
        )
        assert sorted(remote_ids) == [f"ds-{i:02d}" for i in range(N)]
        assert job.items_total == job.items_done == N
        titles = sorted(
            session.scalars(select(Dataset.title).where(Dataset.harvest_source_id == source_id))
        )
        assert titles == sorted(f"ds-{i:02d} v2" for i in range(N))
        resources = session.scalar(
            select(func.count())
            .select_from(Resource)
            .join(Dataset)
            .where(Dataset.harvest_source_id == source_id)
        )
        assert resources == 3 * N  # two of version 2, the one of version 1 kept


def first_harvest(factory: sessionmaker[Session], settings: Settings, url: str) -> tuple[str, str]:
    """Harvest version 1 completely; return (source id, pending job id of the next run)."""
    with factory() as session:
        source = make_source(session, url=url, backend="dkan", organization=make_org(session))
        job = create_pending_job(session, source)
        session.commit()
        source_id, job_id = source.id, job.id
    run_job(factory, settings, job_id)
    with factory() as session:
        job = session.get(HarvestJob, job_id)
        assert job is not None
        assert job.status == JobStatus.DONE
        source = session.get(HarvestSource, job.source_id)
        assert source is not None
        next_job = create_pending_job(session, source)
        session.commit()
        return source_id, next_job.id


@pytest.mark.slow
def test_a_worker_killed_at_random_points_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(20240611)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    kill_points = []
    for iteration in range(4):
        url = f"sqlite:///{tmp_path / f'kill-{iteration}.db'}"
        with database(url) as (_engine, factory, settings), loopback_server({}) as server:
            version = [1]
            install_dkan(server, version)
            source_id, job_id = first_harvest(factory, settings, server.url("/"))
            version[0] = 2
            process = subprocess.Popen(  # noqa: S603 - our own script
                [sys.executable, str(JOB_PROCESS), url, job_id], env=env
            )
            # Progress is read on the remote, not in the database: the engine may commit
            # items in batches, so what the database shows lags what the worker is doing.
            before = server.seen(SHOW)
            target = rng.randrange(0, N)
            deadline = time.monotonic() + 30
            while server.seen(SHOW) - before < target and process.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.002)
            time.sleep(rng.uniform(0, SHOW_DELAY))
            process.kill()
            process.wait(timeout=10)
            with factory() as session:
                killed = session.get(HarvestJob, job_id)
                assert killed is not None
                kill_points.append((server.seen(SHOW) - before, killed.status))
            assert_consistent(factory, source_id, job_id)
            recover(factory, settings, source_id, job_id)
    # The kills landed inside the job, not all after it.
    assert any(status != JobStatus.DONE for _, status in kill_points), kill_points


POSTGRES_SERVER = os.environ.get(
    "MOISSON_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.mark.postgres
@pytest.mark.slow
def test_database_connections_dropped_mid_job(tmp_path: Path) -> None:
    """Always on a real PostgreSQL server, whatever database the rest of the suite uses."""
    name = f"moisson_reliability_{os.getpid()}"
    with (
        fresh_postgres_database(POSTGRES_SERVER, name) as url,
        database(url) as (engine, factory, settings),
        loopback_server({}) as server,
    ):
        assert engine.dialect.name == "postgresql"
        version = [1]
        install_dkan(server, version)
        source_id, job_id = first_harvest(factory, settings, server.url("/"))
        version[0] = 2
        running = threading.Event()
        running.set()
        raised: list[BaseException] = []

        def work() -> None:
            try:
                run_job(factory, settings, job_id)
            except BaseException as exc:  # the engine may not survive its connection dying
                raised.append(exc)
            finally:
                running.clear()

        thread = threading.Thread(target=work)
        thread.start()
        before = server.seen(SHOW)
        deadline = time.monotonic() + 30
        while server.seen(SHOW) - before < N // 3 and running.is_set():
            assert time.monotonic() < deadline
            time.sleep(0.002)
        # A connection of its own: between two batches the engine's connection waits in
        # the pool, where `engine.connect()` would take it instead of killing it.
        killer = create_engine(url)
        with killer.connect() as admin:
            terminated = admin.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
        killer.dispose()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert terminated
        # The engine itself ends the job (the watchdog is not needed): failed with a clear
        # error when the connection died inside a transaction, or done when it died idle in
        # the pool between two items (pre-ping reconnects).
        assert raised == []
        with factory() as session:
            job = session.get(HarvestJob, job_id)
            assert job is not None
            assert job.status in (JobStatus.FAILED, JobStatus.DONE)
            messages = list(
                session.scalars(
                    select(HarvestErrorRow.message).where(
                        HarvestErrorRow.job_id == job_id, HarvestErrorRow.item_id.is_(None)
                    )
                )
            )
            if job.status == JobStatus.FAILED:
                assert len(messages) == 1
                assert messages[0].startswith("The database connection was lost: ")
                assert "connection" in messages[0].removeprefix("The database connection")
            else:
                assert messages == []
        assert_consistent(factory, source_id, job_id)
        recover(factory, settings, source_id, job_id)
