"""Starting harvest jobs: one active job per source, handed to a job runner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.domain.enums import ACTIVE_JOB_STATUSES, JobStatus
from moisson.errors import Conflict
from moisson.storage.base import utcnow
from moisson.storage.models import HarvestJob, HarvestSource
from moisson.storage.repositories import errors as errors_repo
from moisson.storage.repositories import jobs as jobs_repo
from moisson.storage.session import after_commit


class JobRunner(Protocol):
    """Runs jobs outside the request: the in-process worker or Celery."""

    def submit(self, job_id: str) -> object:
        """Queue the job; called after the transaction creating it has committed. What it
        returns (a future, a task id) is the runner's business: callers ignore it."""
        ...


def hand_over_after_commit(session: Session, runner: JobRunner | None, job_id: str | None) -> None:
    """The only way a job reaches a runner: queued once the transaction that created it has
    committed, so a worker never looks for a job that is not there yet. Without a runner, or
    if queuing fails (logged), the job stays `pending`: visible, and taken by the sweep of
    the in-process worker or the scheduler."""
    if job_id is not None and runner is not None:
        after_commit(session, lambda: runner.submit(job_id))


def active_job(session: Session, source_id: str) -> HarvestJob | None:
    return jobs_repo.active_for_source(session, source_id)


def create_pending_job(session: Session, source: HarvestSource) -> HarvestJob:
    """A `pending` job for `source`, or `Conflict` if one is already waiting or running.

    The check below gives the friendly message; the unique partial index
    `uq_harvest_jobs_active_source` settles the race of two simultaneous requests.
    """
    running = active_job(session, source.id)
    if running is not None:
        raise Conflict(
            f"A harvest of source {source.name!r} is already {running.status} (job {running.id})"
        )
    job = HarvestJob(source_id=source.id, status=JobStatus.PENDING)
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        raise Conflict(
            f"A harvest of source {source.name!r} is already waiting or running"
        ) from None
    return job


def abandon_job(session: Session, job_id: str, reason: str) -> bool:
    """Fail a job that is still active, with `reason` as its job error, so its source can
    run again at once (an operator interrupted a foreground run). Items already processed
    keep their statuses. Returns whether the job was still active."""
    job = jobs_repo.by_id(session, job_id)
    if job is None or job.status not in ACTIVE_JOB_STATUSES:
        return False
    now = utcnow()
    errors_repo.add(session, job.id, reason, now=now)
    job.status = JobStatus.FAILED
    job.ended = now
    session.flush()
    return True


@dataclass(frozen=True, slots=True)
class JobProgress:
    """The counters of a running job, as a foreground run reports them after every item."""

    seen: int
    """Records processed so far (archived items excluded: they come at the end)."""
    done: int
    failed: int
    skipped: int
    unchanged: int
    archived: int
    status: str

    @classmethod
    def of(cls, job: HarvestJob) -> JobProgress:
        return cls(
            seen=job.items_total - job.items_archived,
            done=job.items_done,
            failed=job.items_failed,
            skipped=job.items_skipped,
            unchanged=job.items_unchanged,
            archived=job.items_archived,
            status=job.status,
        )


def run_job_here(
    session_factory: sessionmaker[Session],
    settings: Settings,
    job_id: str,
    *,
    on_progress: Callable[[JobProgress], None] | None = None,
    **engine_options: Any,
) -> None:
    """Run a pending job in this thread, as `moisson harvest run` does, reporting progress
    after every item. The engine commits as it goes (it is an edge of its own); a job some
    worker took first is left to it (nothing happens). `engine_options` go to `run_job`."""
    # Imported here: the engine loads every backend, which the rest of this module avoids.
    from moisson.harvest.engine import run_job

    def report(job: HarvestJob) -> None:
        if on_progress is not None:
            on_progress(JobProgress.of(job))

    from moisson.services.notifications import notify_job_finished
    from moisson.services.quality import check_job_urls_quietly

    try:
        run_job(session_factory, settings, job_id, on_progress=report, **engine_options)
    finally:  # after the job's last commit, in a transaction of its own
        notify_job_finished(session_factory, settings, [job_id])
    check_job_urls_quietly(session_factory, settings, job_id)
