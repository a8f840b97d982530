"""Errors of harvest jobs and of their items (`harvest_errors`): a row with no item is
the job's own error."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from moisson.domain.enums import ErrorLevel
from moisson.storage.models import HarvestErrorRow
from moisson.storage.repositories.base import grouped

#: Oldest first, whatever the query.
_ORDER = (HarvestErrorRow.created_at, HarvestErrorRow.id)


def add(
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


def of_job(session: Session, job_id: str) -> list[HarvestErrorRow]:
    """The job's own errors (not attached to an item), oldest first."""
    stmt = select(HarvestErrorRow).where(
        HarvestErrorRow.job_id == job_id, HarvestErrorRow.item_id.is_(None)
    )
    return list(session.scalars(stmt.order_by(*_ORDER)))


def of_jobs(session: Session, job_ids: Iterable[str]) -> dict[str, list[HarvestErrorRow]]:
    """`of_job` for several jobs in one query, by job id (a `defaultdict`)."""
    wanted = set(job_ids)
    if not wanted:
        return defaultdict(list)
    rows = session.scalars(
        select(HarvestErrorRow)
        .where(HarvestErrorRow.job_id.in_(wanted), HarvestErrorRow.item_id.is_(None))
        .order_by(*_ORDER)
    )
    return grouped(rows, lambda row: row.job_id)


def of_items(session: Session, item_ids: Iterable[str]) -> dict[str, list[HarvestErrorRow]]:
    """The errors of these items, oldest first, by item id (a `defaultdict`)."""
    wanted = set(item_ids)
    if not wanted:
        return defaultdict(list)
    rows = session.scalars(
        select(HarvestErrorRow).where(HarvestErrorRow.item_id.in_(wanted)).order_by(*_ORDER)
    )
    return grouped(rows, lambda row: row.item_id or "")


def of_job_items(session: Session, job_id: str) -> dict[str, list[HarvestErrorRow]]:
    """The errors of every item of the job, oldest first, by item id."""
    stmt = select(HarvestErrorRow).where(
        HarvestErrorRow.job_id == job_id, HarvestErrorRow.item_id.is_not(None)
    )
    return dict(grouped(session.scalars(stmt.order_by(*_ORDER)), lambda row: str(row.item_id)))
