"""Harvest sources: lookup by id or slug, slug history, filtered listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from moisson.domain.enums import ValidationState
from moisson.storage.models import HarvestSource, SourceSlugHistory
from moisson.storage.repositories.base import all_words_match, paginate


def by_id(session: Session, source_id: str) -> HarvestSource | None:
    return session.get(HarvestSource, source_id)


def by_slug(session: Session, slug: str) -> HarvestSource | None:
    return session.scalars(select(HarvestSource).where(HarvestSource.slug == slug)).first()


def by_former_slug(session: Session, slug: str) -> HarvestSource | None:
    return session.scalars(
        select(HarvestSource)
        .join(SourceSlugHistory, SourceSlugHistory.source_id == HarvestSource.id)
        .where(SourceSlugHistory.slug == slug)
    ).first()


def slug_taken(session: Session, slug: str) -> bool:
    """Deleted (not yet purged) sources keep their slugs."""
    return (
        session.scalar(select(HarvestSource.id).where(HarvestSource.slug == slug).limit(1))
        is not None
    )


def remember_former_slug(session: Session, slug: str, source_id: str) -> None:
    """Make `slug` redirect to `source_id`, replacing whatever it redirected to before."""
    session.execute(delete(SourceSlugHistory).where(SourceSlugHistory.slug == slug))
    session.add(SourceSlugHistory(slug=slug, source_id=source_id))


@dataclass(frozen=True, slots=True)
class SourceFilters:
    include_deleted: bool = False
    producer_id: str | None = None
    """A user or an organization id: sources owned by that user or that organization."""
    organization_id: str | None = None
    q: str | None = None
    scheduled: bool = False
    """Only sources with a cron or an interval schedule."""


def _listing(filters: SourceFilters) -> Select[Any]:
    stmt = select(HarvestSource)
    if not filters.include_deleted:
        stmt = stmt.where(HarvestSource.deleted_at.is_(None))
    if filters.producer_id:
        stmt = stmt.where(
            or_(
                HarvestSource.owner_id == filters.producer_id,
                HarvestSource.organization_id == filters.producer_id,
            )
        )
    if filters.organization_id:
        stmt = stmt.where(HarvestSource.organization_id == filters.organization_id)
    if filters.q:
        stmt = stmt.where(*all_words_match(filters.q, [HarvestSource.name, HarvestSource.url]))
    if filters.scheduled:
        stmt = stmt.where(
            or_(
                HarvestSource.schedule_cron.is_not(None),
                HarvestSource.schedule_interval.is_not(None),
            )
        )
    return stmt.order_by(HarvestSource.created_at.desc(), HarvestSource.id.desc())


def page(
    session: Session, filters: SourceFilters, page_number: int, page_size: int
) -> tuple[list[HarvestSource], int]:
    return paginate(session, _listing(filters), page_number, page_size)


def with_credentials(session: Session) -> list[HarvestSource]:
    """Every source (deleted ones too) holding encrypted credentials."""
    query = select(HarvestSource).where(HarvestSource.credentials_token.is_not(None))
    return list(session.scalars(query.order_by(HarvestSource.id)))


def lock_due(session: Session, now: datetime, limit: int) -> list[HarvestSource]:
    """The active, accepted, live sources whose `next_run_at` is at or before `now`, soonest
    first; on PostgreSQL locked for this transaction, skipping those another scheduler holds."""
    query = (
        select(HarvestSource)
        .where(
            HarvestSource.next_run_at.is_not(None),
            HarvestSource.next_run_at <= now,
            HarvestSource.deleted_at.is_(None),
            HarvestSource.active.is_(True),
            HarvestSource.validation_state == ValidationState.ACCEPTED,
        )
        .order_by(HarvestSource.next_run_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def pending_count(session: Session) -> int:
    """Live sources waiting for a sysadmin's decision."""
    query = select(func.count()).where(
        HarvestSource.validation_state == ValidationState.PENDING,
        HarvestSource.deleted_at.is_(None),
    )
    return session.scalar(query.select_from(HarvestSource)) or 0


def live_count_by_active(session: Session) -> dict[bool, int]:
    """Sources not deleted, counted by their `active` flag."""
    rows = session.execute(
        select(HarvestSource.active, func.count())
        .where(HarvestSource.deleted_at.is_(None))
        .group_by(HarvestSource.active)
    )
    return {bool(active): count for active, count in rows}


def deleted_ids(session: Session) -> list[str]:
    """Soft-deleted sources (not yet purged)."""
    return list(
        session.scalars(select(HarvestSource.id).where(HarvestSource.deleted_at.is_not(None)))
    )


def delete_for_good(session: Session, source_ids: list[str]) -> None:
    """Delete these sources' rows; the database cascades to their jobs, records and pages."""
    if source_ids:
        session.execute(delete(HarvestSource).where(HarvestSource.id.in_(source_ids)))
