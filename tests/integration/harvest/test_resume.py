"""A job whose worker died resumes where its last commit stopped (`moisson.harvest.resumption`).

The worker's death is an exception no handler of the engine catches (`WorkerDied`, a
`BaseException`, as a SIGKILL leaves no chance to clean up), raised by the remote when a given
page is asked for: the batches committed before it stay, the transaction in progress is lost.
The real thing, a SIGKILLed process, is in `tests/integration/tasks` and `tests/reliability`.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from tests.dcat_catalog import Catalog, catalog_page, dataset_ids
from tests.integration.harvest.conftest import make_org, make_source

from moisson.config import Settings
from moisson.domain.enums import ErrorLevel, ItemStatus, JobStatus
from moisson.harvest.engine import run_job
from moisson.harvest.watchdog import recover_stale_jobs
from moisson.services.runs import create_pending_job
from moisson.storage.base import utcnow
from moisson.storage.models import (
    Dataset,
    HarvestErrorRow,
    HarvestItem,
    HarvestJob,
    HarvestRecord,
    HarvestSource,
)

BASE = "http://remote.test"
KEY = "cat"


class WorkerDied(BaseException):
    """The worker vanished: nothing in the engine may handle this."""


class Remote:
    """The catalog over a mock transport; records the pages asked for, can die at a page or
    refuse one once."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.requested: list[int] = []
        self.die_at: int | None = None
        self.gone: set[int] = set()

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self._answer))

    def _answer(self, request: httpx.Request) -> httpx.Response:
        page = int(parse_qs(urlsplit(str(request.url)).query).get("page", ["1"])[0])
        self.requested.append(page)
        if page == self.die_at:
            self.die_at = None
            raise WorkerDied
        if page in self.gone:  # an expired paging token: refused once
            self.gone.discard(page)
            return httpx.Response(404, text="this page link has expired")
        if page > self.catalog.pages:
            return httpx.Response(404, text="no such page")
        body = catalog_page(BASE, KEY, self.catalog, page)
        return httpx.Response(200, content=body, headers={"Content-Type": "application/rdf+xml"})


@pytest.fixture
def archiving(settings: Settings) -> Settings:
    """Autoarchive with no grace period, so a dataset missing from the run is archived."""
    harvest = settings.harvest.model_copy(update={"autoarchive_grace_days": 0})
    return settings.model_copy(update={"harvest": harvest})


def start(db: Session, source: HarvestSource) -> str:
    job = create_pending_job(db, source)
    db.commit()
    return job.id


def run(
    factory: sessionmaker[Session], settings: Settings, job_id: str, remote: Remote
) -> Callable[[], None]:
    return lambda: run_job(factory, settings, job_id, http=remote.client())


def dcat_source(db: Session) -> HarvestSource:
    return make_source(
        db, url=f"{BASE}/{KEY}/catalog.rdf", backend="dcat", organization=make_org(db)
    )


def killed_at_page_4(
    db: Session, factory: sessionmaker[Session], settings: Settings, remote: Remote
) -> str:
    """A job of a new source whose worker died fetching page 4, found by the watchdog."""
    remote.die_at = 4
    job_id = start(db, dcat_source(db))
    kill_then_recover(db, factory, settings, remote, job_id)
    return job_id


def job_of(db: Session, job_id: str) -> HarvestJob:
    db.expire_all()
    job = db.get(HarvestJob, job_id)
    assert job is not None
    return job


def item_ids(db: Session, job_id: str) -> list[str | None]:
    stmt = select(HarvestItem.remote_id).where(HarvestItem.job_id == job_id)
    return list(db.scalars(stmt.order_by(HarvestItem.seq)))


def job_warnings(db: Session, job_id: str) -> list[str]:
    stmt = select(HarvestErrorRow.message).where(
        HarvestErrorRow.job_id == job_id, HarvestErrorRow.level == ErrorLevel.WARNING
    )
    return list(db.scalars(stmt))


def kill_then_recover(
    db: Session, factory: sessionmaker[Session], settings: Settings, remote: Remote, job_id: str
) -> HarvestJob:
    """Run the job until the worker dies at `remote.die_at`, then let the watchdog find it."""
    with pytest.raises(WorkerDied):
        run(factory, settings, job_id, remote)()
    killed = job_of(db, job_id)
    assert killed.status in (JobStatus.INITIALIZED, JobStatus.PROCESSING)
    recovery = recover_stale_jobs(db, settings, now=utcnow() + timedelta(hours=1))
    db.commit()
    assert recovery.resumed == [job_id]
    return job_of(db, job_id)


def test_a_killed_job_resumes_at_its_last_commit_and_autoarchive_sees_the_whole_run(
    db: Session, session_factory: sessionmaker[Session], archiving: Settings
) -> None:
    remote = Remote(Catalog(pages=6, per_page=4))
    source = dcat_source(db)
    source.autoarchive = True
    db.commit()
    run(session_factory, archiving, start(db, source), remote)()
    long_ago = utcnow() - timedelta(days=3)  # harvested before the grace cutoff (midnight)
    db.execute(
        update(Dataset)
        .where(Dataset.harvest_source_id == source.id)
        .values(harvest_last_update=long_ago)
    )
    db.execute(
        update(HarvestRecord)
        .where(HarvestRecord.source_id == source.id)
        .values(updated_at=long_ago)
    )
    db.commit()
    # The remote loses its last page; the next run dies while fetching page 4.
    remote.catalog = Catalog(pages=5, per_page=4)
    remote.requested.clear()
    remote.die_at = 4
    job_id = start(db, source)

    resumed = kill_then_recover(db, session_factory, archiving, remote, job_id)
    first_part = item_ids(db, job_id)
    # Pages 1-2 were committed; page 3's records wait for page 4 to be fetched (the engine's
    # batches end where the next page starts), so they died with the worker. The last record
    # committed ended page 2: the cursor names page 3.
    assert first_part == dataset_ids(KEY, remote.catalog)[:8]
    assert resumed.status == JobStatus.PENDING
    assert resumed.cursor == {
        "at": {"url": f"{BASE}/{KEY}/catalog.rdf?page=3", "page": 2},
        "unreadable": 0,
    }
    started = resumed.started
    remote.requested.clear()
    run(session_factory, archiving, job_id, remote)()

    job = job_of(db, job_id)
    assert job.status == JobStatus.DONE
    assert (job.resumes, job.cursor, job.started) == (1, None, started)
    # Pages 3 to 5: not pages 1 and 2, which the first part committed.
    assert remote.requested == [3, 4, 5]
    items = item_ids(db, job_id)
    done = [remote_id for remote_id in items if remote_id in set(dataset_ids(KEY, remote.catalog))]
    assert done == dataset_ids(KEY, remote.catalog)  # each record once, in catalog order
    assert (job.items_done, job.items_unchanged) == (20, 20)
    # Autoarchive decided on the whole run: the 4 datasets the remote lost are archived, none
    # of the 8 that only the first part saw.
    archived = db.scalars(
        select(HarvestItem.remote_id).where(
            HarvestItem.job_id == job_id, HarvestItem.status == ItemStatus.ARCHIVED
        )
    ).all()
    assert sorted(archived) == sorted(dataset_ids(KEY, Catalog(pages=6, per_page=4))[20:])
    assert job.items_total == 24
    live = db.scalars(
        select(Dataset.harvest_remote_id).where(
            Dataset.harvest_source_id == source.id, Dataset.archived_at.is_(None)
        )
    ).all()
    assert sorted(live) == sorted(dataset_ids(KEY, remote.catalog))
    (warning,) = job_warnings(db, job_id)
    assert "resumes where its last commit stopped (resume 1 of 3)" in warning


def test_a_cursor_the_remote_refuses_makes_the_job_read_the_catalog_again_and_say_so(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    remote = Remote(Catalog(pages=5, per_page=4))
    job_id = killed_at_page_4(db, session_factory, settings, remote)
    remote.gone = {3}  # the link the cursor names expired
    remote.requested.clear()
    run(session_factory, settings, job_id, remote)()

    job = job_of(db, job_id)
    assert job.status == JobStatus.DONE
    # Page 3 refused, then the catalog from page 1; pages 1 and 2 add nothing new.
    assert remote.requested == [3, 1, 2, 3, 4, 5]
    assert item_ids(db, job_id) == dataset_ids(KEY, remote.catalog)
    warnings = job_warnings(db, job_id)
    assert any("could not resume where it stopped" in w and "HTTP 404" in w for w in warnings)
    assert any("8 record(s) this job already harvested" in w for w in warnings)


def test_a_complete_restart_harvests_nothing_twice(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    remote = Remote(Catalog(pages=5, per_page=4))
    job_id = killed_at_page_4(db, session_factory, settings, remote)
    # A cursor the backend cannot read at all (written by another version, say).
    job = job_of(db, job_id)
    job.cursor = {"at": {"page": "three"}, "unreadable": 0}
    db.commit()
    run(session_factory, settings, job_id, remote)()

    job = job_of(db, job_id)
    assert job.status == JobStatus.DONE
    assert item_ids(db, job_id) == dataset_ids(KEY, remote.catalog)
    assert job.items_done == 20
    assert any("could not resume" in w for w in job_warnings(db, job_id))


class TestRedeliveredTask:
    """A broker hands the task of a dead worker out again: `run_job` is called for a job that
    still looks held."""

    def held_job(self, db: Session, worker: str) -> str:
        job_id = start(db, dcat_source(db))
        job = job_of(db, job_id)
        job.status = JobStatus.PROCESSING
        job.started = job.heartbeat_at = utcnow()  # fresh: the watchdog would wait
        job.worker = worker
        db.commit()
        return job_id

    def test_a_job_whose_process_is_gone_is_taken_up_at_once(
        self, db: Session, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        gone = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        job_id = self.held_job(db, f"{socket.gethostname()}:{gone.stdout.strip()}:1")
        remote = Remote(Catalog(pages=2, per_page=3))
        run(session_factory, settings, job_id, remote)()
        job = job_of(db, job_id)
        assert (job.status, job.resumes, job.items_done) == (JobStatus.DONE, 1, 6)
        (warning,) = job_warnings(db, job_id)
        assert f"(pid {gone.stdout.strip()}) is gone" in warning

    def test_a_job_held_by_a_live_process_is_left_alone(
        self, db: Session, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            job_id = self.held_job(db, f"{socket.gethostname()}:{live.pid}:1")
            remote = Remote(Catalog(pages=2, per_page=3))
            run(session_factory, settings, job_id, remote)()
        finally:
            live.kill()
            live.wait()
        job = job_of(db, job_id)
        assert (job.status, job.resumes, job.items_total) == (JobStatus.PROCESSING, 0, 0)
        assert remote.requested == []
