"""Harvest jobs, their items, errors and captured logs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from moisson.storage.models import HarvestErrorRow, HarvestItem, HarvestJob, HarvestLogRow
from moisson.storage.repositories.base import paginate


def by_id(session: Session, job_id: str) -> HarvestJob | None:
    return session.get(HarvestJob, job_id)


def page_for_source(
    session: Session, source_id: str, page_number: int, page_size: int
) -> tuple[list[HarvestJob], int]:
    stmt = (
        select(HarvestJob)
        .where(HarvestJob.source_id == source_id)
        .order_by(HarvestJob.created.desc(), HarvestJob.id.desc())
    )
    return paginate(session, stmt, page_number, page_size)


def last_for_sources(session: Session, source_ids: Iterable[str]) -> dict[str, HarvestJob]:
    """The most recent job (by `created`) of each source, in one query."""
    wanted = set(source_ids)
    if not wanted:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=HarvestJob.source_id,
            order_by=(HarvestJob.created.desc(), HarvestJob.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(HarvestJob.id.label("job_id"), rank)
        .where(HarvestJob.source_id.in_(wanted))
        .subquery()
    )
    jobs = session.scalars(
        select(HarvestJob).join(ranked, ranked.c.job_id == HarvestJob.id).where(ranked.c.rank == 1)
    )
    return {job.source_id: job for job in jobs}


def job_errors(session: Session, job_ids: Iterable[str]) -> dict[str, list[HarvestErrorRow]]:
    """Job-level errors (not attached to an item), oldest first, by job id."""
    wanted = set(job_ids)
    found: dict[str, list[HarvestErrorRow]] = defaultdict(list)
    if not wanted:
        return found
    rows = session.scalars(
        select(HarvestErrorRow)
        .where(HarvestErrorRow.job_id.in_(wanted), HarvestErrorRow.item_id.is_(None))
        .order_by(HarvestErrorRow.created_at, HarvestErrorRow.id)
    )
    for row in rows:
        found[row.job_id].append(row)
    return found


def items_page(
    session: Session, job_id: str, status: str | None, page_number: int, page_size: int
) -> tuple[list[HarvestItem], int]:
    stmt = select(HarvestItem).where(HarvestItem.job_id == job_id)
    if status is not None:
        stmt = stmt.where(HarvestItem.status == status)
    return paginate(session, stmt.order_by(HarvestItem.seq, HarvestItem.id), page_number, page_size)


def item_errors(session: Session, item_ids: Iterable[str]) -> dict[str, list[HarvestErrorRow]]:
    order = (HarvestErrorRow.created_at, HarvestErrorRow.id)
    return _rows_by_item(session, HarvestErrorRow, item_ids, order)


def item_logs(session: Session, item_ids: Iterable[str]) -> dict[str, list[HarvestLogRow]]:
    return _rows_by_item(session, HarvestLogRow, item_ids, (HarvestLogRow.seq, HarvestLogRow.id))


_ItemRow = TypeVar("_ItemRow", HarvestErrorRow, HarvestLogRow)


def _rows_by_item(
    session: Session,
    model: type[_ItemRow],
    item_ids: Iterable[str],
    order: tuple[InstrumentedAttribute[Any], ...],
) -> dict[str, list[_ItemRow]]:
    """The rows of `model` attached to these items, grouped by item id, each list in `order`
    (a `defaultdict`: an item without rows reads as an empty list)."""
    wanted = set(item_ids)
    found: dict[str, list[_ItemRow]] = defaultdict(list)
    if not wanted:
        return found
    rows = session.scalars(select(model).where(model.item_id.in_(wanted)).order_by(*order))
    for row in rows:
        found[row.item_id or ""].append(row)
    return found
