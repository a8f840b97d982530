"""The scheduler loop: every tick, turn due sources into pending jobs and hand them over.

It works the same with the in-process worker and with Celery (the `runner` decides where
jobs run). Several schedulers may run at once: `claim_due_sources` makes sure each due
source is claimed by one of them only.

Each tick can also run the watchdog (`moisson scheduler` does; with the in-process worker,
the worker runs its own), which hands the jobs it resumes to the runner again; once a day,
the retention purges: jobs older than `jobs_retention_days` (and sent or failed
notification deliveries as old), and soft-deleted sources (their datasets are archived, not
deleted).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.errors import Conflict
from moisson.harvest.watchdog import recover_stale_jobs
from moisson.services.notifications import notify_job_finished, purge_deliveries
from moisson.services.retention import purge_deleted_sources, purge_jobs
from moisson.services.runs import JobRunner, create_pending_job, hand_over_after_commit
from moisson.services.scheduling import claim_due_sources
from moisson.storage.base import utcnow
from moisson.storage.session import patient, unit_of_work

log = logging.getLogger(__name__)

MAINTENANCE_EVERY = timedelta(days=1)


class Scheduler:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        runner: JobRunner,
        settings: Settings,
        *,
        watchdog: bool = False,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        # A background writer: it may wait longer for a lock than a request would.
        self.session_factory = patient(session_factory, settings)
        self.runner = runner
        self.settings = settings
        self.watchdog = watchdog
        self.clock = clock
        self.last_maintenance: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> list[str]:
        """Enqueue every source due now; returns the ids of the jobs created."""
        now = self.clock()
        if self.watchdog:
            with unit_of_work(self.session_factory) as session:
                recovery = recover_stale_jobs(session, self.settings, now=now)
                for job_id in recovery.resumed:
                    hand_over_after_commit(session, self.runner, job_id)
            notify_job_finished(self.session_factory, self.settings, recovery.failed)
        if self.last_maintenance is None or now - self.last_maintenance >= MAINTENANCE_EVERY:
            self.run_maintenance(now)
        job_ids: list[str] = []
        try:
            with unit_of_work(self.session_factory) as session:
                for source in claim_due_sources(session, now):
                    try:
                        with session.begin_nested():
                            job_id = create_pending_job(session, source).id
                        job_ids.append(job_id)
                        hand_over_after_commit(session, self.runner, job_id)
                    except Conflict as exc:
                        # Still running from the previous occurrence: skip this one.
                        log.info("Scheduled run of %s skipped: %s", source.id, exc)
        except OperationalError as exc:
            # SQLite: another scheduler holds the write lock; it is doing this tick's work.
            log.warning("Scheduler tick skipped, database busy: %s", exc)
            return []
        return job_ids

    def run_maintenance(self, now: datetime) -> None:
        with unit_of_work(self.session_factory) as session:
            jobs = purge_jobs(
                session, now=now, retention_days=self.settings.harvest.jobs_retention_days
            )
            sources = purge_deleted_sources(session, now=now)
            purge_deliveries(
                session, now=now, retention_days=self.settings.harvest.jobs_retention_days
            )
        self.last_maintenance = now
        log.info("Retention: purged %d old jobs and %d deleted sources", jobs, sources)

    def run_forever(self, interval: float = 30.0) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("Scheduler tick failed")
            self._stop.wait(interval)

    def start(self, interval: float = 30.0) -> None:
        self._thread = threading.Thread(
            target=self.run_forever, args=(interval,), name="moisson-scheduler", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
