"""Items of harvest jobs (`harvest_items`) and the log lines captured for them
(`harvest_logs`, which exist only as part of an item)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from moisson.storage.models import HarvestItem, HarvestLogRow
from moisson.storage.repositories.base import grouped, paginate


def page(
    session: Session, job_id: str, status: str | None, page_number: int, page_size: int
) -> tuple[list[HarvestItem], int]:
    """One page of the job's items in their order, optionally of one status."""
    stmt = select(HarvestItem).where(HarvestItem.job_id == job_id)
    if status is not None:
        stmt = stmt.where(HarvestItem.status == status)
    return paginate(session, stmt.order_by(HarvestItem.seq, HarvestItem.id), page_number, page_size)


def of_job(session: Session, job_id: str) -> list[HarvestItem]:
    stmt = select(HarvestItem).where(HarvestItem.job_id == job_id).order_by(HarvestItem.seq)
    return list(session.scalars(stmt))


def remote_ids_of_job(session: Session, job_id: str) -> tuple[set[str], list[str]]:
    """(every remote id the job's items name, those of its unchanged items): what a resumed
    job knows of its first part. Read in one pass over two narrow columns."""
    stmt = select(HarvestItem.remote_id, HarvestItem.unchanged).where(
        HarvestItem.job_id == job_id, HarvestItem.remote_id.is_not(None)
    )
    seen: set[str] = set()
    unchanged: list[str] = []
    for remote_id, was_unchanged in session.execute(stmt):
        if remote_id is None:  # excluded by the query; says so to the type checker
            continue
        seen.add(remote_id)
        if was_unchanged:
            unchanged.append(remote_id)
    return seen, unchanged


def update_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk UPDATE of item rows by primary key: each dict holds `id` and the columns to set."""
    if rows:
        session.execute(update(HarvestItem), rows)


def logs_of(session: Session, item_ids: Iterable[str]) -> dict[str, list[HarvestLogRow]]:
    """The log lines of these items in their order, by item id (a `defaultdict`)."""
    wanted = set(item_ids)
    if not wanted:
        return defaultdict(list)
    rows = session.scalars(
        select(HarvestLogRow)
        .where(HarvestLogRow.item_id.in_(wanted))
        .order_by(HarvestLogRow.seq, HarvestLogRow.id)
    )
    return grouped(rows, lambda row: row.item_id)


def logs_of_job(session: Session, job_id: str) -> dict[str, list[HarvestLogRow]]:
    """The log lines of every item of the job, by item id."""
    stmt = (
        select(HarvestLogRow)
        .join(HarvestItem, HarvestItem.id == HarvestLogRow.item_id)
        .where(HarvestItem.job_id == job_id)
        .order_by(HarvestLogRow.item_id, HarvestLogRow.seq)
    )
    return dict(grouped(session.scalars(stmt), lambda row: row.item_id))
