"""Taking a job up again where its last commit stopped, when its worker died.

Every commit of a running job writes, in the same transaction as its items, the job's
`cursor`: where the backend would start again to yield every record after the last one
committed (`RemoteRecord.resume`: a Hydra page URL, a `package_search` offset, a CSW
`startPosition`, a descriptor's URL) and the count of unreadable records so far. When the
worker is known to be gone (its child process exited, its heartbeat went stale, a broker
redelivered its task and its process no longer exists), the job goes back to `pending`,
keeping its start time, its counters and its items, with a warning among its errors; the
worker that takes it next runs the same job from that cursor (`moisson.harvest.engine`). The
records its first part already itemized are skipped, so each remote record ends up in one
item of the job, and autoarchive decides on the whole run. A job is taken up at most
`harvest.max_resumes` times (a job that kills its worker every time, out of memory say, must
end); after that it fails as before.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from moisson.config import Settings
from moisson.domain.enums import FINAL_JOB_STATUSES, ErrorLevel, JobStatus
from moisson.domain.exceptions import CursorRejected
from moisson.domain.json import Json
from moisson.domain.records import RemoteRecord
from moisson.storage.base import utcnow
from moisson.storage.models import HarvestJob
from moisson.storage.repositories import errors as errors_repo
from moisson.storage.repositories import items as items_repo
from moisson.storage.repositories import jobs as jobs_repo

Gather = Callable[[Json | None], Iterator[RemoteRecord]]
"""The backend's `gather`, from a cursor (`None`: from the first page)."""


@dataclass
class FirstPart:
    """What a resumed job did before its worker died, as the engine carries on from it."""

    done: set[str]
    """Remote ids the job's items name: their records are not processed again."""
    unchanged: list[str] = field(default_factory=list)
    """Those of its unchanged items (their records are marked seen at the end)."""
    unreadable: int = 0
    """Records that could not be read at all (autoarchive is then skipped)."""
    cursor: Json | None = None
    """Where the backend starts again."""

    @classmethod
    def of(cls, session: Session, job: HarvestJob) -> FirstPart:
        done, unchanged = items_repo.remote_ids_of_job(session, job.id)
        state = job.cursor or {}
        unreadable, cursor = state.get("unreadable"), state.get("at")
        return cls(
            done=done,
            unchanged=unchanged,
            unreadable=unreadable if isinstance(unreadable, int) else 0,
            cursor=cursor if isinstance(cursor, dict) else None,
        )

    def records(self, gather: Gather, start_over: Callable[[str], None]) -> Iterator[RemoteRecord]:
        """What `gather` yields from the cursor, without the records already done; from the
        first page again (after `start_over` is handed the message saying why) when the
        backend refuses the cursor before yielding anything."""
        yielded = False
        try:
            for record in gather(self.cursor):
                if record.remote_id not in self.done:
                    yielded = True
                    yield record
        except CursorRejected as exc:
            if yielded or self.cursor is None:
                raise
            start_over(self._start_over_message(exc))
            yield from (r for r in gather(None) if r.remote_id not in self.done)

    def _start_over_message(self, exc: CursorRejected) -> str:
        return (
            f"The job could not resume where it stopped ({exc.message}): the catalog is read "
            f"again from its first page; the {len(self.done)} record(s) this job already "
            "harvested are not harvested twice"
        )


def resume_or_fail(
    session: Session, job: HarvestJob, reason: str, settings: Settings, now: datetime
) -> bool:
    """The worker of this active job is gone (`reason` says how): back to `pending` to be
    resumed (True), or `failed` when it was resumed `max_resumes` times already (False).
    The caller commits, then hands a resumed job to a runner."""
    limit = settings.harvest.max_resumes
    if job.resumes >= limit:
        suffix = (
            f"it was resumed {job.resumes} time(s) already, the limit (harvest.max_resumes)"
            if limit
            else "resuming is off (harvest.max_resumes = 0)"
        )
        fail(session, job, f"{reason}; {suffix}: the job was marked failed", now)
        return False
    job.resumes += 1
    job.status = JobStatus.PENDING
    job.worker = None
    job.heartbeat_at = now  # the pending job's wait for a worker counts from here
    where = "where its last commit stopped" if job.cursor else "from the start"
    errors_repo.add(
        session,
        job.id,
        f"{reason}; the job resumes {where} (resume {job.resumes} of {limit})",
        level=ErrorLevel.WARNING,
        now=now,
    )
    return True


def abandon(session: Session, job_id: str, reason: str, settings: Settings) -> bool:
    """The worker of the job is known to be gone: resume it if it is still active. True when
    it went back to `pending`. The caller commits, then hands it to a runner."""
    job = jobs_repo.by_id(session, job_id)
    if job is None or job.status in FINAL_JOB_STATUSES or job.status == JobStatus.PENDING:
        return False
    resumed = resume_or_fail(session, job, reason, settings, utcnow())
    session.flush()
    return resumed


def holder_gone(job: HarvestJob, settings: Settings, now: datetime) -> str | None:
    """Why the worker holding this active job is surely gone, or `None` when it may live.

    For a redelivered task: the job names the process that took it (`host:pid:thread`). On
    this host, a process that no longer exists is gone at once; elsewhere, or while the
    process exists, only a heartbeat older than `job_stale_after` says so."""
    if job.status in FINAL_JOB_STATUSES or job.status == JobStatus.PENDING:
        return None
    host, pid = _holder(job.worker)
    here = host == socket.gethostname() and pid is not None and pid != os.getpid()
    if here and pid is not None and not _process_exists(pid):
        return f"The process running this job (pid {pid}) is gone"
    last = job.heartbeat_at or job.started or job.created
    stale_after = settings.harvest.job_stale_after
    if last < now - timedelta(seconds=stale_after):
        since = last.isoformat(timespec="seconds")
        return (
            f"The worker running this job stopped responding (no heartbeat since {since}, "
            f"more than {stale_after:g}s ago)"
        )
    return None


def fail(session: Session, job: HarvestJob, message: str, now: datetime) -> None:
    errors_repo.add(session, job.id, message, now=now)
    job.status = JobStatus.FAILED
    job.ended = now
    job.cursor = None


def _holder(worker: str | None) -> tuple[str | None, int | None]:
    if not worker:
        return None, None
    host, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    return host, int(pid_text) if pid_text.isdigit() else None


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True
