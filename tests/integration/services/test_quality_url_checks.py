"""URL checks after a job (MQA URL metrics): the distribution URLs of the datasets a job
assessed are asked on a loopback server, stored, and the datasets re-scored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
from pyoxigraph import Literal, NamedNode
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.fakes import FAKE_INFO, catalog_transport
from tests.http_server import LoopbackServer, Reply, loopback_server
from tests.integration.harvest.conftest import make_org, make_source

from moisson.backends.base import Backend, HarvestContext
from moisson.config import HttpSettings, QualitySettings, Settings
from moisson.domain.drafts import DatasetDraft
from moisson.domain.enums import ItemKind
from moisson.domain.records import RemoteRecord, content_hash
from moisson.mapping.rdf.namespaces import DCAT, DCT, RDF
from moisson.mapping.rdf.records import serialize_record
from moisson.services.quality import check_job_urls
from moisson.services.runs import create_pending_job, run_job_here
from moisson.storage.models import Dataset, HarvestSource, QualityAssessment, UrlCheck

URL_METRICS = {"accessUrlStatusCode", "downloadUrlStatusCode"}
#: Points of the two URL metrics (`moisson/data/mqa_points.json`).
URL_POINTS = 50 + 30
PATHS = {"r0": "/ok.csv", "r1": "/gone.csv", "r2": "/slow.csv", "r3": "/moved"}


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    routes = {
        "/ok.csv": Reply(status=200, body=b"a,b\n1,2\n"),
        "/gone.csv": Reply(status=404),
        "/slow.csv": Reply(status=200, delay=3.0),
        "/moved": Reply(status=301, headers={"Location": "/ok.csv"}),
    }
    with loopback_server(routes) as running:
        yield running


def checking(settings: Settings, **quality: Any) -> Settings:
    """The test's settings with URL checks on, loopback allowed, no waiting between checks."""
    options = {"enabled": True, "url_checks": True, "url_checks_per_host_interval": 0.0}
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="testing",
        database_url=settings.database_url,
        public_url=settings.public_url,
        outbound_allow_networks="127.0.0.0/8",  # type: ignore[arg-type]
        http=HttpSettings(max_retries=0),
        quality=QualitySettings(**{**options, "url_checks_timeout": 0.5, **quality}),
    )


def payload(remote_id: str, url: str, title: str) -> str:
    dataset = NamedNode(f"https://remote.test/dataset/{remote_id}")
    distribution = NamedNode(f"https://remote.test/dataset/{remote_id}/csv")
    triples: list[tuple[Any, Any, Any]] = [
        (dataset, RDF.type, DCAT.Dataset),
        (dataset, DCT.title, Literal(title, language="en")),
        (dataset, DCT.description, Literal("About bees", language="en")),
        (dataset, DCAT.distribution, distribution),
        (distribution, RDF.type, DCAT.Distribution),
        (distribution, DCAT.accessURL, NamedNode(url)),
        (distribution, DCAT.downloadURL, NamedNode(url)),
    ]
    return serialize_record(dataset, triples)


class LinkedBackend:
    """One dataset per path of the server, its distribution's access and download URL there."""

    info = FAKE_INFO
    base: ClassVar[str] = ""
    title: ClassVar[str] = "Dataset"

    def gather(self, ctx: HarvestContext) -> Iterator[RemoteRecord]:
        for remote_id, path in PATHS.items():
            text = payload(remote_id, f"{self.base}{path}", f"{self.title} {remote_id}")
            yield RemoteRecord(
                remote_id=remote_id,
                kind=ItemKind.DATASET,
                payload=text,
                content_hash=content_hash(text),
            )

    def map(self, record: RemoteRecord, ctx: HarvestContext) -> DatasetDraft:
        return DatasetDraft(title=f"{self.title} {record.remote_id}")


def backend(server: LoopbackServer, title: str = "Dataset") -> type[Backend]:
    attributes = {"base": server.url("").rstrip("/"), "title": title}
    return type("Linked", (LinkedBackend,), attributes)  # type: ignore[return-value]


def harvest(
    db: Session,
    factory: sessionmaker[Session],
    settings: Settings,
    source: HarvestSource,
    backend_cls: type[Backend],
) -> str:
    """Run a job as `moisson harvest run` does (its URL checks included, when on)."""
    job = create_pending_job(db, source)
    db.commit()
    http = httpx.Client(transport=catalog_transport({}))
    run_job_here(factory, settings, job.id, backend_registry={"fake": backend_cls}, http=http)
    db.expire_all()
    return job.id


def by_remote_id(db: Session, source: HarvestSource) -> dict[str, QualityAssessment]:
    """The latest assessment of each dataset of the source, by the remote id of the dataset."""
    rows = db.execute(
        select(QualityAssessment, Dataset.harvest_remote_id)
        .join(Dataset, Dataset.id == QualityAssessment.dataset_id)
        .where(QualityAssessment.source_id == source.id)
    )
    return {str(remote_id): row for row, remote_id in rows}


def test_checked_urls_change_the_scores(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, server: LoopbackServer
) -> None:
    source = make_source(db, organization=make_org(db))
    off = checking(settings, url_checks=False)
    job_id = harvest(db, session_factory, off, source, backend(server))
    before = by_remote_id(db, source)
    assert set(before) == set(PATHS)
    for row in before.values():
        assert row.mqa is not None
        assert set(row.mqa["unchecked"]) >= URL_METRICS
    assert sum(server.seen(path) for path in PATHS.values()) == 0  # off: nothing was asked
    scores = {remote_id: row.score or 0 for remote_id, row in before.items()}

    report = check_job_urls(session_factory, checking(settings), job_id)

    assert report is not None
    assert (report.checked, report.unchecked, report.rescored) == (4, 0, 4)
    db.expire_all()
    after = by_remote_id(db, source)
    for remote_id in ("r0", "r3"):  # 200, and a redirect to it
        mqa = after[remote_id].mqa or {}
        assert set(mqa["met"]) >= URL_METRICS
        assert after[remote_id].score == scores[remote_id] + URL_POINTS
    for remote_id in ("r1", "r2"):  # 404, and no answer in time
        mqa = after[remote_id].mqa or {}
        assert not URL_METRICS & (set(mqa["met"]) | set(mqa["unchecked"]))
        assert after[remote_id].score == scores[remote_id]
    stored = {row.url.rsplit("/", 1)[-1]: row.status for row in db.scalars(select(UrlCheck))}
    assert stored == {"ok.csv": 200, "gone.csv": 404, "slow.csv": None, "moved": 200}


def test_a_later_job_scores_with_the_stored_statuses_and_asks_nothing_again(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, server: LoopbackServer
) -> None:
    source = make_source(db, organization=make_org(db))
    on = checking(settings)
    harvest(db, session_factory, on, source, backend(server))  # checks run after the job
    first = {remote_id: row.score for remote_id, row in by_remote_id(db, source).items()}
    asked = {path: server.seen(path) for path in PATHS.values()}
    assert asked["/ok.csv"] >= 1
    assert asked["/gone.csv"] == 1

    job_id = harvest(db, session_factory, on, source, backend(server, title="Renamed"))

    again = by_remote_id(db, source)
    assert {row.job_id for row in again.values()} == {job_id}  # re-assessed by the new job
    assert {remote_id: row.score for remote_id, row in again.items()} == first
    assert {path: server.seen(path) for path in PATHS.values()} == asked
    report = check_job_urls(session_factory, on, job_id)
    assert report is not None
    assert report.checked == 0


def test_at_most_max_urls_are_asked_per_job_and_the_rest_later(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, server: LoopbackServer
) -> None:
    source = make_source(db, organization=make_org(db))
    job_id = harvest(
        db, session_factory, checking(settings, url_checks=False), source, backend(server)
    )
    bounded = checking(settings, url_checks_max_per_job=2)

    first = check_job_urls(session_factory, bounded, job_id)
    second = check_job_urls(session_factory, bounded, job_id)
    third = check_job_urls(session_factory, bounded, job_id)

    assert first is not None
    assert second is not None
    assert third is not None
    assert (first.checked, first.unchecked) == (2, 2)
    assert (second.checked, second.unchecked) == (2, 0)
    assert third.checked == 0
    assert all(server.seen(path) >= 1 for path in PATHS.values())
    db.expire_all()
    for row in by_remote_id(db, source).values():
        assert not URL_METRICS & set((row.mqa or {})["unchecked"])


def test_checks_are_off_with_the_setting(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, server: LoopbackServer
) -> None:
    source = make_source(db, organization=make_org(db))
    off = checking(settings, url_checks=False)
    job_id = harvest(db, session_factory, off, source, backend(server))
    assert check_job_urls(session_factory, off, job_id) is None
    assert sum(server.seen(path) for path in PATHS.values()) == 0
    assert list(db.scalars(select(UrlCheck))) == []
