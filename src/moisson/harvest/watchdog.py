"""Failing jobs whose worker went silent, so their source can run again.

A worker refreshes `heartbeat_at` of the jobs it holds (the engine at every item, the local
worker every `heartbeat_interval`). A job still active whose last sign of life (heartbeat,
else start, else creation) is older than `job_stale_after` is declared dead: `failed`, with a
job error saying so. Its items keep their statuses (an item left `started` is where the
worker died). The unique index on active jobs then lets the source run again. A pending job
nobody took gets `pending_job_timeout` instead: it may be waiting in a broker queue behind
other sources' jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from moisson.config import Settings
from moisson.domain.enums import FINAL_JOB_STATUSES, JobStatus
from moisson.storage.base import utcnow
from moisson.storage.models import HarvestJob
from moisson.storage.repositories import errors as errors_repo
from moisson.storage.repositories import jobs as jobs_repo


def fail_stale_jobs(
    session: Session, settings: Settings, *, now: datetime | None = None
) -> list[str]:
    """Fail every stale active job; returns their ids. The caller commits."""
    now = now or utcnow()
    stale_after = settings.harvest.job_stale_after
    failed: list[str] = []
    pending_timeout = settings.harvest.pending_job_timeout
    stale = jobs_repo.stale(
        session, now - timedelta(seconds=stale_after), now - timedelta(seconds=pending_timeout)
    )
    for job in stale:
        last = (job.heartbeat_at or job.started or job.created).isoformat(timespec="seconds")
        if job.status == JobStatus.PENDING:
            message = (
                f"No worker took this job (queued since {last}, more than "
                f"{pending_timeout:g}s ago: is a worker running?); the job was marked failed "
                "and the source can be run again"
            )
        else:
            message = (
                f"The worker running this job stopped responding (no heartbeat since {last}, "
                f"more than {stale_after:g}s ago); the job was marked failed and the source "
                "can be run again"
            )
        _fail(session, job, message, now)
        failed.append(job.id)
    session.flush()
    return failed


def fail_abandoned_job(
    session: Session, job_id: str, reason: str, *, now: datetime | None = None
) -> bool:
    """Fail the job if it is still active: its worker is known to be gone (`reason` says how),
    so there is no need to wait for its heartbeat to go stale. The caller commits."""
    now = now or utcnow()
    job = jobs_repo.by_id(session, job_id)
    if job is None or job.status in FINAL_JOB_STATUSES:
        return False
    _fail(session, job, f"{reason}; the job was marked failed and the source can be run again", now)
    session.flush()
    return True


def _fail(session: Session, job: HarvestJob, message: str, now: datetime) -> None:
    errors_repo.add(session, job.id, message, now=now)
    job.status = JobStatus.FAILED
    job.ended = now
