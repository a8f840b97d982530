"""New datasets are written in batches (`moisson.harvest.batch`): same results as one by one.

A record whose rows the database refuses makes the whole batch write fail; the engine then
redoes that batch item by item, so the record fails alone and the others are written.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from tests.fakes import FakeRecord
from tests.integration.harvest.conftest import Runner, count, make_org, make_source

from moisson.domain.drafts import ContactPointDraft, DatasetDraft, HarvestMeta, ResourceDraft
from moisson.storage.models import (
    ContactPoint,
    Dataset,
    HarvestLogRow,
    HarvestRecord,
    Resource,
)

#: No database stores this in a BIGINT column: the batch write fails on SQLite and PostgreSQL.
TOO_BIG = 2**70


def record(remote_id: str, *, title: str | None = None, filesize: int = 10) -> FakeRecord:
    draft = DatasetDraft(
        title=title or f"Dataset {remote_id}",
        resources=(
            ResourceDraft(
                url=f"https://remote.test/{remote_id}.csv", title="CSV", filesize=filesize
            ),
        ),
        contact_points=(ContactPointDraft(name="Desk", email="desk@remote.test"),),
        harvest=HarvestMeta(remote_url=f"https://remote.test/page/{remote_id}"),
    )
    return FakeRecord(remote_id, draft=draft, page="page-1")


class TestBatchWrites:
    def test_a_record_the_database_refuses_fails_alone(self, db: Session, harvest: Runner) -> None:
        source = make_source(db, organization=make_org(db))
        catalog = [record("1"), record("2", filesize=TOO_BIG), record("3")]
        run = harvest(source, catalog)

        assert run.statuses == ["done", "failed", "done"]
        job = run.job
        assert (job.status, job.items_done, job.items_failed) == ("done-errors", 2, 1)
        assert job.items_datasets == 2
        failed = run.items[1]
        assert (failed.dataset_id, failed.kind, failed.unchanged) == (None, "dataset", False)
        assert failed.remote_url is None
        assert len(run.item_errors(db, failed)) == 1
        logs = list(
            db.execute(
                select(HarvestLogRow.seq, HarvestLogRow.message)
                .where(HarvestLogRow.item_id == failed.id)
                .order_by(HarvestLogRow.seq)
            )
        )
        # The mapping's line, then the failure's, as if the item had been written alone.
        assert [(seq, message.split(":")[0]) for seq, message in logs] == [
            (0, "Mapping 2"),
            (1, "Error while processing 2"),
        ]
        # The others are written in full, as if the batch had never failed.
        datasets = {
            d.harvest_remote_id: d
            for d in db.scalars(select(Dataset).options(selectinload(Dataset.resources)))
        }
        assert sorted(datasets) == ["1", "3"]
        assert [item.dataset_id for item in (run.items[0], run.items[2])] == [
            datasets["1"].id,
            datasets["3"].id,
        ]
        assert run.items[0].remote_url == "https://remote.test/page/1"
        assert [len(d.resources) for d in datasets.values()] == [1, 1]
        assert set(db.scalars(select(HarvestRecord.remote_id))) == {"1", "3"}
        point = db.scalars(select(ContactPoint)).one()
        assert all(d.contact_point_ids == [point.id] for d in datasets.values())

    def test_the_refused_record_is_retried_on_the_next_run(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db)
        harvest(source, [record("1"), record("2", filesize=TOO_BIG)])
        run = harvest(source, [record("1"), record("2")])
        assert run.statuses == ["done", "done"]
        assert [item.unchanged for item in run.items] == [True, False]
        assert count(db, Dataset) == 2

    def test_slugs_account_for_the_database_and_the_batch(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db)
        harvest(source, [record("old", title="Same")])
        run = harvest(
            source,
            [record("old", title="Same"), record("a", title="Same"), record("b", title="Same")],
        )
        assert run.statuses == ["done"] * 3
        rows = db.execute(select(Dataset.harvest_remote_id, Dataset.slug))
        assert dict(rows.all()) == {"old": "same", "a": "same-1", "b": "same-2"}

    def test_contact_points_are_reused_from_the_database(
        self, db: Session, harvest: Runner
    ) -> None:
        org = make_org(db)
        harvest(make_source(db, organization=org), [record("1")])
        harvest(make_source(db, url="https://other.test/", organization=org), [record("2")])
        assert count(db, ContactPoint) == 1

    def test_new_datasets_start_at_version_one_and_stay_there_when_unchanged(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db)
        harvest(source, [record("1"), record("2")])
        harvest(source, [record("1"), record("2")])
        assert list(db.scalars(select(Dataset.version))) == [1, 1]
        assert count(db, Resource) == 2
