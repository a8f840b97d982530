"""Retention: old jobs go, deleted sources go, harvested data stays (archived)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.factories import SourceFactory, stored

from moisson.domain.enums import ArchiveReason, JobStatus
from moisson.services.retention import purge_deleted_sources, purge_jobs
from moisson.storage.models import Dataset, HarvestItem, HarvestJob, HarvestSource

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def add_source(db: Session, name: str, **kwargs: object) -> HarvestSource:
    return stored(db, SourceFactory.build(name=name, slug=name.lower(), **kwargs))


class TestPurgeJobs:
    def test_keeps_jobs_inside_the_retention_window(self, db: Session) -> None:
        source = add_source(db, "S")
        old = HarvestJob(
            source_id=source.id, status=JobStatus.DONE, created=NOW - timedelta(days=3)
        )
        edge = HarvestJob(
            source_id=source.id,
            status=JobStatus.DONE,
            created=NOW - timedelta(days=2) + timedelta(minutes=1),
        )
        running_old = HarvestJob(
            source_id=source.id, status=JobStatus.INITIALIZED, created=NOW - timedelta(days=30)
        )
        db.add_all([old, edge, running_old])
        db.flush()
        db.add(HarvestItem(job_id=old.id, seq=0, remote_id="r1", status="done"))
        db.flush()

        assert purge_jobs(db, now=NOW, retention_days=2) == 1

        remaining = set(db.scalars(select(HarvestJob.id)))
        assert remaining == {edge.id, running_old.id}
        assert db.scalar(select(func.count()).select_from(HarvestItem)) == 0


class TestPurgeDeletedSources:
    def test_archives_datasets_and_removes_only_deleted_sources(self, db: Session) -> None:
        kept = add_source(db, "Kept")
        gone = add_source(db, "Gone", deleted_at=NOW - timedelta(days=1))
        db.add(HarvestJob(source_id=gone.id, status=JobStatus.DONE))
        mine = Dataset(slug="mine", title="Mine", harvest_source_id=gone.id, harvest_remote_id="a")
        other = Dataset(slug="other", title="Other", harvest_source_id=kept.id)
        db.add_all([mine, other])
        db.flush()

        assert purge_deleted_sources(db, now=NOW) == 1
        db.expire_all()

        assert set(db.scalars(select(HarvestSource.id))) == {kept.id}
        assert db.scalar(select(func.count()).select_from(HarvestJob)) == 0
        archived = db.get(Dataset, mine.id)
        assert archived is not None
        assert archived.archived_at == NOW
        assert archived.harvest_archived_reason == ArchiveReason.HARVESTER_DELETED
        assert archived.version == 2
        untouched = db.get(Dataset, other.id)
        assert untouched is not None
        assert untouched.archived_at is None

    def test_nothing_to_purge(self, db: Session) -> None:
        add_source(db, "Alive")
        assert purge_deleted_sources(db, now=NOW) == 0
