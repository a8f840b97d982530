"""Incremental runs: unchanged records are neither mapped nor written; the page cache."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.fakes import FakeRecord, fake_backend, fake_paged_backend
from tests.integration.harvest.conftest import Runner, make_source

from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import InvalidItem, SourceUnavailable
from moisson.storage.models import Dataset, HarvestPage, HarvestRecord


def versions(db: Session) -> dict[str, int]:
    db.expire_all()
    return {d.harvest_remote_id: d.version for d in db.scalars(select(Dataset))}  # type: ignore[misc]


class TestUnchangedRecords:
    def test_a_second_identical_run_rewrites_no_dataset(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        catalog = [FakeRecord("1"), FakeRecord("2"), FakeRecord("3")]
        harvest(source, catalog)
        before = versions(db)
        backend = fake_backend(catalog)
        run = harvest(source, backend)
        assert run.job.status == "done"
        assert run.statuses == ["done", "done", "done"]
        assert all(item.unchanged for item in run.items)
        assert run.job.items_unchanged == 3
        assert backend.calls == []
        assert versions(db) == before
        assert [item.dataset_id for item in run.items] == [
            db.scalars(select(Dataset.id).where(Dataset.harvest_remote_id == i)).one()
            for i in ("1", "2", "3")
        ]

    def test_a_changed_record_is_remapped_alone(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        harvest(source, [FakeRecord("1"), FakeRecord("2", title="old")])
        before = versions(db)
        backend = fake_backend([FakeRecord("1"), FakeRecord("2", title="new")])
        run = harvest(source, backend)
        assert backend.calls == ["2"]
        assert [item.unchanged for item in run.items] == [True, False]
        after = versions(db)
        assert after["1"] == before["1"]
        assert after["2"] == before["2"] + 1

    def test_a_config_change_remaps_everything(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        catalog = [FakeRecord("1")]
        harvest(source, catalog)
        source.config = {"features": {"feature": True}}
        db.commit()
        backend = fake_backend(catalog)
        harvest(source, backend)
        assert backend.calls == ["1"]

    def test_a_deleted_local_object_is_recreated(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        harvest(source, [FakeRecord("1")])
        db.delete(db.scalars(select(Dataset)).one())
        db.commit()
        backend = fake_backend([FakeRecord("1")])
        run = harvest(source, backend)
        assert backend.calls == ["1"]
        assert not run.items[0].unchanged
        assert db.scalars(select(Dataset)).one().harvest_remote_id == "1"

    def test_the_raw_payload_and_hash_are_stored(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        run = harvest(source, [FakeRecord("1", title="Stored")])
        record = db.get(HarvestRecord, (source.id, "1"))
        assert record is not None
        assert record.kind == "dataset"
        assert '"title": "Stored"' in (record.payload or "")
        assert record.job_id == run.job.id
        assert record.dataset_id == run.items[0].dataset_id

    def test_a_failed_item_stores_no_record(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        harvest(source, [FakeRecord("1", map_error=InvalidItem("bad"))])
        assert db.get(HarvestRecord, (source.id, "1")) is None


class TestPageCache:
    def test_an_unchanged_page_is_not_remapped_nor_archived(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db)
        pages = {
            "page-1": [FakeRecord("a", page="page-1"), FakeRecord("b", page="page-1")],
            "page-2": [FakeRecord("c", page="page-2")],
        }
        first = fake_paged_backend(pages)
        harvest(source, first)
        assert first.calls == ["a", "b", "c"]
        assert {p.key for p in db.scalars(select(HarvestPage))} == {"page-1", "page-2"}
        before = versions(db)

        changed = {**pages, "page-2": [FakeRecord("c", title="changed", page="page-2")]}
        second = fake_paged_backend(changed)
        run = harvest(source, second)
        assert second.calls == ["c"]
        assert [(i.remote_id, i.status, i.unchanged) for i in run.items] == [
            ("a", "done", True),
            ("b", "done", True),
            ("c", "done", False),
        ]
        assert run.job.items_archived == 0
        after = versions(db)
        assert (after["a"], after["b"]) == (before["a"], before["b"])
        assert all(d.archived_at is None for d in db.scalars(select(Dataset))), (
            "records of a cached page count as seen"
        )

    def test_a_page_with_a_failed_record_is_not_cached(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        pages = {
            "p1": [FakeRecord("a", page="p1")],
            "p2": [FakeRecord("b", page="p2", map_error=InvalidItem("broken"))],
        }
        harvest(source, fake_paged_backend(pages))
        assert [p.key for p in db.scalars(select(HarvestPage))] == ["p1"]

    def test_a_failed_job_caches_no_page(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        backend = fake_paged_backend(
            {"p1": [FakeRecord("a", page="p1")]},
            gather_error=SourceUnavailable("page 2 answered 503"),
        )
        run = harvest(source, backend)
        assert run.job.status == "failed"
        assert run.statuses == ["done"]
        assert list(db.scalars(select(HarvestPage))) == []

    def test_an_unreadable_record_spoils_its_page(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        pages = {
            "p1": [FakeRecord("a", page="p1")],
            "p2": [FakeRecord("b", page="p2"), FakeRecord("c", failure="x", page="p2")],
        }
        run = harvest(source, fake_paged_backend(pages))
        assert run.job.status == "done-errors"
        assert [p.key for p in db.scalars(select(HarvestPage))] == ["p1"]

    def test_a_cached_record_without_local_object_asks_for_a_full_harvest(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db)
        pages = {"p1": [FakeRecord("a", page="p1", kind=ItemKind.DATASET)]}
        harvest(source, fake_paged_backend(pages))
        db.delete(db.scalars(select(Dataset)).one())
        db.commit()
        run = harvest(source, fake_paged_backend(pages))
        assert run.statuses == ["failed"]
        assert "full re-harvest" in run.item_errors(db, run.items[0])[0]
