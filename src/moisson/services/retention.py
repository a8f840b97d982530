"""Retention: purge old jobs, and remove soft-deleted sources for good.

Purging a deleted source never deletes harvested data: its datasets and dataservices are
archived with reason `harvester-deleted` (udata behaviour, docs/udata-behaviour.md §7.3), then the
source row is deleted and the database cascades to its jobs, items, records and page cache.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from moisson.domain.enums import ArchiveReason
from moisson.storage.repositories import datasets as datasets_repo
from moisson.storage.repositories import jobs as jobs_repo
from moisson.storage.repositories import sources as sources_repo


def purge_jobs(session: Session, *, now: datetime, retention_days: int) -> int:
    """Delete finished jobs created before `now - retention_days`; returns how many."""
    return jobs_repo.delete_finished_before(session, now - timedelta(days=retention_days))


def purge_deleted_sources(session: Session, *, now: datetime) -> int:
    """Archive the objects of every soft-deleted source, then delete those sources."""
    source_ids = sources_repo.deleted_ids(session)
    datasets_repo.archive_all_of_sources(
        session, source_ids, now=now, reason=ArchiveReason.HARVESTER_DELETED
    )
    sources_repo.delete_for_good(session, source_ids)
    return len(source_ids)
