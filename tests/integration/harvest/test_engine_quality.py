"""Quality assessment inside a harvest: results per item, counts per job, the latest
assessment per dataset; never a failure unless the source asks for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
from pyoxigraph import Literal, NamedNode
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.fakes import FAKE_INFO, FakeRecord, catalog_transport, fake_backend
from tests.integration.harvest.conftest import Run, load_run, make_org, make_source

from moisson.backends.base import Backend, HarvestContext
from moisson.config import QualitySettings, Settings
from moisson.domain.drafts import DatasetDraft, ResourceDraft
from moisson.domain.enums import ItemKind
from moisson.domain.records import RemoteRecord, content_hash
from moisson.harvest import quality as hook_module
from moisson.harvest import url_status as url_status_module
from moisson.harvest.assessor_process import AssessorProcess
from moisson.harvest.engine import run_job
from moisson.harvest.preview import preview_source
from moisson.mapping.rdf.namespaces import DCAT, DCT, RDF
from moisson.mapping.rdf.records import serialize_record
from moisson.quality.assessor import RecordAssessor
from moisson.services.runs import create_pending_job
from moisson.storage.models import HarvestSource, QualityAssessment

XSD_DATE = NamedNode("http://www.w3.org/2001/XMLSchema#date")
CSV = NamedNode("http://publications.europa.eu/resource/authority/file-type/CSV")


@pytest.fixture(params=[False, True], ids=["in-process", "separate-process"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Every test runs with the records assessed in the harvesting process, then in the
    separate assessment process (`MOISSON_QUALITY__SEPARATE_PROCESS`)."""
    quality = settings.quality.model_copy(update={"separate_process": request.param})
    return settings.model_copy(update={"quality": quality})


def record_payload(index: int, *, defect: str | None = None) -> str:
    dataset = NamedNode(f"https://remote.test/dataset/{index}")
    distribution = NamedNode(f"https://remote.test/dataset/{index}/csv")
    triples: list[tuple[Any, Any, Any]] = [
        (dataset, RDF.type, DCAT.Dataset),
        (dataset, DCT.title, Literal(f"Dataset {index}", language="en")),
        (dataset, DCT.description, Literal("About bees", language="en")),
        (dataset, DCT.issued, Literal("2024-01-02", datatype=XSD_DATE)),
        (dataset, DCAT.keyword, Literal("bees")),
        (dataset, DCAT.distribution, distribution),
        (distribution, RDF.type, DCAT.Distribution),
        (distribution, DCAT.accessURL, NamedNode(f"https://remote.test/files/{index}.csv")),
        (distribution, DCT["format"], CSV),
    ]
    if defect == "description":
        triples = [t for t in triples if t[1] != DCT.description]
    elif defect == "access-url":
        triples = [t for t in triples if t[1] != DCAT.accessURL]
    elif defect == "date":
        triples = [t for t in triples if t[1] != DCT.issued]
        triples.append((dataset, DCT.issued, Literal("last spring")))
    return serialize_record(dataset, triples)


class RdfBackend:
    """Records whose payload is their own serialised RDF, as the DCAT backend keeps them."""

    info = FAKE_INFO
    defects: ClassVar[dict[int, str]] = {}
    count: ClassVar[int] = 4

    def gather(self, ctx: HarvestContext) -> Iterator[RemoteRecord]:
        for index in range(self.count):
            payload = record_payload(index, defect=self.defects.get(index))
            yield RemoteRecord(
                remote_id=f"r{index}",
                kind=ItemKind.DATASET,
                payload=payload,
                content_hash=content_hash(payload),
            )

    def map(self, record: RemoteRecord, ctx: HarvestContext) -> DatasetDraft:
        return DatasetDraft(title=f"Dataset {record.remote_id}")


def backend(defects: dict[int, str], count: int = 4) -> type[Backend]:
    return type("Rdf", (RdfBackend,), {"defects": defects, "count": count})  # type: ignore[return-value]


def harvest(
    db: Session,
    factory: sessionmaker[Session],
    settings: Settings,
    source: HarvestSource,
    backend_cls: type[Backend],
) -> Run:
    job = create_pending_job(db, source)
    db.commit()
    http = httpx.Client(transport=catalog_transport({}))
    run_job(factory, settings, job.id, backend_registry={"fake": backend_cls}, http=http)
    db.expire_all()
    return load_run(db, job.id)


def assessments(db: Session, source: HarvestSource) -> list[QualityAssessment]:
    return list(
        db.scalars(select(QualityAssessment).where(QualityAssessment.source_id == source.id))
    )


def test_results_are_stored_per_item_and_counted_per_job(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    source = make_source(db, organization=make_org(db))
    defects = {1: "description", 2: "access-url", 3: "date"}
    run = harvest(db, session_factory, settings, source, backend(defects))

    assert run.job.status == "done"  # findings never fail an item by default
    assert run.statuses == ["done"] * 4
    by_id = {item.remote_id: item.quality for item in run.items}
    assert all(quality is not None for quality in by_id.values())
    assert by_id["r0"]["violations"] == 0
    assert by_id["r0"]["conforms"] is True
    violated = {
        remote_id: {
            (r["path"], r["component"]) for r in q["results"] if r["severity"] == "Violation"
        }
        for remote_id, q in by_id.items()
    }
    assert violated == {
        "r0": set(),
        "r1": {(DCT.description.value, "MinCount")},
        "r2": {(DCAT.accessURL.value, "MinCount")},
        "r3": {(DCT.issued.value, "Node")},
    }
    assert by_id["r0"]["warnings"] > 0  # recommended properties missing
    assert run.job.quality_assessed == 4
    assert run.job.quality_nonconforming == 3
    assert run.job.quality_violations == 3
    assert run.job.quality_warnings == sum(q["warnings"] for q in by_id.values())
    mqa = by_id["r0"]["mqa"]
    assert "keywordAvailability" in mqa["met"]
    assert "dcatApCompliance" in mqa["met"]
    assert "dcatApCompliance" not in by_id["r1"]["mqa"]["met"]
    assert "accessUrlStatusCode" in mqa["unchecked"]  # URL checks are off by default
    rows = {a.dataset_id: a for a in assessments(db, source)}
    assert len(rows) == 4
    items = {item.dataset_id: item for item in run.items}
    for dataset_id, row in rows.items():
        assert row.score == items[dataset_id].quality["mqa"]["score"]
        assert row.violations == items[dataset_id].quality["violations"]


def test_an_unchanged_rerun_keeps_the_assessments_and_a_changed_record_replaces_its_own(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    source = make_source(db, organization=make_org(db))
    harvest(db, session_factory, settings, source, backend({1: "description"}))
    first = {a.dataset_id: (a.id, a.violations) for a in assessments(db, source)}

    rerun = harvest(db, session_factory, settings, source, backend({1: "description"}))
    assert rerun.job.items_unchanged == 4
    assert rerun.job.quality_assessed == 0
    assert {a.dataset_id: (a.id, a.violations) for a in assessments(db, source)} == first

    fixed = harvest(db, session_factory, settings, source, backend({}))
    assert fixed.job.quality_assessed == 1  # only the changed record is re-assessed
    now = {a.dataset_id: a.violations for a in assessments(db, source)}
    assert len(now) == 4
    assert sum(now.values()) == 0


def test_batches_validate_many_records_per_engine_call(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    quality = settings.quality.model_copy(update={"enabled": True, "batch_size": 5})
    small = settings.model_copy(update={"quality": quality})
    source = make_source(db, organization=make_org(db))
    run = harvest(db, session_factory, small, source, backend({7: "description"}, count=12))
    assert run.job.quality_assessed == 12
    assert run.job.quality_nonconforming == 1
    assert [item.quality["violations"] for item in run.items].count(1) == 1
    assert run.items[7].quality["violations"] == 1


def test_a_source_can_make_violations_fail_items(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    source = make_source(
        db, organization=make_org(db), config={"quality": {"fail_on_violation": True}}
    )
    run = harvest(db, session_factory, settings, source, backend({1: "description"}))
    assert run.job.status == "done-errors"
    assert run.statuses == ["done", "failed", "done", "done"]
    failed = run.items[1]
    [message] = run.item_errors(db, failed)
    assert message.startswith(
        "DCAT-AP violations (1): https://remote.test/dataset/1: dct:description"
    )
    assert failed.quality is not None
    assert failed.quality["violations"] == 1
    assert len(assessments(db, source)) == 3  # a failed item has no dataset to assess


def test_assessment_can_be_turned_off(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    off = settings.model_copy(update={"quality": QualitySettings(enabled=False)})
    source = make_source(db, organization=make_org(db))
    run = harvest(db, session_factory, off, source, backend({1: "description"}))
    assert run.job.status == "done"
    assert all(item.quality is None for item in run.items)
    assert run.job.quality_assessed == 0
    assert assessments(db, source) == []


def test_records_without_rdf_of_their_own_are_assessed_from_their_published_description(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    source = make_source(db, organization=make_org(db))
    csv = ResourceDraft(url="https://remote.test/a.csv", title="A", format="csv")
    described = DatasetDraft(
        title="Described", description="Counts of bees", tags=("bees",), resources=(csv,)
    )
    records = [FakeRecord("bare", title="Bare"), FakeRecord("described", draft=described)]
    job = create_pending_job(db, source)
    db.commit()
    http = httpx.Client(transport=catalog_transport({}))
    run_job(
        session_factory,
        settings,
        job.id,
        backend_registry={"fake": fake_backend(records)},
        http=http,
    )
    db.expire_all()
    run = load_run(db, job.id)
    bare, full = (item.quality for item in run.items)
    assert bare is not None
    assert full is not None
    assert run.job.quality_assessed == 2
    assert "keywordAvailability" in full["mqa"]["met"]
    assert "formatAvailability" in full["mqa"]["met"]
    assert "keywordAvailability" not in bare["mqa"]["met"]
    assert full["mqa"]["score"] > bare["mqa"]["score"]


class Spied(AssessorProcess):
    """The assessment process, remembering every instance made."""

    made: ClassVar[list[AssessorProcess]] = []

    def __init__(self, assessor: RecordAssessor) -> None:
        super().__init__(assessor)
        self.made.append(self)


class Dying(Spied):
    """An assessment process whose child is dead from the start."""

    def __init__(self, assessor: RecordAssessor) -> None:
        super().__init__(assessor)
        self._process.kill()


def test_the_separate_process_does_the_assessing_when_asked(
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hook_module, "AssessorProcess", Spied)
    monkeypatch.setattr(Spied, "made", [])
    source = make_source(db, organization=make_org(db))
    run = harvest(db, session_factory, settings, source, backend({1: "description"}))
    assert run.job.quality_assessed == 4
    if not settings.quality.separate_process:
        assert Spied.made == []
        return
    [process] = Spied.made
    assert not process.failed
    assert process.outstanding == 0
    assert process.child_cpu_seconds is not None
    assert process.child_cpu_seconds > 0  # the child ran the engine


def test_violations_that_fail_items_are_found_in_the_harvesting_process(
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hook_module, "AssessorProcess", Spied)
    monkeypatch.setattr(Spied, "made", [])
    config = {"quality": {"fail_on_violation": True}}
    source = make_source(db, organization=make_org(db), config=config)
    run = harvest(db, session_factory, settings, source, backend({1: "description"}))
    assert run.statuses == ["done", "failed", "done", "done"]
    assert Spied.made == []


def test_a_dead_assessment_process_leaves_the_assessing_to_the_harvest(
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hook_module, "AssessorProcess", Dying)
    monkeypatch.setattr(Spied, "made", [])
    separate = settings.quality.model_copy(update={"separate_process": True})
    source = make_source(db, organization=make_org(db))
    run = harvest(
        db,
        session_factory,
        settings.model_copy(update={"quality": separate}),
        source,
        backend({1: "description", 3: "date"}),
    )
    [process] = Spied.made
    assert process.failed
    assert run.job.status == "done"
    assert run.job.quality_assessed == 4
    assert run.job.quality_nonconforming == 2
    assert [item.quality["violations"] for item in run.items] == [0, 1, 0, 1]
    assert len(assessments(db, source)) == 4


def test_a_preview_is_assessed_in_the_harvesting_process_and_checks_no_url(
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hook_module, "AssessorProcess", Spied)
    monkeypatch.setattr(Spied, "made", [])
    checked: list[str] = []
    monkeypatch.setattr(
        url_status_module.UrlStatusChecker, "status", lambda self, url: checked.append(url)
    )
    quality = settings.quality.model_copy(update={"separate_process": True, "url_checks": True})
    source = make_source(db, organization=make_org(db))
    result = preview_source(
        session_factory,
        settings.model_copy(update={"quality": quality}),
        source,
        backend_registry={"fake": backend({1: "description"})},
    )
    assert [entry.item.status for entry in result.items] == ["done"] * 4
    assert result.items[1].item.quality is not None
    assert result.items[1].item.quality["violations"] == 1
    assert Spied.made == []
    assert checked == []
