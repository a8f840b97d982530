"""Writes and queries of the engine on jobs, items, errors and logs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from moisson.domain.enums import ACTIVE_JOB_STATUSES, ErrorLevel, JobStatus
from moisson.storage.models import (
    HarvestErrorRow,
    HarvestItem,
    HarvestJob,
    HarvestLogRow,
    HarvestSource,
)


def job_by_id(session: Session, job_id: str) -> HarvestJob | None:
    return session.get(HarvestJob, job_id)


def source_by_id(session: Session, source_id: str) -> HarvestSource | None:
    return session.get(HarvestSource, source_id)


def claim_pending(session: Session, job_id: str, now: datetime, worker: str) -> bool:
    """Move the job from `pending` to `initialized` in one UPDATE, so that of two workers
    handed the same job exactly one wins; True for the winner."""
    result = session.execute(
        update(HarvestJob)
        .where(HarvestJob.id == job_id, HarvestJob.status == JobStatus.PENDING)
        .values(status=JobStatus.INITIALIZED, started=now, heartbeat_at=now, worker=worker)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def update_items(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk UPDATE of item rows by primary key: each dict holds `id` and the columns to set."""
    if rows:
        session.execute(update(HarvestItem), rows)


def touch_job(session: Session, job_id: str, now: datetime) -> None:
    """Refresh the job's heartbeat with a plain UPDATE.

    The engine opens each of its short transactions with this write, so a job whose
    transactions commit is seen alive. (On SQLite the write lock was already taken by the
    write session's `BEGIN IMMEDIATE`: see `moisson.storage.session`.)
    """
    session.execute(
        update(HarvestJob)
        .where(HarvestJob.id == job_id)
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )


def refresh_heartbeats(session: Session, job_ids: Iterable[str], now: datetime) -> int:
    """Heartbeat of every still-active job among `job_ids` (the jobs a worker holds)."""
    ids = list(job_ids)
    if not ids:
        return 0
    result = session.execute(
        update(HarvestJob)
        .where(HarvestJob.id.in_(ids), HarvestJob.status.in_(ACTIVE_JOB_STATUSES))
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def add_error(
    session: Session,
    job_id: str,
    message: str,
    *,
    item_id: str | None = None,
    level: ErrorLevel = ErrorLevel.ERROR,
    details: str | None = None,
    now: datetime | None = None,
) -> HarvestErrorRow:
    row = HarvestErrorRow(
        job_id=job_id, item_id=item_id, level=level, message=message, details=details
    )
    if now is not None:
        row.created_at = now
    session.add(row)
    return row


def stale_jobs(
    session: Session, running_cutoff: datetime, pending_cutoff: datetime
) -> list[HarvestJob]:
    """Active jobs whose last sign of life (heartbeat, else start, else creation) is older
    than the cutoff of their state, locked against a concurrent watchdog where the database
    can. A pending job may legitimately wait in a broker queue behind others, so it gets a
    longer cutoff than a job a worker has taken."""
    last_sign = func.coalesce(HarvestJob.heartbeat_at, HarvestJob.started, HarvestJob.created)
    running = ACTIVE_JOB_STATUSES - {JobStatus.PENDING}
    stmt = (
        select(HarvestJob)
        .where(
            or_(
                and_(HarvestJob.status.in_(running), last_sign < running_cutoff),
                and_(HarvestJob.status == JobStatus.PENDING, last_sign < pending_cutoff),
            )
        )
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def pending_job_ids(session: Session) -> list[str]:
    stmt = select(HarvestJob.id).where(HarvestJob.status == JobStatus.PENDING)
    return list(session.scalars(stmt.order_by(HarvestJob.created)))


def job_errors(session: Session, job_id: str) -> list[HarvestErrorRow]:
    """Job-level errors (not attached to an item), oldest first."""
    stmt = select(HarvestErrorRow).where(
        HarvestErrorRow.job_id == job_id, HarvestErrorRow.item_id.is_(None)
    )
    return list(session.scalars(stmt.order_by(HarvestErrorRow.created_at, HarvestErrorRow.id)))


def items_of_job(session: Session, job_id: str) -> list[HarvestItem]:
    stmt = select(HarvestItem).where(HarvestItem.job_id == job_id).order_by(HarvestItem.seq)
    return list(session.scalars(stmt))


def item_errors(session: Session, job_id: str) -> dict[str, list[HarvestErrorRow]]:
    stmt = select(HarvestErrorRow).where(
        HarvestErrorRow.job_id == job_id, HarvestErrorRow.item_id.is_not(None)
    )
    found: dict[str, list[HarvestErrorRow]] = {}
    for row in session.scalars(stmt.order_by(HarvestErrorRow.created_at, HarvestErrorRow.id)):
        found.setdefault(str(row.item_id), []).append(row)
    return found


def item_logs(session: Session, job_id: str) -> dict[str, list[HarvestLogRow]]:
    stmt = (
        select(HarvestLogRow)
        .join(HarvestItem, HarvestItem.id == HarvestLogRow.item_id)
        .where(HarvestItem.job_id == job_id)
        .order_by(HarvestLogRow.item_id, HarvestLogRow.seq)
    )
    found: dict[str, list[HarvestLogRow]] = {}
    for row in session.scalars(stmt):
        found.setdefault(row.item_id, []).append(row)
    return found
