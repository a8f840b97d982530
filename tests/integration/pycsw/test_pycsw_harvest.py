"""csw-iso-19139 and csw-dcat against a real pycsw 2.6.2 (see conftest.py)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from importlib import import_module

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from tests.csw_server.harness import PycswServer
from tests.integration.backends.csw_replay import MemoryPageCache
from tests.integration.harvest.conftest import Run, load_run, make_org, make_source
from tests.integration.pycsw.conftest import MAX_RECORDS

from moisson.backends.csw import (
    DEFAULT_PAGE_SIZE,
    CswClient,
    RequestPlan,
    first_plan,
    request_first_page,
)
from moisson.backends.csw_capabilities import fetch_capabilities, unknown
from moisson.backends.csw_dcat import CswDcatBackend
from moisson.backends.csw_iso19139 import ISO_19139_SCHEMA, CswIso19139Backend
from moisson.config import Settings
from moisson.domain.exceptions import SourceInvalid
from moisson.harvest.context import make_context
from moisson.harvest.engine import run_job
from moisson.mapping.iso19139 import file_identifier
from moisson.mapping.xml import parse_xml
from moisson.services.runs import create_pending_job
from moisson.storage.models import Dataset, HarvestLogRow, HarvestRecord, HarvestSource

GEOIDE = "http://catalogue.geo-ide.developpement-durable.gouv.fr/fr-120066022-orphan-residentifier"
HARVESTED = {
    f"{GEOIDE}-140d31c6-643d-42a9-85df-2737a118e144",
    f"{GEOIDE}-6cf6120b-678c-41f1-aaa5-dccbb8efdafd",
    "http://descartes-dev.cete-mediterranee.i2/242416db-3527-42f5-b452-7e3a8db6f1fb",
    f"{GEOIDE}-8c59d4e1-0f15-4683-87df-766b5c2ce556",
    f"{GEOIDE}-c46794fd-005d-499a-9a9b-0627761d31a4",
    f"{GEOIDE}-cf8a3094-17b8-4929-b303-980d96563395",
    "IGNF_RPG",  # a recorded series
    "https://id.test/series-1",  # a written series: RS_Identifier codeSpace + code
    "w-no-citation-id",  # no citation identifier: the fileIdentifier
    "shared-id",  # the first of two records sharing one identifier
    "w-bad-landing-page",  # harvested without its unusable landing page
}
RECORDS_SERVED = 11 + 2  # + service, second sharing; not the feature catalogue
LOOPBACK = [ipaddress.IPv4Network("127.0.0.1/32")]


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


@pytest.fixture
def client(seen: list[httpx.Request]) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30, event_hooks={"request": [seen.append]}) as http:
        yield http


def posts_for(records: int) -> list[int]:
    """The start positions of the pages pycsw serves `records` records in."""
    return list(range(1, records + 1, MAX_RECORDS))


def posts(seen: list[httpx.Request]) -> list[int]:
    return [int(parse_xml(r.content).get("startPosition", "0")) for r in seen if r.method == "POST"]


class TestGather:
    def test_pages_capped_by_the_server_follow_next_record(
        self, pycsw: PycswServer, client: httpx.Client, seen: list[httpx.Request]
    ) -> None:
        ctx = make_context(CswIso19139Backend.info, pycsw.url, client)
        records = list(CswIso19139Backend().gather(ctx))
        assert len(records) == RECORDS_SERVED
        # One GetCapabilities, then pages of MAX_RECORDS although DEFAULT_PAGE_SIZE is asked.
        assert [r.method for r in seen][:1] == ["GET"]
        assert MAX_RECORDS < DEFAULT_PAGE_SIZE
        assert posts(seen) == posts_for(RECORDS_SERVED) == [1, 5, 9, 13]
        body = parse_xml(seen[1].content)
        assert body.get("maxRecords") == str(DEFAULT_PAGE_SIZE)
        # The server's own spelling of the queryables, as its capabilities list them.
        names = [e.text for e in body.iter("{http://www.opengis.net/ogc}PropertyName")]
        assert names == ["apiso:Type"] * 4 + ["apiso:Identifier"]
        # pycsw sorted on the fileIdentifier, as asked; the feature catalogue was filtered out.
        file_ids = [file_identifier(parse_xml(r.payload)) for r in records]
        assert file_ids == sorted(file_ids)  # type: ignore[type-var]
        assert "w-feature-catalogue" not in file_ids
        assert {r.remote_id for r in records} >= HARVESTED

    def test_unchanged_pages_are_replayed_from_the_page_cache(
        self, pycsw: PycswServer, client: httpx.Client
    ) -> None:
        # pycsw stamps every answer with the time: the digest leaves that stamp out.
        first = MemoryPageCache()
        ctx = make_context(CswIso19139Backend.info, pycsw.url, client, pages=first)
        records = list(CswIso19139Backend().gather(ctx))
        assert len(first.offered) == len(posts_for(RECORDS_SERVED))
        remembered = MemoryPageCache({page.key: page for page in first.offered})
        ctx = make_context(CswIso19139Backend.info, pycsw.url, client, pages=remembered)
        again = list(CswIso19139Backend().gather(ctx))
        assert [r.remote_id for r in again] == [r.remote_id for r in records]
        assert all(r.unchanged and r.payload is None for r in again)

    def test_udata_request_is_refused_then_each_fallback_is_tried(
        self, pycsw: PycswServer, client: httpx.Client, seen: list[httpx.Request]
    ) -> None:
        # Capabilities unknown: udata's request (apiso:type, sort on apiso:identifier),
        # which pycsw refuses; the fallbacks of next_plan end on a request it accepts.
        ctx = make_context(CswIso19139Backend.info, pycsw.url, client)
        capabilities = unknown("test")
        csw = CswClient(client, pycsw.url, output_schema=ISO_19139_SCHEMA)
        csw.plan = first_plan(capabilities)
        _, page = request_first_page(ctx, csw, capabilities)
        assert len(page.records) == MAX_RECORDS
        assert page.next_record == MAX_RECORDS + 1
        assert csw.plan == RequestPlan(type_queryable="apiso:Type", sort_property=None)
        assert len(seen) == 3  # sort refused, then apiso:type refused, then accepted

    def test_capabilities(self, pycsw: PycswServer, client: httpx.Client) -> None:
        capabilities = fetch_capabilities(client, pycsw.url)
        assert capabilities.known
        assert capabilities.max_record_default == MAX_RECORDS
        assert capabilities.queryable("apiso:type") == "apiso:Type"
        assert capabilities.offers_schema(ISO_19139_SCHEMA)
        assert not capabilities.offers_schema("http://www.w3.org/ns/dcat#")

    def test_csw_dcat_fails_at_once_without_dcat_output(
        self, pycsw: PycswServer, client: httpx.Client, seen: list[httpx.Request]
    ) -> None:
        ctx = make_context(CswDcatBackend.info, pycsw.url, client)
        with pytest.raises(SourceInvalid, match="does not offer DCAT output") as exc:
            list(CswDcatBackend().gather(ctx))
        assert "harvest it with the csw-iso-19139 backend" in str(exc.value)
        assert [r.method for r in seen] == ["GET"]  # no GetRecords sent


def run_once(
    db: Session, factory: sessionmaker[Session], settings: Settings, source: HarvestSource
) -> Run:
    loopback = settings.model_copy(update={"outbound_allow_networks": LOOPBACK})
    job = create_pending_job(db, source)
    db.commit()
    run_job(factory, loopback, job.id)
    db.expire_all()
    return load_run(db, job.id)


def remote_ids(db: Session, source: HarvestSource) -> dict[str, str | None]:
    """Dataset id -> remote id, for the source's datasets."""
    rows = db.execute(
        select(Dataset.id, Dataset.harvest_remote_id).where(Dataset.harvest_source_id == source.id)
    )
    return dict(rows.all())


class TestJob:
    def test_each_record_ends_alone(
        self,
        pycsw: PycswServer,
        db: Session,
        session_factory: sessionmaker[Session],
        settings: Settings,
    ) -> None:
        source = make_source(db, url=pycsw.url, backend="csw-iso-19139", organization=make_org(db))
        run = run_once(db, session_factory, settings, source)
        assert run.job.status == "done-errors", [e.message for e in run.errors]
        by_status: dict[str, list[str | None]] = {}
        for item in run.items:
            by_status.setdefault(item.status, []).append(item.remote_id)
        assert set(by_status["done"]) == HARVESTED
        assert by_status["skipped"] == ["service-1"]
        assert by_status["failed"] == ["shared-id"]
        messages = {
            item.remote_id: " ".join(run.item_errors(db, item))
            for item in run.items
            if item.status == "failed"
        }
        assert "already exists" in messages["shared-id"]
        bad_landing = next(item for item in run.items if item.remote_id == "w-bad-landing-page")
        warnings = db.scalars(
            select(HarvestLogRow.message).where(
                HarvestLogRow.item_id == bad_landing.id, HarvestLogRow.level == "WARNING"
            )
        ).all()
        assert any("[harvest.remote_url] unusable URL dropped" in text for text in warnings)
        titles = dict(
            db.execute(
                select(Dataset.harvest_remote_id, Dataset.title).where(
                    Dataset.harvest_source_id == source.id
                )
            ).all()
        )
        assert set(titles) == HARVESTED
        assert titles["shared-id"] == "First sharing"  # sorted first by fileIdentifier
        assert titles["IGNF_RPG"] == "RPG"
        remote_url = db.scalar(
            select(Dataset.harvest_remote_url).where(
                Dataset.harvest_source_id == source.id,
                Dataset.harvest_remote_id == "w-bad-landing-page",
            )
        )
        assert remote_url is None

    def test_a_source_harvested_with_file_identifiers_does_not_duplicate(
        self,
        pycsw: PycswServer,
        db: Session,
        session_factory: sessionmaker[Session],
        settings: Settings,
    ) -> None:
        source = make_source(db, url=pycsw.url, backend="csw-iso-19139", organization=make_org(db))
        run_once(db, session_factory, settings, source)
        # What the previous version stored: every remote id is the record's fileIdentifier.
        stored = db.scalars(select(HarvestRecord).where(HarvestRecord.source_id == source.id))
        for record in list(stored):
            old_id = file_identifier(parse_xml(record.payload or ""))
            db.execute(
                update(Dataset)
                .where(Dataset.id == record.dataset_id)
                .values(harvest_remote_id=old_id)
            )
            db.execute(
                update(HarvestRecord)
                .where(
                    HarvestRecord.source_id == source.id,
                    HarvestRecord.remote_id == record.remote_id,
                )
                .values(remote_id=old_id)
            )
        db.commit()
        before = remote_ids(db, source)
        assert "w-series" in before.values()
        migration = import_module("moisson.migrations.versions.0014_csw_iso_citation_ids")
        # IGNF_RPG, w-no-citation-id and w-bad-landing-page keep their id: it is their
        # fileIdentifier.
        assert migration.rekey_source(db.connection(), source.id) == len(HARVESTED) - 3
        db.commit()

        again = run_once(db, session_factory, settings, source)
        after = remote_ids(db, source)
        assert set(after) == set(before)  # the same datasets, none created
        assert set(after.values()) == HARVESTED
        done = [i for i in again.items if i.status == "done"]
        assert {i.remote_id for i in done} == HARVESTED
        assert not [i for i in again.items if i.status == "archived"]
