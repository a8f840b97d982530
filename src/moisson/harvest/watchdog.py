"""Ending or resuming jobs whose worker went silent, so their source is never stuck.

A worker refreshes `heartbeat_at` of the jobs it holds (the engine at every item, the local
worker every `heartbeat_interval`). A job still held whose last sign of life (heartbeat, else
start, else creation) is older than `job_stale_after`, or held by a process of this host that
no longer exists, is declared dead: it goes back to
`pending` to resume where its last commit stopped (`moisson.harvest.resumption`), or, once
resumed `max_resumes` times, is `failed` with a job error saying so. Its items keep their
statuses either way. A pending job nobody took gets `pending_job_timeout` instead (it may be
waiting in a broker queue behind other sources' jobs), then fails: resuming it would put it
back where it already waits.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.harvest.resumption import fail, holder_gone, resume_or_fail
from moisson.storage.base import utcnow
from moisson.storage.models import HarvestJob
from moisson.storage.repositories import jobs as jobs_repo


@dataclass
class Recovery:
    """What one watchdog pass did: jobs failed, and jobs put back to `pending` to resume
    (the caller hands these to a runner once its transaction committed)."""

    failed: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)

    @property
    def handled(self) -> set[str]:
        return {*self.failed, *self.resumed}


def recover_stale_jobs(
    session: Session, settings: Settings, *, now: datetime | None = None
) -> Recovery:
    """Resume or fail every stale active job. The caller commits."""
    now = now or utcnow()
    stale_after = settings.harvest.job_stale_after
    pending_timeout = settings.harvest.pending_job_timeout
    recovery = Recovery()
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
            fail(session, job, message, now)
            recovery.failed.append(job.id)
            continue
        reason = (
            f"The worker running this job stopped responding (no heartbeat since {last}, "
            f"more than {stale_after:g}s ago)"
        )
        _recover(session, job, reason, settings, now, recovery)
    # A worker process of this host that is gone (a `moisson serve` killed and restarted, a
    # Celery pool process killed) need not be waited for.
    for job in jobs_repo.held_on_host(session, socket.gethostname()):
        gone = None if job.id in recovery.handled else holder_gone(job, settings, now)
        if gone is not None:
            _recover(session, job, gone, settings, now, recovery)
    session.flush()
    return recovery


def _recover(
    session: Session,
    job: HarvestJob,
    reason: str,
    settings: Settings,
    now: datetime,
    recovery: Recovery,
) -> None:
    if resume_or_fail(session, job, reason, settings, now):
        recovery.resumed.append(job.id)
    else:
        recovery.failed.append(job.id)
