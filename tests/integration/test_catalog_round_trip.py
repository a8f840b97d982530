"""Moisson harvests its own catalog: datasets harvested from CKAN, DCAT, CSW/ISO 19139 and
MAAF fixtures are published by the catalog endpoints, harvested back with the `dcat` backend
(every syntax, several Hydra pages), and the copies equal the originals field by field.

The first harvests run the real engine against loopback replays of recorded catalogs; the
second one reads the API app through an httpx transport (Starlette's test client), the way
an aggregator reads `/api/1/organizations/{org}/catalog.{ext}`.

Compared is every field the DCAT-AP mapping carries (see docs/catalog.md); what DCAT cannot
say, and the two values the copy gains by design, are named in `projection()`.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, delete, select
from sqlalchemy.orm import Session, selectinload, sessionmaker
from tests.conftest import SHARED_FIXTURES
from tests.http_server import LoopbackServer, Reply
from tests.integration.backends.ckan_server import CkanReplayServer
from tests.integration.backends.csw_replay import URL as CSW_URL
from tests.integration.backends.csw_replay import CswReplay
from tests.integration.backends.directory_server import DirectoryServer
from tests.integration.harvest.conftest import make_org, make_source

from moisson.api import create_app
from moisson.config import Settings
from moisson.domain.enums import ContactRole
from moisson.harvest.engine import run_job
from moisson.http.ssrf import is_public_url
from moisson.publishing.views import absolute_iri
from moisson.services.runs import create_pending_job
from moisson.storage.models import (
    ContactPoint,
    Dataservice,
    Dataset,
    HarvestErrorRow,
    HarvestJob,
    HarvestSource,
    Resource,
)

ROLE_ORDER = list(ContactRole)
GENERIC_RESOURCE_TYPES = {"main", "api"}
#: extras["dcat"] keys the copy may gain: the licence and access right of the original
#: written as DCAT (`dct:license`, `dct:accessRights`), which the reader keeps as texts.
GAINED_EXTRAS = {"license", "accessRights"}


def _harvest(
    factory: sessionmaker[Session],
    settings: Settings,
    source: HarvestSource,
    http: httpx.Client | None = None,
) -> HarvestJob:
    with factory() as session:
        job = create_pending_job(session, session.get(HarvestSource, source.id))  # type: ignore[arg-type]
        session.commit()
        job_id = job.id
    run_job(factory, settings, job_id, http=http)
    with factory() as session:
        done = session.get(HarvestJob, job_id)
        assert done is not None
        return done


def _datasets(session: Session, source_ids: list[str]) -> list[Dataset]:
    return list(
        session.scalars(
            select(Dataset)
            .where(Dataset.harvest_source_id.in_(source_ids), Dataset.deleted_at.is_(None))
            .options(selectinload(Dataset.resources))
        )
    )


def _contacts(session: Session, dataset: Dataset) -> list[tuple[Any, ...]]:
    points = [session.get(ContactPoint, cid) for cid in dataset.contact_point_ids or []]
    found = [(p.role, p.name, p.email, p.contact_form) for p in points if p is not None]
    # The reader reads roles in a fixed order (mapping/rdf/contacts.py).
    return sorted(found, key=lambda c: ROLE_ORDER.index(ContactRole(c[0])))


def _resource(resource: Any) -> dict[str, Any]:
    harvest = {k: v for k, v in (resource.harvest or {}).items() if k != "remote_id"}
    if not absolute_iri(harvest.get("uri")):
        harvest.pop("uri", None)  # a relative IRI cannot be published: a blank node is
    return {
        "url": resource.url,
        "title": resource.title,
        "description": resource.description,
        "format": resource.format,
        "mime": resource.mime,
        "filesize": resource.filesize,
        "checksum": (resource.checksum_type, resource.checksum_value)
        if resource.checksum_type in ("md5", "sha1", "sha256")
        else None,
        # DCAT tells a service access from a download; udata's other types are not DCAT.
        "type": resource.type if resource.type in GENERIC_RESOURCE_TYPES else "main",
        "schema": resource.schema if (resource.schema or {}).get("url") else None,
        "dcat": (resource.extras or {}).get("dcat"),
        "harvest": harvest,
    }


def projection(session: Session, dataset: Dataset, *, copy: bool) -> dict[str, Any]:
    """The fields a published dataset carries through DCAT-AP."""
    dcat = dict((dataset.extras or {}).get("dcat") or {})
    schema = dataset.schema if (dataset.schema or {}).get("url") else None
    if schema:
        schema = {k: v for k, v in schema.items() if k != "version"}  # DCAT has no version
    return {
        "title": dataset.title,
        "description": dataset.description,
        "acronym": dataset.acronym,
        "tags": sorted(dataset.tags or []),
        "license": dataset.license,
        "frequency": dataset.frequency,
        "temporal": (dataset.temporal_start, dataset.temporal_end),
        "geom": (dataset.spatial or {}).get("geom"),
        "schema": schema,
        "contacts": _contacts(session, dataset),
        # The dcat backend stores each record as sorted canonical N-Triples
        # (mapping/rdf/records.py), which does not keep the order of distributions.
        "resources": sorted(
            (_resource(r) for r in dataset.resources), key=lambda r: (r["url"], r["title"])
        ),
        "dcat": {k: v for k, v in dcat.items() if not (copy and k in GAINED_EXTRAS)},
        "remote_url": dataset.harvest_remote_url,
        "issued": dataset.harvest_issued_at,
        "modified": dataset.harvest_modified_at,
        "created": dataset.harvest_created_at,
        "doi": (dataset.harvest_extra or {}).get("doi"),
    }


def _original_projection(session: Session, dataset: Dataset) -> dict[str, Any]:
    shown = projection(session, dataset, copy=False)
    shown["dcat"] = {k: v for k, v in shown["dcat"].items() if k not in GAINED_EXTRAS}
    # Moisson's own record dates stand in for the remote's when it declared none.
    shown["issued"] = dataset.harvest_issued_at or dataset.created_at
    shown["modified"] = dataset.harvest_modified_at or dataset.last_modified
    return shown


@pytest.fixture
def first_generation(
    committed_factory: sessionmaker[Session], settings: Settings
) -> Iterator[tuple[str, list[str]]]:
    """Sources of every backend harvested into organization `Origine`: (its id, sources)."""
    loopback = settings.model_copy(
        update={"outbound_allow_networks": [ipaddress.IPv4Network("127.0.0.0/8")]}
    )
    dcat_file = SHARED_FIXTURES / "dcat" / "catalog.xml"
    dcat_server = LoopbackServer(
        {
            "/catalog.xml": Reply(
                body=dcat_file.read_bytes(), headers={"Content-Type": "application/rdf+xml"}
            )
        }
    ).start()
    ckan_packages = json.loads(
        (SHARED_FIXTURES / "ckan" / "demo.ckan.org-2017" / "packages.json").read_text()
    )["result"]["results"]
    csw_pages = {
        n: SHARED_FIXTURES / "csw" / f"geonetwork-iso19139-page-{n}.xml" for n in (1, 3, 5)
    }
    try:
        with (
            committed_factory() as session,
            CkanReplayServer(ckan_packages) as ckan,
            DirectoryServer({"/maaf/": SHARED_FIXTURES / "maaf" / "tree"}) as maaf,
        ):
            org = make_org(session, "Origine")
            sources = {
                "dcat": make_source(
                    session, url=dcat_server.url("/catalog.xml"), backend="dcat", organization=org
                ),
                "ckan": make_source(session, url=ckan.url, backend="ckan", organization=org),
                "maaf": make_source(
                    session, url=f"{maaf.base_url}/maaf/", backend="maaf", organization=org
                ),
                "csw-iso-19139": make_source(
                    session, url=CSW_URL, backend="csw-iso-19139", organization=org
                ),
            }
            for name, source in sources.items():
                http = None
                if name == "csw-iso-19139":
                    http = httpx.Client(transport=httpx.MockTransport(CswReplay(dict(csw_pages))))
                job = _harvest(committed_factory, loopback, source, http)
                assert job.status == "done", name
                assert job.items_done > 0, name
            yield org.id, [s.id for s in sources.values()]
    finally:
        dcat_server.stop()


def reader_factory(settings: Settings, factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """The app's sessions. On SQLite every transaction of Moisson's engine begins IMMEDIATE
    (storage/session.py), so a catalog read would queue behind the harvest's open write
    transaction, which waits for that very read: the app gets a connection of its own whose
    reads are plain WAL readers, as a separate API process would."""
    if not settings.is_sqlite:
        return factory
    engine = create_engine(settings.database_url, connect_args={"check_same_thread": False})
    return sessionmaker(bind=engine, expire_on_commit=False)


@pytest.mark.slow
def test_harvesting_the_published_catalog_gives_back_the_same_datasets(
    committed_factory: sessionmaker[Session],
    settings: Settings,
    first_generation: tuple[str, list[str]],
) -> None:
    org_id, source_ids = first_generation
    # The MAAF replay's resources live on loopback: the copies keep those URLs.
    settings = settings.model_copy(
        update={"outbound_allow_networks": [ipaddress.IPv4Network("127.0.0.0/8")]}
    )
    readers = reader_factory(settings, committed_factory)
    with committed_factory() as session:
        originals = _datasets(session, source_ids)
        backends = {d.harvest_backend for d in originals}
    assert len(originals) >= 12
    assert len(backends) == 4, backends
    for ext in ("ttl", "rdf", "jsonld", "nt", "n3", "trig"):
        # One host per syntax: each copy is a catalog of its own domain, not an update of
        # the previous syntax's copy.
        public = f"http://{ext}.moisson.test"
        app = create_app(
            settings.model_copy(update={"public_url": public}), session_factory=readers
        )
        check_round_trip(committed_factory, settings, app, public, org_id, source_ids, ext)


def check_round_trip(
    committed_factory: sessionmaker[Session],
    settings: Settings,
    app: Any,
    public: str,
    org_id: str,
    source_ids: list[str],
    ext: str,
) -> None:
    with committed_factory() as session:
        copy_org = make_org(session, f"Copie {ext}")
        url = f"{public}/api/1/organizations/{org_id}/catalog.{ext}?page_size=5"
        mirror = make_source(session, url=url, backend="dcat", organization=copy_org)

    with TestClient(app, base_url=public) as client:
        job = _harvest(committed_factory, settings, mirror, http=client)
    with committed_factory() as session:
        errors = [
            e.message
            for e in session.scalars(
                select(HarvestErrorRow).where(HarvestErrorRow.job_id == job.id)
            )
        ]
    with committed_factory() as session:
        originals = _datasets(session, source_ids)
    # A remote id that is a public URL (an ISO citation identifier with an http codeSpace) is
    # globally unique (udata's URI rule): the copy finds the original, which another
    # organization owns, and is refused. Every other dataset comes back as a copy.
    networks = settings.outbound_allow_networks
    by_uri = {o.id for o in originals if is_public_url(o.harvest_remote_id or "", networks)}
    refused = f'Item has another owner: organization "Origine" ({org_id})'
    assert errors == [refused] * len(by_uri), ext
    assert job.items_failed == len(by_uri), ext

    with committed_factory() as session:
        originals = [o for o in _datasets(session, source_ids) if o.id not in by_uri]
        copies = {d.harvest_remote_id: d for d in _datasets(session, [mirror.id])}
        assert len(copies) == len(originals)
        for original in originals:
            copy = copies[original.harvest_dct_identifier or original.id]
            expected = _original_projection(session, original)
            got = projection(session, copy, copy=True)
            if (original.harvest_remote_url or "").startswith("http://127.0.0.1"):
                # The reader refuses private landing pages, and the replays live on loopback.
                del expected["remote_url"], got["remote_url"]
            elif original.harvest_remote_url is None:
                # Without a landing page, the reader takes the subject IRI
                # (docs/udata-backends.md §2.3.1).
                expected["remote_url"] = absolute_iri(original.harvest_uri) or (
                    f"{public}/api/1/datasets/{original.id}/"
                )
            assert got == expected, (ext, original.harvest_backend, original.title)
        # The copies go, so that the next syntax's harvest creates its own.
        copy_ids = [d.id for d in copies.values()]
        session.execute(delete(Resource).where(Resource.dataset_id.in_(copy_ids)))
        session.execute(delete(Dataset).where(Dataset.id.in_(copy_ids)))
        session.execute(delete(Dataservice).where(Dataservice.harvest_source_id == mirror.id))
        session.commit()
