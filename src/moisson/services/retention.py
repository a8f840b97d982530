"""Retention: purge old jobs, and remove soft-deleted sources for good.

Purging a deleted source never deletes harvested data: its datasets and dataservices are
archived with reason `harvester-deleted` (udata behaviour, docs/udata-behaviour.md §7.3), then the
source row is deleted and the database cascades to its jobs, items, records and page cache.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from moisson.domain.enums import ACTIVE_JOB_STATUSES, ArchiveReason
from moisson.storage.models import Dataservice, Dataset, HarvestJob, HarvestSource


def purge_jobs(session: Session, *, now: datetime, retention_days: int) -> int:
    """Delete finished jobs created before `now - retention_days`; returns how many."""
    cutoff = now - timedelta(days=retention_days)
    result = session.execute(
        delete(HarvestJob).where(
            HarvestJob.created < cutoff, HarvestJob.status.not_in(ACTIVE_JOB_STATUSES)
        )
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def purge_deleted_sources(session: Session, *, now: datetime) -> int:
    """Archive the objects of every soft-deleted source, then delete those sources."""
    source_ids = list(
        session.scalars(select(HarvestSource.id).where(HarvestSource.deleted_at.is_not(None)))
    )
    for model in (Dataset, Dataservice):
        session.execute(
            update(model)
            .where(model.harvest_source_id.in_(source_ids))
            .values(
                archived_at=now,
                harvest_archived_at=now,
                harvest_archived_reason=ArchiveReason.HARVESTER_DELETED,
                version=model.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
    if source_ids:
        session.execute(delete(HarvestSource).where(HarvestSource.id.in_(source_ids)))
    return len(source_ids)
