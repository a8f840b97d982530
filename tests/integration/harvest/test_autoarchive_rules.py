"""Autoarchive: udata's grace rule, un-archiving, and our two guards."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from tests.fakes import FakeRecord, fake_backend
from tests.integration.harvest.conftest import Runner, make_source

from moisson.config import Settings
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import SourceUnavailable
from moisson.harvest.autoarchive import grace_cutoff
from moisson.storage.base import utcnow
from moisson.storage.models import Dataservice, Dataset, HarvestRecord, HarvestSource

KEEP = [FakeRecord("k1"), FakeRecord("k2"), FakeRecord("k3")]


def age(db: Session, source: HarvestSource, *remote_ids: str, days: int = 30) -> None:
    """Pretend these records were last harvested and last seen `days` ago."""
    old = utcnow() - timedelta(days=days)
    for model in (Dataset, Dataservice):
        db.execute(
            update(model)
            .where(model.harvest_remote_id.in_(remote_ids))
            .values(harvest_last_update=old)
        )
    db.execute(
        update(HarvestRecord)
        .where(HarvestRecord.source_id == source.id, HarvestRecord.remote_id.in_(remote_ids))
        .values(updated_at=old)
    )
    db.commit()


def dataset(db: Session, remote_id: str) -> Dataset:
    db.expire_all()
    return db.scalars(select(Dataset).where(Dataset.harvest_remote_id == remote_id)).one()


class TestGraceRule:
    def test_only_objects_older_than_the_grace_period_are_archived(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db)
        svc = FakeRecord("old-svc", kind=ItemKind.DATASERVICE)
        harvest(source, [*KEEP, FakeRecord("old"), FakeRecord("fresh"), svc])
        age(db, source, "old", "old-svc")
        run = harvest(source, KEEP)
        assert run.job.status == "done"
        archived = [(i.remote_id, i.kind, i.status) for i in run.items if i.status == "archived"]
        assert archived == [("old", "dataset", "archived"), ("old-svc", "dataservice", "archived")]
        assert run.job.items_archived == 2
        assert run.job.items_total == 5
        old = dataset(db, "old")
        assert old.archived_at is not None
        assert old.harvest_archived_reason == "not-on-remote"
        assert run.items[3].dataset_id == old.id
        fresh = dataset(db, "fresh")
        assert (fresh.archived_at, fresh.harvest_archived_at, fresh.harvest_archived_reason) == (
            None,
            None,
            None,
        )
        service = db.scalars(select(Dataservice)).one()
        assert service.harvest_archived_at is not None

    def test_an_already_archived_object_is_reported_again(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db)
        harvest(source, [*KEEP, FakeRecord("old")])
        age(db, source, "old")
        harvest(source, KEEP)
        first_date = dataset(db, "old").harvest_archived_at
        run = harvest(source, KEEP)
        assert [i.remote_id for i in run.items if i.status == "archived"] == ["old"]
        assert dataset(db, "old").harvest_archived_at == first_date

    def test_an_archived_object_coming_back_is_unarchived(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db)
        harvest(source, [*KEEP, FakeRecord("old")])
        age(db, source, "old")
        harvest(source, KEEP)
        assert dataset(db, "old").archived_at is not None
        run = harvest(source, [*KEEP, FakeRecord("old")])
        assert run.statuses == ["done"] * 4
        back = dataset(db, "old")
        assert (back.archived_at, back.harvest_archived_at, back.harvest_archived_reason) == (
            None,
            None,
            None,
        )

    def test_a_record_seen_unchanged_recently_is_protected(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db)
        harvest(source, [*KEEP, FakeRecord("quiet")])
        old = utcnow() - timedelta(days=30)
        db.execute(update(Dataset).values(harvest_last_update=old))
        db.commit()
        harvest(source, [*KEEP, FakeRecord("quiet")])  # unchanged: last_update stays old
        run = harvest(source, KEEP)
        assert [i for i in run.items if i.status == "archived"] == []

    def test_failed_and_skipped_records_protect_their_objects(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db)
        harvest(source, [*KEEP, FakeRecord("f"), FakeRecord("s")])
        age(db, source, "f", "s")
        from moisson.domain.exceptions import InvalidItem

        run = harvest(
            source,
            [
                *KEEP,
                FakeRecord("f", title="x", map_error=InvalidItem("bad")),
                FakeRecord("s", skip="no"),
            ],
        )
        assert run.job.items_archived == 0

    def test_the_cutoff_is_midnight_of_the_grace_day(self) -> None:
        now = utcnow().replace(hour=15)
        cutoff = grace_cutoff(now, 7)
        assert (cutoff.hour, cutoff.minute) == (0, 0)
        assert (now.date() - cutoff.date()).days == 7

    def test_autoarchive_off_archives_nothing(self, db: Session, harvest: Runner) -> None:
        source = make_source(db, autoarchive=False)
        harvest(source, [*KEEP, FakeRecord("old")])
        age(db, source, "old")
        run = harvest(source, KEEP)
        assert run.job.items_archived == 0


class TestGuards:
    def test_a_failed_run_archives_nothing(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        harvest(source, [*KEEP, FakeRecord("old")])
        age(db, source, "old")
        run = harvest(
            source, fake_backend(KEEP, gather_error=SourceUnavailable("down"), gather_error_after=3)
        )
        assert run.job.status == "failed"
        assert run.job.items_archived == 0
        assert dataset(db, "old").archived_at is None

    def test_an_unreadable_record_archives_nothing(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        harvest(source, [*KEEP, FakeRecord("old")])
        age(db, source, "old")
        # The record of "old" is still there but unreadable: its id is unknown.
        run = harvest(source, [*KEEP, FakeRecord(None, failure="Unreadable record")])
        assert run.job.status == "done-errors"
        assert run.job.items_archived == 0
        assert dataset(db, "old").archived_at is None
        assert [e.message for e in run.errors] == [
            "Autoarchive skipped: 1 record(s) could not be read, so the datasets they stand "
            "for cannot be told apart from vanished ones"
        ]
        # Once every record reads again, the vanished one is archived as usual.
        assert harvest(source, KEEP).job.items_archived == 1

    def test_a_truncated_run_archives_nothing(
        self, db: Session, harvest: Runner, settings: Settings
    ) -> None:
        source = make_source(db)
        harvest(source, [*KEEP, FakeRecord("old")])
        age(db, source, "old", "k3")
        capped = settings.model_copy(
            update={"harvest": settings.harvest.model_copy(update={"max_items": 2})}
        )
        run = harvest(source, KEEP, settings=capped)
        assert run.job.truncated
        assert run.job.items_archived == 0
        assert dataset(db, "old").archived_at is None

    def test_archiving_too_large_a_share_is_refused_with_an_error(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db)
        harvest(source, [FakeRecord("a"), FakeRecord("b"), FakeRecord("c"), FakeRecord("d")])
        age(db, source, "a", "b", "c", "d")
        run = harvest(source, [FakeRecord("a")])
        assert run.job.status == "done"
        assert run.job.items_archived == 0
        assert len(run.errors) == 1
        assert run.errors[0].message.startswith(
            "Autoarchive skipped: 3 of the 4 live datasets and dataservices"
        )
        assert all(d.archived_at is None for d in db.scalars(select(Dataset)))

    def test_the_ratio_is_configurable(
        self, db: Session, harvest: Runner, settings: Settings
    ) -> None:
        source = make_source(db)
        harvest(source, [FakeRecord("a"), FakeRecord("b")])
        age(db, source, "a", "b")
        lenient = settings.model_copy(
            update={"harvest": settings.harvest.model_copy(update={"autoarchive_max_ratio": 1.0})}
        )
        run = harvest(source, [], settings=lenient)
        assert run.job.items_archived == 2
