"""Harvest jobs, their items, errors and captured logs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Float, case, cast, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from moisson.domain.enums import ACTIVE_JOB_STATUSES, ItemStatus
from moisson.storage.models import HarvestErrorRow, HarvestItem, HarvestJob, HarvestLogRow
from moisson.storage.repositories.base import paginate


def by_id(session: Session, job_id: str) -> HarvestJob | None:
    return session.get(HarvestJob, job_id)


def active_for_source(session: Session, source_id: str) -> HarvestJob | None:
    """The source's pending or running job, if any (a unique index allows one at most)."""
    return session.scalars(
        select(HarvestJob)
        .where(HarvestJob.source_id == source_id, HarvestJob.status.in_(ACTIVE_JOB_STATUSES))
        .limit(1)
    ).first()


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


def delete_finished_before(session: Session, cutoff: datetime) -> int:
    """Delete the jobs created before `cutoff` that are over; returns how many (the database
    cascades to their items, errors and logs)."""
    result = session.execute(
        delete(HarvestJob).where(
            HarvestJob.created < cutoff, HarvestJob.status.not_in(ACTIVE_JOB_STATUSES)
        )
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


# Aggregates over every job kept, for the metrics read at scrape time.


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(HarvestJob.status, func.count()).group_by(HarvestJob.status))
    return {key: count for key, count in rows}  # noqa: C416 (Row to tuple)


@dataclass(frozen=True, slots=True)
class ItemTotals:
    """The item counters of every job, summed (never counted from item rows)."""

    by_status: dict[ItemStatus, int]
    unchanged: int


def item_totals(session: Session) -> ItemTotals:
    columns = [_total(getattr(HarvestJob, f"items_{status.value}")) for status in ItemStatus]
    row = session.execute(select(*columns, _total(HarvestJob.items_unchanged))).one()
    by_status = {status: int(value) for status, value in zip(ItemStatus, row[:-1], strict=True)}
    return ItemTotals(by_status=by_status, unchanged=int(row[-1]))


@dataclass(frozen=True, slots=True)
class QualityTotals:
    """The quality counters of every job, summed."""

    assessed: int
    nonconforming: int
    violations: int
    warnings: int


def quality_totals(session: Session) -> QualityTotals:
    row = session.execute(
        select(
            _total(HarvestJob.quality_assessed),
            _total(HarvestJob.quality_nonconforming),
            _total(HarvestJob.quality_violations),
            _total(HarvestJob.quality_warnings),
        )
    ).one()
    return QualityTotals(*(int(value) for value in row))


@dataclass(frozen=True, slots=True)
class Durations:
    """Finished jobs (started -> ended): how many, their summed seconds, and how many took at
    most each bound (cumulative, in the order of the bounds asked)."""

    count: int
    total_seconds: float
    at_most: tuple[int, ...]


def durations(session: Session, bounds: Sequence[float]) -> Durations:
    seconds = _duration_seconds(session)
    per_bound = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in bounds]
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(seconds), 0.0), *per_bound).where(
            HarvestJob.ended.is_not(None), HarvestJob.started.is_not(None)
        )
    ).one()
    return Durations(
        count=int(row[0]),
        total_seconds=float(row[1]),
        at_most=tuple(int(count or 0) for count in row[2:]),
    )


def _total(column: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(column), 0)


def _duration_seconds(session: Session) -> ColumnElement[float]:
    """`ended - started` in seconds, in the dialect of the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", HarvestJob.ended - HarvestJob.started), Float)
    return (func.julianday(HarvestJob.ended) - func.julianday(HarvestJob.started)) * 86400.0
