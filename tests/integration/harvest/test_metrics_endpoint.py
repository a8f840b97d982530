"""`GET /metrics` after real harvests: figures read from the database, and the requests this
process sent to remote catalogs."""

from __future__ import annotations

import ipaddress

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker
from tests.dcat_catalog import Catalog, catalog_server
from tests.fakes import FakeRecord
from tests.integration.harvest.conftest import Runner, make_source

from moisson.api import create_app
from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.domain.exceptions import InvalidItem
from moisson.harvest.engine import run_job
from moisson.services.runs import create_pending_job
from moisson.storage.models import HarvestJob


def scrape(
    settings: Settings, session_factory: sessionmaker[Session]
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    client = TestClient(create_app(settings, session_factory=session_factory))
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_jobs_items_and_durations_come_from_the_database(
    db: Session, harvest: Runner, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    source = make_source(db)
    harvest(source, [FakeRecord("a"), FakeRecord("b")])
    harvest(source, [FakeRecord("a"), FakeRecord("c", map_error=InvalidItem("no title"))])
    other = make_source(db)
    db.add(HarvestJob(source_id=other.id, status=JobStatus.PENDING))
    db.commit()

    metrics = scrape(settings, session_factory)

    def jobs(status: str) -> float:
        return metrics[("moisson_harvest_jobs", (("status", status),))]

    def items(status: str) -> float:
        return metrics[("moisson_harvest_items", (("status", status),))]

    assert (jobs("done"), jobs("done-errors"), jobs("pending"), jobs("failed")) == (1, 1, 1, 0)
    assert (items("done"), items("failed"), items("skipped")) == (3, 1, 0)
    assert metrics[("moisson_harvest_items_unchanged", ())] == 1
    assert metrics[("moisson_harvest_job_duration_seconds_count", ())] == 2
    assert metrics[("moisson_harvest_job_duration_seconds_bucket", (("le", "+Inf"),))] == 2
    assert metrics[("moisson_harvest_job_duration_seconds_bucket", (("le", "60.0"),))] == 2
    assert 0 <= metrics[("moisson_harvest_job_duration_seconds_sum", ())] < 60
    assert metrics[("moisson_harvest_sources", (("state", "active"),))] == 2
    # "a" and "b" were assessed by the first job; the second mapped nothing new.
    quality = {
        state: metrics[("moisson_harvest_quality_items", (("state", state),))]
        for state in ("assessed", "nonconforming")
    }
    assert quality["assessed"] == 2
    violations = metrics[("moisson_harvest_quality_results", (("severity", "violation"),))]
    assert violations >= quality["nonconforming"]
    bands = {
        band: metrics[("moisson_quality_objects", (("band", band),))]
        for band in ("excellent", "good", "sufficient", "bad", "none")
    }
    assert sum(bands.values()) == 2  # the latest assessment of datasets a and b


def test_requests_to_remotes_are_counted_by_status(
    db: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    loopback = settings.model_copy(
        update={"outbound_allow_networks": [ipaddress.IPv4Network("127.0.0.0/8")]}
    )
    key = ("moisson_remote_requests_total", (("backend", "dcat"), ("status", "200")))
    missing = ("moisson_remote_requests_total", (("backend", "dcat"), ("status", "404")))
    before = scrape(settings, session_factory)
    catalog = Catalog(pages=3, per_page=2)
    with catalog_server({"metrics": catalog}) as server:
        for url in (server.url("metrics"), f"{server.base}/nowhere/catalog.rdf"):
            source = make_source(db, url=url, backend="dcat")
            job = create_pending_job(db, source)
            db.commit()
            run_job(session_factory, loopback, job.id)

    after = scrape(settings, session_factory)
    assert after[key] - before.get(key, 0) == catalog.pages
    assert after[missing] - before.get(missing, 0) == 1
