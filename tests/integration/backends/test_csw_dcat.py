"""csw-dcat end to end: gather + map against a CSW replay server (MockTransport).

The paging break rules, exception reports and the hardened XML parser belong to `csw.py` and
are covered by the csw-iso-19139 tests; here, what is specific to DCAT records.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from tests.conftest import LOCAL_FIXTURES, SHARED_FIXTURES
from tests.harvesting import Run, gather_and_map
from tests.integration.backends.csw_replay import URL, CswReplay, MemoryPageCache, csw_context

from moisson.backends import all_backends
from moisson.backends.csw import page_key
from moisson.backends.csw_dcat import CswDcatBackend
from moisson.domain.drafts import DatasetDraft
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import SourceInvalid
from moisson.harvest.context import RunContext
from moisson.mapping.xml import parse_xml

SHARED = SHARED_FIXTURES / "csw"
LOCAL = LOCAL_FIXTURES / "csw"
DCAT_PAGES = {n: SHARED / f"geonetwork-dcat-page-{n}.xml" for n in (1, 3, 5)}
GEODCATAP_PAGES = {n: SHARED / f"geonetwork-geodcatap-page-{n}.xml" for n in (1, 3, 5)}

PARTMENAGE = "https://www.geo2france.fr/insee/partmenage5ans"
BUD = "fr-200053742/2019/limite/bud"
ODEMA = "0ae299e7-10d6-4290-944e-c6c62e2aeabf"
REMOTE_IDS = [
    PARTMENAGE,
    BUD,
    "https://www.geo2france.fr/risque/catnat2023",
    "0ac1d658-b8ce-4815-975b-1dd401ce01ed",
    ODEMA,
    "fr-200053742/2022/societe/plage_sans_plastique",
]
PARTMENAGE_KEYWORDS = {
    "logement",
    "institut-national-de-la-statistique-et-des-etudes-economiques",
    "menage",
    "population",
    "insee",
    "donnee-ouverte",
    "hauts-de-france",
}


def context(server: CswReplay, *, geodcatap: bool = False, **kwargs: object) -> RunContext:
    config = kwargs.pop("config", None) or {"features": {"geodcatap": geodcatap}}
    return csw_context(
        CswDcatBackend.info,
        server,
        config=config,
        log=logging.getLogger("test.csw-dcat"),
        **kwargs,
    )


def harvest(ctx: RunContext) -> Run:
    """gather, then map every record that is neither failed nor unchanged, as the engine."""
    return Run().add(gather_and_map(CswDcatBackend(), ctx, strict=True))


def contacts(draft: DatasetDraft) -> set[tuple[str | None, str | None, str | None, str]]:
    return {(c.name, c.email, c.contact_form, c.role.value) for c in draft.contact_points or ()}


@pytest.fixture(scope="module")
def dcat_run() -> Run:
    server = CswReplay(dict(DCAT_PAGES))
    run = harvest(context(server))
    assert server.starts == [1, 3, 5]
    body = parse_xml(server.requests[0].content)
    assert body.get("outputSchema") == "http://www.w3.org/ns/dcat#"
    return run


@pytest.fixture(scope="module")
def geodcatap_run() -> Run:
    # numberOfRecordsReturned is (wrongly) 6 on every page: nextRecord alone drives paging.
    server = CswReplay(dict(GEODCATAP_PAGES))
    run = harvest(context(server, geodcatap=True))
    assert server.starts == [1, 3, 5]
    body = parse_xml(server.requests[0].content)
    assert body.get("outputSchema") == "http://data.europa.eu/930/"
    return run


class TestDcatOutput:
    """docs/udata-backends.md §8.2, csw-dcat on geonetwork-dcat-page-*.xml."""

    @pytest.fixture
    def run(self, dcat_run: Run) -> Run:
        return dcat_run

    def test_six_datasets_in_order(self, run: Run) -> None:
        assert [r.remote_id for r in run.records] == REMOTE_IDS
        assert {r.kind for r in run.records} == {ItemKind.DATASET}
        assert list(run.datasets) == REMOTE_IDS
        assert [r.page for r in run.records] == [page_key(URL, n) for n in (1, 1, 3, 3, 5, 5)]

    def test_partmenage(self, run: Run) -> None:
        dataset = run.datasets[PARTMENAGE]
        assert dataset.title == (
            "INSEE - Part des ménages présents depuis 5 ans ou plus dans leur logement "
            "actuel (2010)"
        )
        assert dataset.description.startswith(
            "Part des ménages présents depuis 5 ans ou plus dans leur logement actuel"
        )
        assert dataset.contact_points is not None
        first = dataset.contact_points[0]
        assert (first.name, first.email) == ("Géo2France", "contact@geo2france.fr")
        assert set(dataset.tags) == PARTMENAGE_KEYWORDS
        assert dataset.harvest.issued_at is not None
        assert dataset.harvest.issued_at.date() == date(2020, 9, 22)
        assert dataset.harvest.created_at is None
        assert dataset.harvest.uri == (
            "https://www.geo2france.fr/geonetwork/srv/fre/catalog.search#/metadata/"
            "04bcec79-5b25-4b16-b635-73115f7456e4"
        )
        assert dataset.harvest.remote_url == (
            "https://www.geo2france.fr/geonetwork/srv/resources/" + PARTMENAGE
        )
        by_url = {r.url: r for r in dataset.resources}
        assert len(by_url) == 5
        wms = by_url["https://www.geo2france.fr/geoserver/insee/ows"]
        assert wms.description == "INSEE - Part des ménages présents depuis plus de 5 ans"
        assert (wms.title, wms.type.value, wms.format) == (
            "rectangles_200m_menage_erbm",
            "main",
            "ogc:wms",
        )

    def test_odema_contacts(self, run: Run) -> None:
        assert contacts(run.datasets[ODEMA]) == {
            ("Géo2France", "contact@geo2france.fr", None, "contact"),
            ("Géo2France", "contact@geo2france.fr", None, "publisher"),
            ("Odema", "odema@cerdd.org", None, "contact"),
            ("Odema", "odema@cerdd.org", None, "publisher"),
        }

    def test_resources_frequencies(self, run: Run) -> None:
        # Each dataset's OGC:WFS distribution has no URL and is dropped.
        assert [len(d.resources) for d in run.datasets.values()] == [5, 1, 2, 2, 2, 5]
        assert run.datasets["0ac1d658-b8ce-4815-975b-1dd401ce01ed"].frequency == (
            "severalTimesADay"
        )
        assert run.datasets[ODEMA].frequency == "annual"


class TestGeoDcatApOutput:
    """docs/udata-backends.md §8.2, csw-dcat on geonetwork-geodcatap-page-*.xml (feature
    geodcatap)."""

    @pytest.fixture
    def run(self, geodcatap_run: Run) -> Run:
        return geodcatap_run

    def test_six_datasets(self, run: Run) -> None:
        assert list(run.datasets) == REMOTE_IDS

    def test_partmenage(self, run: Run) -> None:
        dataset = run.datasets[PARTMENAGE]
        assert dataset.contact_points is not None
        first = dataset.contact_points[0]
        assert (first.name, first.email) == ("Géo2France (Géo2France)", "contact@geo2france.fr")
        assert set(dataset.tags) == PARTMENAGE_KEYWORDS | {"population-et-societe"}
        assert dataset.harvest.issued_at is not None
        assert dataset.harvest.issued_at.date() == date(2020, 9, 22)
        assert dataset.harvest.created_at is None
        # WMS and WFS share one URL; OGC resources are told apart by URL + title.
        by_url = {r.url: r for r in dataset.resources}
        assert len(by_url) == 1
        (last,) = by_url.values()
        assert (last.title, last.type.value) == ("insee:rectangles_200m_menage_erbm", "api")
        assert [(r.title, r.format) for r in dataset.resources] == [
            ("rectangles_200m_menage_erbm", "wms"),
            ("insee:rectangles_200m_menage_erbm", "wfs"),
        ]

    def test_odema_contacts(self, run: Run) -> None:
        assert contacts(run.datasets[ODEMA]) == {
            ("Géo2France", "contact@geo2france.fr", None, "contact"),
            ("Géo2France", "contact@geo2france.fr", None, "custodian"),
            ("Odema", "odema@cerdd.org", None, "contact"),
        }

    def test_resources_and_relative_identifiers(self, run: Run) -> None:
        assert [len(d.resources) for d in run.datasets.values()] == [2, 2, 2, 2, 2, 1]
        assert {(r.type.value, r.format) for d in run.datasets.values() for r in d.resources} == {
            ("api", "wms"),
            ("api", "wfs"),
        }
        bud = run.datasets[BUD]
        assert [c.role.value for c in bud.contact_points or ()] == ["resourceProvider"]
        # A non-URL identifier is the node IRI, kept relative; it gives no remote_url.
        assert (bud.harvest.uri, bud.harvest.remote_url) == (BUD, None)


class TestDataservices:
    def test_served_dataset_in_another_record(self) -> None:
        run = harvest(context(CswReplay({1: SHARED / "dataservice-serves-dataset.xml"})))
        assert [(r.remote_id, r.kind) for r in run.records] == [
            ("https://example.org/datasets/1", ItemKind.DATASET),
            ("https://example.org/api/", ItemKind.DATASERVICE),
        ]
        service = run.dataservices["https://example.org/api/"]
        assert service.title == "An API"
        assert service.base_api_url == "https://example.org/api/"
        # The dataset of another catalog cannot be attached; it is left out, not an error.
        assert service.served_datasets == ("https://example.org/datasets/1",)

    def test_services_come_after_every_page(self) -> None:
        server = CswReplay(
            {1: LOCAL / "dataservice-first-page-1.xml", 2: LOCAL / "dataservice-first-page-2.xml"}
        )
        run = harvest(context(server))
        assert [(r.remote_id, r.kind, r.page) for r in run.records] == [
            ("later-1", ItemKind.DATASET, page_key(URL, 2)),
            ("https://example.org/api/", ItemKind.DATASERVICE, page_key(URL, 1)),
        ]
        assert run.dataservices["https://example.org/api/"].served_datasets == ("later-1",)

    def test_payload_and_hash_are_stable(self) -> None:
        first = harvest(context(CswReplay({1: SHARED / "dataservice-serves-dataset.xml"})))
        again = harvest(context(CswReplay({1: SHARED / "dataservice-serves-dataset.xml"})))
        service = first.records[1]
        assert isinstance(service.payload, str)
        assert "<http://purl.org/dc/terms/identifier>" in service.payload
        assert [r.content_hash for r in first.records] == [r.content_hash for r in again.records]
        assert len({r.content_hash for r in first.records}) == 2

    def test_unchanged_page_replays_its_service_last(self) -> None:
        fixture = {1: SHARED / "dataservice-serves-dataset.xml"}
        first = MemoryPageCache()
        harvest(context(CswReplay(fixture), pages=first))
        (offered,) = first.offered
        assert offered.records == (
            ("https://example.org/datasets/1", ItemKind.DATASET),
            ("https://example.org/api/", ItemKind.DATASERVICE),
        )
        run = harvest(context(CswReplay(fixture), pages=MemoryPageCache({offered.key: offered})))
        assert [(r.kind, r.unchanged, r.payload) for r in run.records] == [
            (ItemKind.DATASET, True, None),
            (ItemKind.DATASERVICE, True, None),
        ]


class TestRecords:
    def test_each_record_alone(self) -> None:
        run = harvest(context(CswReplay({1: LOCAL / "dcat-mixed-records.xml"})))
        html, not_rdf, *harvested = run.records
        # Unreadable RDF/XML fails its item alone, with the record's XML for the operator.
        assert html.remote_id is None
        assert html.failure is not None
        assert html.failure.startswith("Unreadable DCAT record:")
        assert html.failure_details is not None
        assert "<dct:description>Le <b>jeu</b> de données</dct:description>" in (
            html.failure_details
        )
        assert not_rdf.failure is not None
        assert "did not answer in DCAT RDF/XML" in not_rdf.failure
        # The comment and the record without a dataset give nothing; one record may hold
        # several datasets.
        assert [r.remote_id for r in harvested] == ["a", "b", "lang"]
        assert list(run.datasets) == ["a", "b", "lang"]
        # A language tag N-Triples cannot carry drops alone (udata fails the record): the
        # title is kept without it, and the item's log says so.
        assert run.datasets["lang"].title == "invalid xml:lang"

    def test_page_with_failures_is_not_offered_to_the_cache(self) -> None:
        cache = MemoryPageCache()
        harvest(context(CswReplay({1: LOCAL / "dcat-mixed-records.xml"}), pages=cache))
        assert cache.offered == []

    def test_exception_report_fails_the_source(self) -> None:
        server = CswReplay({1: LOCAL / "exception-report.xml"})
        with pytest.raises(SourceInvalid, match="Failed to query CSW"):
            harvest(context(server))


class TestRemoteUrlPrefix:
    @pytest.mark.parametrize(
        ("prefix", "expected"),
        [
            (None, "http://data.example.com/datasets/dataset-1"),
            ("http://catalog.example.com/", "http://catalog.example.com/id-1"),
            ("http://catalog.example.com", "http://catalog.example.com/id-1"),
        ],
    )
    def test_remote_url(self, prefix: str | None, expected: str) -> None:
        extra = [{"key": "remote_url_prefix", "value": prefix}] if prefix else []
        server = CswReplay({1: LOCAL / "dcat-remote-url-prefix.xml"})
        run = harvest(context(server, config={"extra_configs": extra}))
        assert list(run.datasets) == ["dataset-1"]
        assert run.datasets["dataset-1"].harvest.remote_url == expected


def test_registered() -> None:
    assert all_backends()["csw-dcat"] is CswDcatBackend
    info = CswDcatBackend.info.as_api()
    assert info["label"] == "CSW-DCAT"
    assert [(f["key"], f["default"]) for f in info["features"]] == [("geodcatap", False)]
    assert [c["key"] for c in info["extra_configs"]] == ["remote_url_prefix"]


class TestCapabilities:
    def test_server_without_dcat_output_fails_at_once(self) -> None:
        server = CswReplay(dict(DCAT_PAGES), capabilities=LOCAL / "pycsw-capabilities.xml")
        with pytest.raises(SourceInvalid) as exc:
            harvest(context(server))
        message = str(exc.value)
        assert "does not offer DCAT output" in message
        assert "http://www.w3.org/ns/dcat#" in message
        assert "harvest it with the csw-iso-19139 backend" in message
        assert server.requests == []  # no GetRecords sent

    def test_geodcatap_asked_and_not_offered(self) -> None:
        server = CswReplay(dict(GEODCATAP_PAGES), capabilities=LOCAL / "pycsw-capabilities.xml")
        with pytest.raises(SourceInvalid, match=r"no outputSchema http://data\.europa\.eu/930/"):
            harvest(context(server, geodcatap=True))

    def test_offered_dcat_is_harvested(self, tmp_path: Path) -> None:
        capabilities = tmp_path / "capabilities.xml"
        text = (LOCAL / "pycsw-capabilities.xml").read_text()
        dcat = "<ows:Value>http://www.w3.org/ns/dcat#</ows:Value>"
        capabilities.write_text(
            text.replace("<ows:Value>http://www.w3.org/2005/Atom</ows:Value>", dcat)
        )
        server = CswReplay(dict(DCAT_PAGES), capabilities=capabilities)
        run = harvest(context(server))
        assert list(run.datasets) == REMOTE_IDS
