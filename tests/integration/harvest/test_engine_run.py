"""A job from start to end with the fake backend: statuses, counters, errors, logs, caps."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.fakes import FakeRecord, fake_backend
from tests.integration.harvest.conftest import Runner, count, make_org, make_source

from moisson.config import Settings
from moisson.domain.drafts import ResourceDraft
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import InvalidItem, SourceInvalid, SourceUnavailable
from moisson.storage.models import Dataservice, Dataset, HarvestLogRow, Resource


def resource_urls(db: Session, dataset_id: str | None) -> list[str]:
    return list(db.scalars(select(Resource.url).where(Resource.dataset_id == dataset_id)))


def records(*ids: str) -> list[FakeRecord]:
    return [FakeRecord(remote_id) for remote_id in ids]


class TestStatuses:
    def test_three_records_make_three_done_items_and_datasets(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db, organization=make_org(db))
        run = harvest(source, records("fake-1", "fake-2", "fake-3"))
        assert run.job.status == "done"
        assert run.statuses == ["done", "done", "done"]
        assert run.errors == []
        assert (run.job.items_total, run.job.items_done, run.job.items_datasets) == (3, 3, 3)
        assert run.job.items_started == 0
        assert run.job.started is not None
        assert run.job.ended is not None
        datasets = db.scalars(select(Dataset).order_by(Dataset.harvest_remote_id)).all()
        assert [d.harvest_remote_id for d in datasets] == ["fake-1", "fake-2", "fake-3"]
        for dataset, item in zip(datasets, run.items, strict=True):
            assert item.dataset_id == dataset.id
            assert item.remote_url == f"https://remote.test/{dataset.harvest_remote_id}"
            assert dataset.harvest_source_id == source.id
            assert dataset.harvest_domain == "remote.test"
            assert dataset.harvest_backend == "Fake"
            assert dataset.harvest_source_url == source.url
            assert dataset.organization_id == source.organization_id
            assert run.job.started <= dataset.harvest_last_update <= run.job.ended

    def test_zero_records_is_done_without_items(self, db: Session, harvest: Runner) -> None:
        run = harvest(make_source(db), [])
        assert run.job.status == "done"
        assert run.items == []

    def test_a_failing_map_fails_its_item_only(self, db: Session, harvest: Runner) -> None:
        catalog = [
            FakeRecord("ok-1"),
            FakeRecord("bad", map_error=InvalidItem("no title in record bad")),
            FakeRecord("boom", map_error=RuntimeError("boom!")),
            FakeRecord("ok-2"),
        ]
        run = harvest(make_source(db), catalog)
        assert run.job.status == "done-errors"
        assert run.statuses == ["done", "failed", "failed", "done"]
        assert run.errors == []
        assert run.item_errors(db, run.items[1]) == ["no title in record bad"]
        assert run.item_errors(db, run.items[2]) == ["boom!"]
        assert run.job.items_failed == 2
        assert count(db, Dataset) == 2
        logs = db.scalars(
            select(HarvestLogRow).where(HarvestLogRow.item_id == run.items[2].id)
        ).all()
        assert ("DEBUG", "Mapping boom") in [(log.level, log.message) for log in logs]
        assert ("ERROR", "Error while processing boom: boom!") in [
            (log.level, log.message) for log in logs
        ]

    def test_skipped_records_do_not_make_done_errors(self, db: Session, harvest: Runner) -> None:
        catalog = [
            FakeRecord("a"),
            FakeRecord("b", skip="Dataset b has no record"),
            FakeRecord(None),
        ]
        run = harvest(make_source(db), catalog)
        assert run.job.status == "done"
        assert run.statuses == ["done", "skipped", "skipped"]
        assert run.item_errors(db, run.items[1]) == ["Dataset b has no record"]
        assert run.item_errors(db, run.items[2]) == ["missing identifier"]
        assert run.job.items_skipped == 2

    def test_an_unreadable_record_fails_without_mapping(self, db: Session, harvest: Runner) -> None:
        backend = fake_backend([FakeRecord(None, failure="Cannot parse record 3")])
        run = harvest(make_source(db), backend)
        assert run.statuses == ["failed"]
        assert run.item_errors(db, run.items[0]) == ["Cannot parse record 3"]
        assert backend.calls == []

    def test_a_gather_crash_fails_the_job_and_keeps_earlier_items(
        self, db: Session, harvest: Runner
    ) -> None:
        backend = fake_backend(
            records("a", "b", "c"),
            gather_error=SourceUnavailable("Catalog page 2 answered 503"),
            gather_error_after=2,
        )
        source = make_source(db)
        run = harvest(source, backend)
        assert run.job.status == "failed"
        assert run.statuses == ["done", "done"]
        assert [e.message for e in run.errors] == ["Catalog page 2 answered 503"]
        assert run.errors[0].level == "WARNING"
        assert run.job.ended is not None
        assert count(db, Dataset) == 2

    def test_an_http_error_in_gather_names_the_url(self, db: Session, harvest: Runner) -> None:
        request = httpx.Request("GET", "https://remote.test/catalog?page=1")
        error = httpx.ConnectError("Connection refused", request=request)
        run = harvest(make_source(db), fake_backend([], gather_error=error))
        assert run.job.status == "failed"
        assert len(run.errors) == 1
        assert "Connection refused" in run.errors[0].message
        assert "https://remote.test/catalog?page=1" in run.errors[0].message
        assert "Traceback" in (run.errors[0].details or "")

    def test_an_invalid_source_error_has_no_traceback(self, db: Session, harvest: Runner) -> None:
        error = SourceInvalid('Unsupported mime type "text/html"')
        run = harvest(make_source(db), fake_backend([], gather_error=error))
        assert [(e.message, e.details) for e in run.errors] == [
            ('Unsupported mime type "text/html"', None)
        ]

    def test_a_source_error_in_map_fails_the_item_and_the_job(
        self, db: Session, harvest: Runner
    ) -> None:
        catalog = [
            FakeRecord("a", map_error=SourceUnavailable("Remote API is down")),
            FakeRecord("b"),
        ]
        run = harvest(make_source(db), catalog)
        assert run.job.status == "failed"
        assert run.statuses == ["failed"]
        assert [e.message for e in run.errors] == ["Remote API is down"]

    def test_an_unknown_backend_fails_the_job(self, db: Session, harvest: Runner) -> None:
        source = make_source(db, backend="nope")
        run = harvest(source, [])
        assert run.job.status == "failed"
        assert 'Unknown backend "nope"' in run.errors[0].message

    def test_a_job_that_is_not_pending_is_left_alone(
        self, db: Session, harvest: Runner, session_factory: object, settings: Settings
    ) -> None:
        from moisson.harvest.engine import run_job

        run = harvest(make_source(db), records("a"))
        run_job(session_factory, settings, run.job.id, backend_registry={})  # type: ignore[arg-type]
        db.expire_all()
        assert run.job.status == "done"


class TestMetadataUrls:
    def test_a_bad_resource_url_drops_that_resource_alone(
        self, db: Session, harvest: Runner
    ) -> None:
        bad = FakeRecord(
            "bad",
            resources=[
                ResourceDraft(url="//host\\path\\file.xlsx", title="sheet"),
                ResourceDraft(url="https://remote.test/kept.csv", title="kept"),
            ],
        )
        source = make_source(db, organization=make_org(db))
        run = harvest(source, [FakeRecord("good"), bad])
        assert run.job.status == "done"
        assert run.statuses == ["done", "done"]
        assert run.item_errors(db, run.items[1]) == []
        logs = db.scalars(
            select(HarvestLogRow).where(HarvestLogRow.item_id == run.items[1].id)
        ).all()
        assert [(log.level, log.message.split(" (")[0]) for log in logs][1:] == [
            ("WARNING", "[resources.0.url] unusable URL dropped")
        ]
        assert count(db, Dataset) == 2
        assert resource_urls(db, run.items[1].dataset_id) == ["https://remote.test/kept.csv"]
        again = harvest(source, [FakeRecord("good"), bad])
        assert again.job.items_unchanged == 2

    def test_intranet_links_pass_when_the_network_is_allowed(
        self, db: Session, harvest: Runner, settings: Settings
    ) -> None:
        intranet = FakeRecord(
            "intra", resources=[ResourceDraft(url="http://10.2.3.4/data.csv", title="data")]
        )
        source = make_source(db, organization=make_org(db))
        refused = harvest(source, [intranet])
        assert refused.statuses == ["done"]
        assert resource_urls(db, refused.items[0].dataset_id) == []
        allowed = Settings.model_validate(
            {**settings.model_dump(), "outbound_allow_networks": ["10.0.0.0/8"]}
        )
        assert harvest(source, [intranet], settings=allowed).statuses == ["done"]
        assert resource_urls(db, refused.items[0].dataset_id) == ["http://10.2.3.4/data.csv"]


class TestDuplicates:
    def test_repeated_remote_ids_fail_after_the_first(self, db: Session, harvest: Runner) -> None:
        catalog = [
            *records("1", "2", "3", "3", "1"),
            FakeRecord("s1", kind=ItemKind.DATASERVICE),
            FakeRecord("s2", kind=ItemKind.DATASERVICE),
            FakeRecord("s2", kind=ItemKind.DATASERVICE),
        ]
        run = harvest(make_source(db), catalog)
        assert run.job.status == "done-errors"
        assert run.statuses == [
            "done",
            "done",
            "done",
            "failed",
            "failed",
            "done",
            "done",
            "failed",
        ]
        assert run.item_errors(db, run.items[3]) == ["Identifier '3' already exists"]
        assert run.item_errors(db, run.items[7]) == ["Identifier 's2' already exists"]
        assert (count(db, Dataset), count(db, Dataservice)) == (3, 2)


class TestMaxItems:
    def test_cap_below_the_catalog_truncates_with_an_error(
        self, db: Session, harvest: Runner, settings: Settings
    ) -> None:
        capped = settings.model_copy(
            update={"harvest": settings.harvest.model_copy(update={"max_items": 4})}
        )
        catalog = [*records("1", "2"), FakeRecord("3", skip="skipped"), *records("4", "5", "6")]
        run = harvest(make_source(db), catalog, settings=capped)
        assert len(run.items) == 4
        assert run.job.truncated
        assert run.job.status == "done"
        assert [e.message for e in run.errors] == [
            "4 max items reached, not all datasets/dataservices were retrieved"
        ]

    def test_cap_equal_to_the_catalog_adds_no_error(
        self, db: Session, harvest: Runner, settings: Settings
    ) -> None:
        capped = settings.model_copy(
            update={"harvest": settings.harvest.model_copy(update={"max_items": 3})}
        )
        run = harvest(make_source(db), records("1", "2", "3"), settings=capped)
        assert len(run.items) == 3
        assert not run.job.truncated
        assert run.errors == []
