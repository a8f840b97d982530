"""Starting harvest jobs: one active job per source, handed to a job runner."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moisson.domain.enums import JobStatus
from moisson.errors import Conflict
from moisson.storage.models import HarvestJob, HarvestSource

#: Statuses of a job that is waiting for or held by a worker.
ACTIVE_STATUSES = (
    JobStatus.PENDING,
    JobStatus.INITIALIZING,
    JobStatus.INITIALIZED,
    JobStatus.PROCESSING,
)


class JobRunner(Protocol):
    """Runs jobs outside the request: the in-process worker or Celery."""

    def submit(self, job_id: str) -> object:
        """Queue the job; called after the transaction creating it has committed. What it
        returns (a future, a task id) is the runner's business: callers ignore it."""
        ...


def active_job(session: Session, source_id: str) -> HarvestJob | None:
    return session.scalars(
        select(HarvestJob)
        .where(HarvestJob.source_id == source_id, HarvestJob.status.in_(ACTIVE_STATUSES))
        .limit(1)
    ).first()


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
