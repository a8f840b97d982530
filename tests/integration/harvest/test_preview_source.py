"""Preview: the same pipeline, nothing persisted, capped, detached snapshots."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.fakes import FakeRecord, fake_backend
from tests.integration.harvest.conftest import Runner, count, make_org, make_source

from moisson.config import Settings
from moisson.domain.drafts import ResourceDraft
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import InvalidItem, SourceInvalid
from moisson.harvest.preview import preview_source
from moisson.storage.models import (
    ContactPoint,
    Dataservice,
    Dataset,
    HarvestItem,
    HarvestJob,
    HarvestRecord,
    HarvestSource,
)


def preview(
    session_factory: sessionmaker[Session],
    settings: Settings,
    source: HarvestSource,
    catalog: list[FakeRecord],
    **kwargs: object,
):  # type: ignore[no-untyped-def]
    backend = fake_backend(catalog, **kwargs)  # type: ignore[arg-type]
    return preview_source(session_factory, settings, source, backend_registry={"fake": backend})


def nothing_persisted(db: Session) -> None:
    db.expire_all()
    for model in (HarvestJob, HarvestItem, Dataset, Dataservice, HarvestRecord, ContactPoint):
        assert count(db, model) == 0, model.__name__  # type: ignore[arg-type]


class TestPreview:
    def test_a_saved_source_previews_without_writing(
        self, db: Session, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        source = make_source(db, organization=make_org(db))
        resources = [ResourceDraft(url="https://remote.test/a.csv", title="A")]
        catalog = [
            FakeRecord("1", resources=resources),
            FakeRecord("2", map_error=InvalidItem("bad record")),
            FakeRecord("svc", kind=ItemKind.DATASERVICE),
        ]
        result = preview(session_factory, settings, source, catalog)
        assert result.job.id is None
        assert result.job.source_id == source.id
        assert result.job.status == "done-errors"
        assert [e.item.status for e in result.items] == ["done", "failed", "done"]
        first = result.items[0].dataset
        assert first is not None
        assert first.title == "Record 1"
        assert [r.url for r in first.resources] == ["https://remote.test/a.csv"]
        assert first.harvest_source_id == source.id
        assert [e.message for e in result.items[1].errors] == ["bad record"]
        assert result.items[2].dataservice is not None
        assert count(db, HarvestSource) == 1
        nothing_persisted(db)

    def test_an_unsaved_source_has_a_null_source_id(
        self, db: Session, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        transient = HarvestSource(
            name="Draft", url="https://remote.test/", backend="fake", config={}
        )
        result = preview(session_factory, settings, transient, [FakeRecord("1")])
        assert result.job.source_id is None
        dataset = result.items[0].dataset
        assert dataset is not None
        assert dataset.harvest_source_id is None
        assert transient.id is None
        assert count(db, HarvestSource) == 0
        nothing_persisted(db)

    def test_a_preview_is_capped_without_the_max_items_error(
        self, db: Session, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        capped = settings.model_copy(
            update={"harvest": settings.harvest.model_copy(update={"preview_max_items": 5})}
        )
        catalog = [FakeRecord(str(n)) for n in range(10)]
        result = preview(session_factory, capped, make_source(db), catalog)
        assert len(result.items) == 5
        assert result.errors == []
        nothing_persisted(db)

    def test_a_failing_preview_persists_nothing_either(
        self, db: Session, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        result = preview(
            session_factory,
            settings,
            make_source(db),
            [FakeRecord("1")],
            gather_error=SourceInvalid("Unable to detect format"),
            gather_error_after=1,
        )
        assert result.job.status == "failed"
        assert [e.message for e in result.errors] == ["Unable to detect format"]
        assert len(result.items) == 1
        nothing_persisted(db)

    def test_a_preview_does_not_disturb_existing_objects(
        self,
        db: Session,
        session_factory: sessionmaker[Session],
        settings: Settings,
        harvest: Runner,
    ) -> None:
        source = make_source(db)
        harvest(source, [FakeRecord("1", title="Stored")])
        version = db.scalars(select(Dataset.version)).one()
        result = preview(session_factory, settings, source, [FakeRecord("1", title="Previewed")])
        assert result.items[0].dataset is not None
        assert result.items[0].dataset.title == "Previewed"
        db.expire_all()
        stored = db.scalars(select(Dataset)).one()
        assert (stored.title, stored.version) == ("Stored", version)
        assert count(db, HarvestJob) == 1

    def test_a_preview_runs_while_a_job_is_active(
        self, db: Session, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        from moisson.services.runs import create_pending_job

        source = make_source(db)
        create_pending_job(db, source)
        db.commit()
        result = preview(session_factory, settings, source, [FakeRecord("1")])
        assert result.job.status == "done"
