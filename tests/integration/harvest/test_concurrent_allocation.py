"""Another job takes a slug or a contact point between our lookup and our write.

The engine chooses a new dataset's slug and finds its contact points by looking first, then
inserting; a concurrent job (another worker, on PostgreSQL) may insert the same slug or the
same contact point in between. The database decides (unique constraints, `ON CONFLICT DO
NOTHING`): the lost row is retried with the next free slug, the contact point of the other job
is used, and no item fails nor does the batch fall back to one-by-one writes.

"Another job" is simulated by wrapping the lookup (`Database.race`). On PostgreSQL a second
connection writes and commits the colliding row right after our lookup returned, exactly as a
concurrent worker would. SQLite lets one transaction write at a time (the engine's
transactions take the write lock up front), so a second connection there could only wait for
ours: the colliding row is committed before the job, and our first lookup answers as it would
have just before that commit. In both cases our write then meets a row it did not look at.
Both databases always run (PostgreSQL even in the SQLite pass of the suite).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from tests.fakes import FakeRecord, catalog_transport, fake_backend
from tests.races import Database, race_database

from moisson.domain.drafts import ContactPointDraft, DataserviceDraft, DatasetDraft, HarvestMeta
from moisson.domain.enums import ItemKind, JobStatus
from moisson.harvest.batch import WriteBatch
from moisson.harvest.engine import run_job
from moisson.harvest.reconcile import SourceRef
from moisson.services.runs import create_pending_job
from moisson.storage.base import new_id, utcnow
from moisson.storage.models import (
    ContactPoint,
    Dataservice,
    Dataset,
    HarvestItem,
    HarvestJob,
    HarvestSource,
    Organization,
    contact_identity,
)
from moisson.storage.repositories import bulk, harvested

TITLE = "Qualité de l'air"
SLUG = "qualite-de-lair"
DESK = ContactPointDraft(name="Air desk", email="air@remote.test")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with race_database(request.param, tmp_path) as found:
        yield found


def a_source(database: Database) -> tuple[str, str]:
    """(source id, organization id), committed."""
    with database.sessions() as session:
        org = Organization(name="Air", slug=f"air-{new_id()}")
        session.add(org)
        session.flush()
        source = HarvestSource(
            name="Air",
            slug=f"air-{new_id()}",
            url="https://remote.test/catalog",
            backend="fake",
            organization_id=org.id,
            validation_state="accepted",
        )
        session.add(source)
        session.commit()
        return source.id, org.id


def harvest(database: Database, source_id: str, records: list[FakeRecord]) -> HarvestJob:
    with database.sessions() as session:
        source = session.get(HarvestSource, source_id)
        assert source is not None
        job_id = create_pending_job(session, source).id
        session.commit()
    with httpx.Client(transport=catalog_transport({})) as http:
        run_job(
            database.sessions,
            database.settings,
            job_id,
            backend_registry={"fake": fake_backend(records)},
            http=http,
        )
    with database.sessions() as session:
        job = session.get(HarvestJob, job_id)
        assert job is not None
        return job


def dataset_record(remote_id: str, title: str = TITLE) -> FakeRecord:
    draft = DatasetDraft(
        title=title,
        contact_points=(DESK,),
        harvest=HarvestMeta(remote_url=f"https://remote.test/{remote_id}"),
    )
    return FakeRecord(remote_id, draft=draft, page="p1")


def dataservice_record(remote_id: str) -> FakeRecord:
    draft = DataserviceDraft(
        title=TITLE,
        base_api_url="https://remote.test/api",
        contact_points=(DESK,),
        harvest=HarvestMeta(remote_url=f"https://remote.test/{remote_id}"),
    )
    return FakeRecord(remote_id, kind=ItemKind.DATASERVICE, draft=draft, page="p1")


def an_object_row(model: type[Dataset] | type[Dataservice], slug: str) -> dict[str, Any]:
    """The row of an object another job created (another source: no harvest metadata)."""
    return bulk.complete_row(model, {"id": new_id(), "slug": slug, "title": TITLE})


def failed_items(database: Database, job_id: str) -> list[str | None]:
    with database.sessions() as session:
        return list(
            session.scalars(
                select(HarvestItem.remote_id).where(
                    HarvestItem.job_id == job_id, HarvestItem.status != "done"
                )
            )
        )


def slugs_of(database: Database, model: type[Dataset] | type[Dataservice]) -> dict[str, str]:
    """slug -> remote id (None for the other job's objects) of every object of `model`."""
    with database.sessions() as session:
        return dict(session.execute(select(model.slug, model.harvest_remote_id)).all())  # type: ignore[arg-type]


NO_REDO = "writing its items one by one"


class TestBatchedDatasets:
    def test_a_slug_taken_meanwhile_costs_a_retry_of_that_row(
        self, database: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        source_id, _org = a_source(database)
        calls = database.race(
            monkeypatch,
            (bulk, "slugs_taken"),
            Dataset.__table__,
            an_object_row(Dataset, SLUG),
            hide=lambda taken: taken - {SLUG},
        )
        records = [dataset_record("a"), dataset_record("b"), dataset_record("c", "Autre titre")]
        with caplog.at_level(logging.INFO, logger="moisson.harvest"):
            job = harvest(database, source_id, records)

        assert (job.status, job.items_done, job.items_failed) == (JobStatus.DONE, 3, 0)
        assert failed_items(database, job.id) == []
        # The other job kept its slug. "a" had chosen it too and alone was inserted again,
        # with the next free one; "b" kept the "-1" it had been given.
        assert slugs_of(database, Dataset) == {
            SLUG: None,
            f"{SLUG}-2": "a",
            f"{SLUG}-1": "b",
            "autre-titre": "c",
        }
        assert len(calls) == 2, "one lookup, then one more for the rows that lost their slug"
        assert "taken by another job meanwhile" in caplog.text
        assert NO_REDO not in caplog.text

    def test_a_contact_point_created_meanwhile_is_used_not_duplicated(
        self, database: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        source_id, org_id = a_source(database)
        key = (DESK.name, DESK.email, None, "contact", org_id, None)
        theirs = bulk.contact_point_row(key)
        database.race(
            monkeypatch,
            (bulk, "contact_points_with"),
            ContactPoint.__table__,
            theirs,
            hide=lambda found: {k: v for k, v in found.items() if k != key},
        )
        with caplog.at_level(logging.INFO, logger="moisson.harvest"):
            job = harvest(database, source_id, [dataset_record("a"), dataset_record("b")])

        assert (job.status, job.items_done, job.items_failed) == (JobStatus.DONE, 2, 0)
        with database.sessions() as session:
            points = list(session.scalars(select(ContactPoint)))
            uses = list(session.scalars(select(Dataset.contact_point_ids)))
        assert [(p.id, p.identity) for p in points] == [(theirs["id"], contact_identity(*key))]
        assert uses == [[theirs["id"]], [theirs["id"]]]
        assert NO_REDO not in caplog.text


class TestItemsThroughTheOrm:
    def test_a_dataservice_slug_taken_meanwhile_costs_a_retry_of_the_item(
        self, database: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        source_id, _org = a_source(database)
        database.race(
            monkeypatch,
            (harvested, "slug_in_use"),
            Dataservice.__table__,
            an_object_row(Dataservice, SLUG),
            hide=lambda family: family - {SLUG},
        )
        with caplog.at_level(logging.INFO, logger="moisson.harvest"):
            job = harvest(database, source_id, [dataservice_record("api")])

        assert (job.status, job.items_done, job.items_failed) == (JobStatus.DONE, 1, 0)
        assert slugs_of(database, Dataservice) == {SLUG: None, f"{SLUG}-1": "api"}
        assert "lost a race with another job" in caplog.text

    def test_a_contact_point_created_meanwhile_is_shared(
        self, database: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        source_id, org_id = a_source(database)
        key = (DESK.name, DESK.email, None, "contact", org_id, None)
        theirs = bulk.contact_point_row(key)
        database.race(
            monkeypatch,
            (bulk, "contact_points_with"),
            ContactPoint.__table__,
            theirs,
            hide=lambda found: {k: v for k, v in found.items() if k != key},
        )
        job = harvest(database, source_id, [dataservice_record("api")])

        assert (job.status, job.items_failed) == (JobStatus.DONE, 0)
        with database.sessions() as session:
            assert list(session.scalars(select(ContactPoint.id))) == [theirs["id"]]
            assert session.scalars(select(Dataservice.contact_point_ids)).one() == [theirs["id"]]


@pytest.mark.postgres
def test_a_batch_write_that_deadlocks_with_another_job_is_written_again(tmp_path: Path) -> None:
    """Our transaction holds "alpha" (an earlier batch) and wants "beta"; the other holds
    "beta" and wants "alpha". PostgreSQL aborts our statement (our deadlock check is set to
    run first). The batch is written again in a fresh savepoint, without asking for "beta"
    again (the other transaction still holds it): no error, one more attempt, "beta-1"."""
    with race_database("postgres", tmp_path) as database:
        source_id, org_id = a_source(database)
        ref = SourceRef(
            id=source_id,
            url="https://remote.test/catalog",
            domain="remote.test",
            backend_label="Fake",
            organization_id=org_id,
            owner_id=None,
            autoarchive=False,
        )

        def batch_of(title: str) -> WriteBatch:
            batch = WriteBatch()
            now = utcnow()
            remote_id = title.lower()
            batch.new_dataset(
                DatasetDraft(title=title, harvest=HarvestMeta()),
                source=ref,
                remote_id=remote_id,
                record={
                    "source_id": source_id,
                    "remote_id": remote_id,
                    "kind": "dataset",
                    "content_hash": "0",
                    "payload": None,
                    "job_id": None,
                    "updated_at": now,
                },
                now=now,
            )
            return batch

        ours, theirs = database.sessions(), database.engine.connect()
        # Each side checks for a deadlock once, that long after it starts waiting: ours after
        # the cycle has formed, theirs far later (so ours is the statement aborted).
        ours.execute(text("SET deadlock_timeout = '1s'"))
        theirs.execute(text("SET deadlock_timeout = '10s'"))
        batch_of("Alpha").write(ours)  # held, uncommitted
        theirs.execute(insert(Dataset.__table__), [an_object_row(Dataset, "beta")])

        def other_job() -> None:
            time.sleep(0.2)  # until our insert of "beta" waits for it
            theirs.execute(
                pg_insert(Dataset.__table__).on_conflict_do_nothing(index_elements=["slug"]),
                [an_object_row(Dataset, "alpha")],
            )

        thread = threading.Thread(target=other_job)
        thread.start()
        second = batch_of("Beta")
        try:
            second.write(ours)
            ours.commit()  # lets the other job through: "alpha" is ours, its insert skips
        finally:
            ours.close()  # on failure, rolls back: the other job is let through all the same
            thread.join(timeout=30)
            theirs.commit()
            theirs.close()

        assert second.retries == 1
        assert slugs_of(database, Dataset) == {"alpha": "alpha", "beta": None, "beta-1": "beta"}
