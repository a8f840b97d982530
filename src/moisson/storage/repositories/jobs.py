"""Harvest jobs (`harvest_jobs`): lookups, the claim and heartbeats of a worker, the
watchdog's view, retention, and the aggregates the metrics read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from moisson.domain.enums import ACTIVE_JOB_STATUSES, ItemStatus, JobStatus
from moisson.storage.models import HarvestJob
from moisson.storage.repositories.base import paginate


def by_id(session: Session, job_id: str) -> HarvestJob | None:
    return session.get(HarvestJob, job_id)


def locked(session: Session, job_id: str) -> HarvestJob | None:
    """The job, its row locked until the transaction ends (PostgreSQL; a SQLite write
    transaction holds the whole database already), re-read from the database."""
    stmt = select(HarvestJob).where(HarvestJob.id == job_id).with_for_update()
    return session.scalars(stmt.execution_options(populate_existing=True)).first()


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


def claim_pending(session: Session, job_id: str, now: datetime, worker: str) -> bool:
    """Move the job from `pending` to `initialized` in one UPDATE, so that of two workers
    handed the same job exactly one wins; True for the winner."""
    result = session.execute(
        update(HarvestJob)
        .where(HarvestJob.id == job_id, HarvestJob.status == JobStatus.PENDING)
        .values(
            status=JobStatus.INITIALIZED,
            # a resumed job keeps the start of its first part
            started=func.coalesce(HarvestJob.started, now),
            heartbeat_at=now,
            worker=worker,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def touch(session: Session, job_id: str, now: datetime) -> None:
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


def stale(session: Session, running_cutoff: datetime, pending_cutoff: datetime) -> list[HarvestJob]:
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


def held_on_host(session: Session, host: str) -> list[HarvestJob]:
    """Jobs taken by a worker process of this host (`worker` is `host:pid:thread`) and not
    finished, locked against a concurrent watchdog where the database can."""
    held = ACTIVE_JOB_STATUSES - {JobStatus.PENDING}
    escaped = host.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (
        select(HarvestJob)
        .where(HarvestJob.status.in_(held), HarvestJob.worker.like(f"{escaped}:%", escape="\\"))
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def pending_ids(session: Session) -> list[str]:
    stmt = select(HarvestJob.id).where(HarvestJob.status == JobStatus.PENDING)
    return list(session.scalars(stmt.order_by(HarvestJob.created)))


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
