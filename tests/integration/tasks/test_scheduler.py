"""The scheduler against a real database: due sources become pending jobs, exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.factories import SourceFactory, stored

from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.services.scheduling import set_schedule
from moisson.storage.models import HarvestJob, HarvestSource
from moisson.tasks.scheduler import Scheduler

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class RecordingRunner:
    """Stands in for the job queue: records what the scheduler submits."""

    def __init__(self) -> None:
        self.submitted: list[str] = []
        self.lock = threading.Lock()

    def submit(self, job_id: str) -> None:
        with self.lock:
            self.submitted.append(job_id)


def add_source(session: Session, name: str, *, due: bool = True, **kwargs: object) -> HarvestSource:
    values: dict[str, object] = {"validation_state": "accepted", **kwargs}
    source = SourceFactory.build(name=name, slug=name.lower(), **values)
    set_schedule(source, cron="0 * * * *", now=NOW - timedelta(hours=2))
    if not due:
        source.next_run_at = NOW + timedelta(minutes=5)
    return stored(session, source)


class TestTick:
    def test_due_sources_get_one_pending_job_each(
        self, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        with session_factory() as session:
            due = add_source(session, "Due")
            add_source(session, "Later", due=False)
            add_source(session, "Refused", validation_state="refused")
            add_source(session, "Inactive", active=False)
            add_source(session, "Deleted", deleted_at=NOW)
            session.commit()
        runner = RecordingRunner()

        job_ids = Scheduler(session_factory, runner, settings, clock=lambda: NOW).tick()

        assert runner.submitted == job_ids
        with session_factory() as session:
            jobs = session.scalars(select(HarvestJob)).all()
            assert [(j.source_id, j.status) for j in jobs] == [(due.id, JobStatus.PENDING)]
            refreshed = session.get(HarvestSource, due.id)
            assert refreshed is not None
            assert refreshed.next_run_at == datetime(2026, 11, 28, 13, 0, tzinfo=UTC)

    def test_a_second_tick_at_the_same_time_enqueues_nothing(
        self, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        with session_factory() as session:
            add_source(session, "Due")
            session.commit()
        scheduler = Scheduler(session_factory, RecordingRunner(), settings, clock=lambda: NOW)
        assert len(scheduler.tick()) == 1
        assert scheduler.tick() == []

    def test_a_source_still_running_is_not_enqueued_again(
        self, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        with session_factory() as session:
            source = add_source(session, "Busy")
            session.add(HarvestJob(source_id=source.id, status=JobStatus.INITIALIZED))
            session.commit()
        assert (
            Scheduler(session_factory, RecordingRunner(), settings, clock=lambda: NOW).tick() == []
        )
        with session_factory() as session:
            assert session.scalar(select(func.count()).select_from(HarvestJob)) == 1


class TestConcurrentSchedulers:
    def test_two_schedulers_never_enqueue_a_source_twice(
        self, committed_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        with committed_factory() as session:
            for index in range(20):
                add_source(session, f"Source{index}")
            session.commit()
        runner = RecordingRunner()
        schedulers = [
            Scheduler(committed_factory, runner, settings, clock=lambda: NOW) for _ in range(2)
        ]
        barrier = threading.Barrier(len(schedulers))

        def tick(scheduler: Scheduler) -> None:
            barrier.wait()
            scheduler.tick()

        threads = [threading.Thread(target=tick, args=(s,)) for s in schedulers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # A scheduler that lost the race on SQLite skipped its tick; run one more round.
        for scheduler in schedulers:
            scheduler.tick()

        with committed_factory() as session:
            per_source = session.execute(
                select(HarvestJob.source_id, func.count()).group_by(HarvestJob.source_id)
            ).all()
        assert len(per_source) == 20
        assert all(count == 1 for _, count in per_source)
        assert len(runner.submitted) == 20


class TestHousekeeping:
    def test_the_watchdog_runs_when_asked(
        self, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        with session_factory() as session:
            source = add_source(session, "Dead", due=False)
            silent_since = NOW - timedelta(seconds=settings.harvest.job_stale_after + 1)
            job = HarvestJob(
                source_id=source.id, status=JobStatus.INITIALIZED, heartbeat_at=silent_since
            )
            session.add(job)
            session.commit()
        Scheduler(session_factory, RecordingRunner(), settings, clock=lambda: NOW).tick()
        with session_factory() as session:
            assert session.get(HarvestJob, job.id).status == JobStatus.INITIALIZED  # type: ignore[union-attr]
        runner = RecordingRunner()
        Scheduler(session_factory, runner, settings, watchdog=True, clock=lambda: NOW).tick()
        with session_factory() as session:
            # Back to pending, to resume where its last commit stopped, and handed over again.
            assert session.get(HarvestJob, job.id).status == JobStatus.PENDING  # type: ignore[union-attr]
        assert runner.submitted == [job.id]

    def test_retention_runs_once_a_day(
        self, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        now = [NOW]
        scheduler = Scheduler(session_factory, RecordingRunner(), settings, clock=lambda: now[0])

        def add_deleted(name: str) -> None:
            with session_factory() as session:
                add_source(session, name, due=False, deleted_at=now[0])
                session.commit()

        def count_sources() -> int:
            with session_factory() as session:
                return session.scalar(select(func.count()).select_from(HarvestSource)) or 0

        add_deleted("First")
        scheduler.tick()
        assert count_sources() == 0
        add_deleted("Second")
        now[0] = NOW + timedelta(hours=23)
        scheduler.tick()
        assert count_sources() == 1
        now[0] = NOW + timedelta(days=1)
        scheduler.tick()
        assert count_sources() == 0
