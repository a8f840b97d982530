"""One active job per source, the watchdog, and the in-process worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from tests.fakes import FakeRecord, catalog_transport, fake_backend
from tests.integration.harvest.conftest import make_source

from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.errors import Conflict
from moisson.harvest.watchdog import recover_stale_jobs
from moisson.services.runs import create_pending_job
from moisson.storage.base import utcnow
from moisson.storage.models import Dataset, HarvestErrorRow, HarvestJob
from moisson.tasks.local import LocalWorker


class TestOneActiveJob:
    def test_a_second_job_is_a_conflict(self, db: Session) -> None:
        source = make_source(db)
        create_pending_job(db, source)
        with pytest.raises(Conflict) as info:
            create_pending_job(db, source)
        assert info.value.status_code == 409

    def test_the_database_refuses_two_active_jobs(self, db: Session) -> None:
        source = make_source(db)
        db.add(HarvestJob(source_id=source.id, status=JobStatus.INITIALIZED))
        db.flush()
        with pytest.raises(IntegrityError), db.begin_nested():
            db.add(HarvestJob(source_id=source.id, status=JobStatus.PENDING))

    def test_finished_jobs_do_not_block(self, db: Session) -> None:
        source = make_source(db)
        db.add(HarvestJob(source_id=source.id, status=JobStatus.DONE))
        db.add(HarvestJob(source_id=source.id, status=JobStatus.FAILED))
        db.flush()
        assert create_pending_job(db, source).status == JobStatus.PENDING


class TestWatchdog:
    def test_a_silent_job_goes_back_to_pending_to_resume(
        self, db: Session, settings: Settings
    ) -> None:
        source = make_source(db)
        long_ago = utcnow() - timedelta(seconds=settings.harvest.job_stale_after + 60)
        stale = HarvestJob(
            source_id=source.id,
            status=JobStatus.PROCESSING,
            started=long_ago,
            heartbeat_at=long_ago,
            worker="elsewhere:1:1",
            cursor={"at": {"start": 40}, "unreadable": 0},
        )
        db.add(stale)
        db.flush()
        recovery = recover_stale_jobs(db, settings)
        assert (recovery.resumed, recovery.failed) == ([stale.id], [])
        assert (stale.status, stale.resumes, stale.worker) == (JobStatus.PENDING, 1, None)
        assert stale.started == long_ago  # the run's start is the first part's
        assert stale.cursor == {"at": {"start": 40}, "unreadable": 0}
        assert stale.ended is None
        message = db.scalars(
            select(HarvestErrorRow.message).where(HarvestErrorRow.job_id == stale.id)
        ).one()
        assert "stopped responding" in message
        assert "resumes where its last commit stopped (resume 1 of 3)" in message
        # Still the source's active job: no second run can start beside it.
        with pytest.raises(Conflict):
            create_pending_job(db, source)

    def test_a_job_resumed_max_resumes_times_is_failed_and_the_source_can_run_again(
        self, db: Session, settings: Settings
    ) -> None:
        source = make_source(db)
        long_ago = utcnow() - timedelta(seconds=settings.harvest.job_stale_after + 60)
        stale = HarvestJob(
            source_id=source.id,
            status=JobStatus.INITIALIZED,
            started=long_ago,
            heartbeat_at=long_ago,
            resumes=settings.harvest.max_resumes,
            cursor={"at": None, "unreadable": 0},
        )
        db.add(stale)
        db.flush()
        recovery = recover_stale_jobs(db, settings)
        assert (recovery.resumed, recovery.failed) == ([], [stale.id])
        assert stale.status == JobStatus.FAILED
        assert stale.ended is not None
        assert stale.cursor is None
        message = db.scalars(
            select(HarvestErrorRow.message).where(HarvestErrorRow.job_id == stale.id)
        ).one()
        assert "stopped responding" in message
        assert "resumed 3 time(s) already" in message
        assert create_pending_job(db, source).status == JobStatus.PENDING

    def test_a_job_whose_process_on_this_host_is_gone_resumes_without_waiting(
        self, db: Session, settings: Settings
    ) -> None:
        dead = subprocess.Popen([sys.executable, "-c", ""])
        dead.wait()
        live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            jobs = {}
            for name, pid in (("dead", dead.pid), ("live", live.pid), ("mine", os.getpid())):
                job = HarvestJob(
                    source_id=make_source(db).id,
                    status=JobStatus.INITIALIZED,
                    heartbeat_at=utcnow(),  # fresh: only the missing process tells
                    worker=f"{socket.gethostname()}:{pid}:1",
                )
                db.add(job)
                jobs[name] = job
            elsewhere = HarvestJob(
                source_id=make_source(db).id,
                status=JobStatus.INITIALIZED,
                heartbeat_at=utcnow(),
                worker=f"not-{socket.gethostname()}:{dead.pid}:1",
            )
            db.add(elsewhere)
            db.flush()
            recovery = recover_stale_jobs(db, settings)
        finally:
            live.kill()
            live.wait()
        assert (recovery.resumed, recovery.failed) == ([jobs["dead"].id], [])
        assert jobs["dead"].status == JobStatus.PENDING
        assert all(
            job.status == JobStatus.INITIALIZED for job in (jobs["live"], jobs["mine"], elsewhere)
        )

    def test_with_resuming_off_a_silent_job_fails(self, db: Session, settings: Settings) -> None:
        no_resume = settings.model_copy(
            update={"harvest": settings.harvest.model_copy(update={"max_resumes": 0})}
        )
        source = make_source(db)
        long_ago = utcnow() - timedelta(seconds=settings.harvest.job_stale_after + 60)
        stale = HarvestJob(source_id=source.id, status=JobStatus.INITIALIZED, heartbeat_at=long_ago)
        db.add(stale)
        db.flush()
        assert recover_stale_jobs(db, no_resume).failed == [stale.id]
        assert stale.status == JobStatus.FAILED

    def test_a_queued_job_waits_longer_than_a_running_one(
        self, db: Session, settings: Settings
    ) -> None:
        source = make_source(db)
        queued_for = timedelta(seconds=settings.harvest.job_stale_after + 60)
        queued = HarvestJob(
            source_id=source.id, status=JobStatus.PENDING, created=utcnow() - queued_for
        )
        db.add(queued)
        db.flush()
        assert recover_stale_jobs(db, settings).failed == []
        lost = utcnow() + timedelta(seconds=settings.harvest.pending_job_timeout)
        recovery = recover_stale_jobs(db, settings, now=lost)
        assert (recovery.failed, recovery.resumed) == ([queued.id], [])
        message = db.scalars(
            select(HarvestErrorRow.message).where(HarvestErrorRow.job_id == queued.id)
        ).one()
        assert "No worker took this job" in message

    def test_a_live_job_is_left_alone(self, db: Session, settings: Settings) -> None:
        source = make_source(db)
        live = HarvestJob(source_id=source.id, status=JobStatus.INITIALIZED, heartbeat_at=utcnow())
        db.add(live)
        db.flush()
        recovery = recover_stale_jobs(db, settings)
        assert (recovery.failed, recovery.resumed) == ([], [])
        assert live.status == JobStatus.INITIALIZED


class TestLocalWorker:
    def test_a_submitted_job_runs_to_completion(
        self, committed_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        backend = fake_backend([FakeRecord("1"), FakeRecord("2")])
        worker = LocalWorker(
            committed_factory,
            settings,
            backend_registry={"fake": backend},
            http=httpx.Client(transport=catalog_transport({})),
        )
        with committed_factory() as db:
            source = make_source(db)
            job = create_pending_job(db, source)
            db.commit()
            job_id = job.id
        worker.start()
        try:
            worker.submit(job_id).result(timeout=30)
        finally:
            worker.stop()
        with committed_factory() as db:
            finished = db.get(HarvestJob, job_id)
            assert finished is not None
            assert finished.status == JobStatus.DONE
            assert finished.items_done == 2
            assert len(db.scalars(select(Dataset)).all()) == 2

    def test_pending_jobs_are_resumed_on_start_and_heartbeats_refreshed(
        self, committed_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        fast = settings.model_copy(
            update={"harvest": settings.harvest.model_copy(update={"heartbeat_interval": 0.05})}
        )
        backend = fake_backend([FakeRecord("1")])
        with committed_factory() as db:
            job_id = create_pending_job(db, make_source(db)).id
            db.commit()
        worker = LocalWorker(
            committed_factory,
            fast,
            backend_registry={"fake": backend},
            http=httpx.Client(transport=catalog_transport({})),
        )
        worker.start()
        try:
            deadline = time.monotonic() + 30
            while not status_of(committed_factory, job_id).is_final:
                assert time.monotonic() < deadline, "the resumed job never finished"
                time.sleep(0.05)
        finally:
            worker.stop()
        with committed_factory() as db:
            job = db.get(HarvestJob, job_id)
            assert job is not None
            assert job.status == JobStatus.DONE
            assert job.heartbeat_at is not None


def status_of(factory: sessionmaker[Session], job_id: str) -> JobStatus:
    with factory() as db:
        return JobStatus(db.scalars(select(HarvestJob.status).where(HarvestJob.id == job_id)).one())
