"""Backend `dcat` over the recorded catalogs: docs/udata-backends.md §8.1 expectations, paging,
failures."""

from __future__ import annotations

import re
from datetime import date, datetime

import httpx
import pytest
from tests.integration.backends.dcat_harness import (
    BASE,
    DCAT_FIXTURES,
    MemoryPageCache,
    harvest,
    serve_files,
    serve_pages,
)

from moisson.domain.enums import ContactRole, Frequency, ItemKind, ResourceType
from moisson.domain.exceptions import SkipItem, SourceInvalid


def test_every_fixture_harvests_without_error() -> None:
    for path in sorted(DCAT_FIXTURES.iterdir()):
        if path.name.startswith(("paged-", "partial-", "person.", "serves-dataset-by-uri-")):
            continue
        run = harvest(BASE + path.name)
        assert run.records, path.name
        assert not run.errors, (path.name, run.errors)
        assert all(r.kwargs == {"page_number": 0} for r in run.records)
        assert all(r.page == BASE + path.name for r in run.records)


class TestFlatJsonld:
    def test_datasets(self) -> None:
        run = harvest(BASE + "flat.jsonld")
        assert len(run.records) == 3
        assert set(run.datasets) == {"1", "2", "3"}
        for i in "123":
            draft = run.datasets[i]
            assert draft.title == f"Dataset {i}"
            assert draft.description == f"Dataset {i} description"
            assert draft.harvest.dct_identifier == i
            assert (
                draft.harvest.remote_url
                == draft.harvest.uri
                == f"http://data.test.org/datasets/{i}"
            )
            assert draft.harvest.issued_at.date() == date(2016, 12, 14)
            assert draft.harvest.modified_at.date() == date(2016, 12, 14)
            assert draft.license is None
            assert draft.frequency is None
            assert draft.spatial is None
        assert run.datasets["1"].tags == ("tag-1", "tag-2", "tag-3", "tag-4", "theme-1", "theme-2")
        assert run.datasets["2"].tags == ("tag-1", "tag-2", "tag-3")
        assert run.datasets["3"].tags == ("tag-1", "tag-2")
        assert [len(run.datasets[i].resources) for i in "123"] == [2, 2, 1]
        resource = run.datasets["1"].resources[0]
        assert (resource.title, resource.format, resource.mime, resource.type) == (
            "Resource 1-1", "json", None, ResourceType.MAIN,
        )  # fmt: skip
        assert resource.url == "http://data.test.org/datasets/1/resources/1/file.json"
        assert run.datasets["1"].temporal_coverage.start == date(2016, 12, 5)
        assert run.datasets["1"].temporal_coverage.end is None
        assert [(c.name, c.email, c.role) for c in run.datasets["1"].contact_points] == [
            ("Organization contact", "hello@its.me", ContactRole.CONTACT),
            ("An Organization", None, ContactRole.PUBLISHER),
        ]
        assert [c.role for c in run.datasets["3"].contact_points] == [ContactRole.PUBLISHER]

    def test_idempotent_payloads(self) -> None:
        first, second = harvest(BASE + "flat.jsonld"), harvest(BASE + "flat.jsonld")
        assert [r.content_hash for r in first.records] == [r.content_hash for r in second.records]
        assert first.datasets == second.datasets


def test_nested_jsonld_checksum_and_temporal() -> None:
    run = harvest(BASE + "nested.jsonld")
    (draft,) = run.datasets.values()
    assert (draft.title, draft.description) == ("Dataset 1", "Dataset description")
    assert draft.harvest.remote_url == "http://data.test.org/datasets/1"
    assert (draft.temporal_coverage.start, draft.temporal_coverage.end) == (
        date(2016, 1, 1), date(2016, 12, 5),
    )  # fmt: skip
    (resource,) = draft.resources
    assert resource.type == ResourceType.MAIN
    assert (resource.checksum.type, resource.checksum.value) == (
        "sha1", "fb4106aa286a53be44ec99515f0f0421d4d7ad7d",
    )  # fmt: skip


def test_bnodes_jsonld() -> None:
    run = harvest(BASE + "bnodes.jsonld")
    assert [len(run.datasets[i].resources) for i in "123"] == [2, 2, 1]
    resource = run.datasets["1"].resources[0]
    assert (resource.title, resource.description, resource.format, resource.mime) == (
        "Resource 1-1", "A JSON resource", "json", "application/json",
    )  # fmt: skip
    assert all(
        d.harvest.uri is None and d.harvest.remote_url is None for d in run.datasets.values()
    )


class TestBnodesXml:
    def test_datasets(self) -> None:
        run = harvest(BASE + "bnodes.xml")
        assert [len(run.datasets[i].resources) for i in "312"] == [1, 2, 2]
        assert [run.datasets[i].harvest.uri for i in "312"] == ["dataset-3", None, "dataset-2"]
        assert {run.datasets[i].harvest.remote_url for i in "123"} == {
            f"http://data.test.org/datasets/{i}" for i in "123"
        }
        assert run.datasets["1"].spatial is None  # "wrong wkt"
        assert run.datasets["3"].spatial is None  # NaN in the GeoJSON
        assert run.datasets["2"].spatial.geom == {
            "type": "MultiPolygon",
            "coordinates": [
                [[[-6, 51], [10, 51], [10, 40], [-6, 40], [-6, 51]]],
                [[[4, 45], [4, 46], [4, 46], [4, 45], [4, 45]]],
                [[[159, -25.0], [159, -11], [212, -11], [212, -25.0], [159, -25.0]]],
            ],
        }
        assert run.datasets["1"].tags == (
            "inspire", "repartition-des-especes", "tag-1", "tag-2", "tag-3", "tag-4", "theme-1",
        )  # fmt: skip
        assert run.datasets["2"].tags == ("hydrographie", "inspire", "tag-1", "tag-2", "tag-3")
        assert run.datasets["3"].tags == ("tag-1", "tag-2")
        assert run.datasets["3"].frequency == Frequency.DAILY
        assert run.datasets["3"].extras["dcat"]["license"] == ["Licence Ouverte Version 2.0"]

    def test_schemas_without_a_schema_catalog(self) -> None:
        run = harvest(BASE + "bnodes.xml")
        assert run.datasets["1"].schema_ is None
        assert run.datasets["3"].schema_ is None
        dataset_2 = run.datasets["2"]
        assert dataset_2.schema_.name == "RGF93 / Lambert-93 (EPSG:2154)"
        assert (
            dataset_2.schema_.url == "http://inspire.ec.europa.eu/glossary/SpatialReferenceSystem"
        )
        resources = {r.title: r for d in run.datasets.values() for r in d.resources}
        assert resources["Resource 1-2"].schema_.url.endswith("/1337.42.0/schema-statique.json")
        assert resources["Resource 2-1"].schema_.name == "Example Schema"
        assert resources["Resource 2-1"].schema_.url == "https://example.org/schema.json"
        assert resources["Resource 2-2"].schema_ is None

    def test_dataservice_comes_last_and_serves_two_datasets(self) -> None:
        run = harvest(BASE + "bnodes.xml")
        assert [r.kind for r in run.records] == [ItemKind.DATASET] * 3 + [ItemKind.DATASERVICE]
        (service,) = run.dataservices.values()
        assert service.title == "Explore API v2"
        assert service.base_api_url == "https://data.paris2024.org/api/explore/v2.1/"
        assert (
            service.machine_documentation_url
            == "https://data.paris2024.org/api/explore/v2.1/swagger.json"
        )
        assert service.harvest.remote_url == "https://data.paris2024.org/api/explore/v2.1/console"
        assert set(service.served_datasets) == {"2", "3"}


class TestCatalogXml:
    def test_dataset_3_is_restricted(self) -> None:
        run = harvest(BASE + "catalog.xml")
        assert len(run.records) == 4
        assert not run.dataservices
        assert not run.errors
        draft = run.datasets["3"]
        assert draft.license is None
        assert draft.access_type == "restricted"
        assert draft.access_type_reason_category == "intellectual_property_rights"
        assert draft.harvest.remote_url == "http://data.test.org/datasets/3"
        assert draft.harvest.issued_at.date() == date(2016, 12, 14)
        assert draft.harvest.created_at.date() == date(2016, 12, 12)
        assert draft.harvest.modified_at.date() == date(2016, 12, 14)
        assert draft.frequency == Frequency.DAILY
        assert draft.description == "Dataset 3 description"
        assert (draft.temporal_coverage.start, draft.temporal_coverage.end) == (
            date(2016, 1, 1), date(2016, 12, 5),
        )  # fmt: skip
        assert draft.extras["dcat"]["accessRights"] == [
            "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/INSPIRE_Directive_Article13_1e"
        ]
        assert draft.extras["dcat"]["provenance"] == [
            "Description de la provenance des données du dataset 3"
        ]
        assert {"observation-de-la-terre-et-environnement", "hvd"} <= set(draft.tags)
        assert [r.harvest.uri for r in draft.resources] == ["datasets/3/resources/1"]

    def test_dataset_1(self) -> None:
        draft = harvest(BASE + "catalog.xml").datasets["1"]
        assert draft.description == "# h1 title\n\n## h2 title\n\n**and bold text**"
        contact = draft.contact_points[0]
        assert (contact.email, contact.name, contact.contact_form) == (
            "hello@its.me", "Organization contact", "https://data.support.com",
        )  # fmt: skip
        assert draft.frequency is None
        assert draft.license == "lov1"
        assert draft.extras["dcat"]["provenance"] == [
            "Description de la provenance des données du dataset 1"
        ]
        resources = {r.title: r for r in draft.resources}
        assert len(resources) == 4
        first = resources["Resource 1-1"]
        assert (first.filetype, first.format, first.mime, first.filesize) == (
            "remote", "json", "application/json", 12323,
        )  # fmt: skip
        assert first.url == "http://data.test.org/datasets/1/resources/1/file.json"
        assert first.harvest.issued_at.date() == date(2018, 3, 12)
        assert first.harvest.modified_at.date() == date(2018, 3, 14)
        assert resources["Resource 1-2"].format == "json"
        third = resources["Resource 1-3"]
        assert (third.format, third.description, third.type) == ("json", "", ResourceType.OTHER)
        assert third.url == "http://data.test.org/datasets/1/resources/3"
        fourth = resources["Resource 1-4"]
        assert (fourth.format, fourth.type) == (None, ResourceType.API)
        assert fourth.description == "A resource pointing towards a Geo Service"

    def test_datasets_2_and_4(self) -> None:
        run = harvest(BASE + "catalog.xml")
        assert run.datasets["2"].license == "lov2"
        assert run.datasets["2"].extras["dcat"]["rights"] == ["Licence Ouverte Version 2.0"]
        nested = {r.title: r for r in run.datasets["2"].resources}["Resource 2-2"]
        assert nested.extras["dcat"]["rights"] == ["Rights on nested resource"]
        # Relative distribution IRIs are not resolved: dataset 4's absolute references miss.
        assert run.datasets["4"].resources == ()
        assert run.datasets["4"].extras["dcat"].get("accessRights") is None

    def test_extensionless_url_with_xml_content_type(self) -> None:
        body = (DCAT_FIXTURES / "catalog.xml").read_bytes()

        def handler(request: httpx.Request) -> httpx.Response:
            headers = {"Content-Type": "application/xml; charset=utf-8"}
            return httpx.Response(200, content=body, headers=headers)

        assert len(harvest(BASE + "catalog", handler).datasets) == 4


def test_geonetwork_xml() -> None:
    run = harvest(BASE + "geonetwork.xml")
    (remote_id,) = run.datasets
    draft = run.datasets[remote_id]
    assert (
        remote_id
        == draft.harvest.dct_identifier
        == (
            "0c456d2d-9548-4a2a-94ef-231d9d890ce2 "
            "https://sig.oreme.org/geonetwork/srv/resources0c456d2d-9548-4a2a-94ef-231d9d890ce2"
        )
    )
    assert draft.harvest.uri == (
        "https://sig.oreme.org/geonetwork/srv/resources/datasets/"
        "0c456d2d-9548-4a2a-94ef-231d9d890ce2 "
        "https://sig.oreme.org/geonetwork/srv/resources0c456d2d-9548-4a2a-94ef-231d9d890ce2"
    )
    assert draft.harvest.issued_at.date() == date(2004, 11, 3)
    assert draft.harvest.created_at is None
    assert draft.harvest.modified_at is None
    assert draft.harvest.remote_url is None
    assert draft.description.startswith("Data of type chemistry")
    assert (draft.temporal_coverage.start, draft.temporal_coverage.end) == (
        date(2004, 11, 3), date(2005, 3, 30),
    )  # fmt: skip
    assert set(draft.tags) == {"inspire", "biodiversity-dynamics"}
    assert draft.resources == ()
    # udata: None ("continual" is not a DCAT code); we read it as the ISO 19115 code it is.
    assert draft.frequency == Frequency.SEVERAL_TIMES_A_DAY
    assert draft.spatial is None


def test_sig_oreme_rdf() -> None:
    run = harvest(BASE + "sig.oreme.rdf")
    draft = run.datasets["0437a976-cff1-4fa6-807a-c23006df2f8f"]
    assert draft.frequency == Frequency.IRREGULAR
    assert {"gravi", "geodesy"} <= set(draft.tags)
    assert draft.license == "fr-lo"
    assert draft.description.startswith("Data from the 'National network")
    assert draft.harvest.created_at is None
    assert draft.harvest.modified_at is None
    url = "https://sig.oreme.org/geonetwork/srv/eng/catalog.search#/metadata//datasets/0437a976-cff1-4fa6-807a-c23006df2f8f"
    assert draft.harvest.uri == draft.harvest.remote_url == url
    (resource,) = draft.resources
    assert (resource.title, resource.url, resource.format) == (
        "See website", "https://oreme.org/observation/gravi", "www:link-1.0-http--link",
    )  # fmt: skip


def test_udata_xml() -> None:
    run = harvest(BASE + "udata.xml")
    assert len(run.records) == 3
    bureaux_id = "https://vanves-seineouest.opendatasoft.com/explore/dataset/bureau-de-vote-vanves/"
    draft = run.datasets[bureaux_id]
    assert draft.title == "Bureaux de vote - Vanves"
    assert "bureaux-de-vote" in draft.tags
    assert len(draft.resources) == 4
    assert draft.description == "La liste des 23 bureaux de vote à Vanves"
    assert (
        draft.harvest.uri == draft.harvest.remote_url == draft.harvest.dct_identifier == bureaux_id
    )
    assert draft.harvest.issued_at.isoformat() == "2019-04-19T12:21:56"
    assert draft.harvest.modified_at.isoformat() == "2019-04-19T12:21:56"
    assert draft.harvest.created_at is None
    assert draft.extras["dcat"]["rights"] == ["License Not Specified"]
    assert draft.license is None
    assert [(c.name, c.role) for c in draft.contact_points] == [
        ("Vanves", ContactRole.CREATOR),
        ("Vanves", ContactRole.PUBLISHER),
        ("Ville de Vanves", ContactRole.DISTRIBUTOR),
    ]
    (service,) = run.dataservices.values()
    assert len(service.served_datasets) == 2
    assert service.title == "Explore API v2 https://vanves-seineouest.opendatasoft.com"
    assert service.description == ""
    assert service.machine_documentation_url == (
        "https://vanves-seineouest.opendatasoft.com/api/explore/v2.1/swagger.json"
    )
    assert service.base_api_url == "https://vanves-seineouest.opendatasoft.com/api/explore/v2.1/"
    assert run.records[-1].remote_id == service.base_api_url
    assert service.harvest.issued_at.isoformat() == "2024-07-12T00:03:38.764000"
    assert service.harvest.created_at is None
    assert service.harvest.remote_url == (
        "https://vanves-seineouest.opendatasoft.com/api/explore/v2.1/console"
    )


def test_series_xml() -> None:
    run = harvest(BASE + "series.xml")
    assert len(run.records) == 1
    assert not run.dataservices
    draft = run.datasets["FR-33071536800297-ATLAS_DCE_ARTOIS_PICARDIE_ETATGLOBAL"]
    assert draft.title == "DCE – Bassin Artois-Picardie - Etat global"
    assert draft.frequency == Frequency.PUNCTUAL
    assert (draft.temporal_coverage.start, draft.temporal_coverage.end) == (
        date(2008, 1, 1), date(2014, 1, 30),
    )  # fmt: skip
    assert draft.spatial.geom["coordinates"] == [
        [[[1.4, 51.1], [2.36, 51.1], [2.36, 50.0], [1.4, 50.0], [1.4, 51.1]]]
    ]
    contact = draft.contact_points[0]
    assert (contact.name, contact.email, contact.role) == (
        "Cordier (Ifremer)", "remy.cordier@ifremer.fr", ContactRole.CONTACT,
    )  # fmt: skip
    assert [(r.format, r.url, r.type) for r in draft.resources] == [
        ("wms", "https://sextant.ifremer.fr/services/wms/dce_ap", ResourceType.API),
        ("wfs", "https://sextant.ifremer.fr/services/wfs/dce_ap", ResourceType.API),
    ]
    assert len(draft.tags) == 13
    assert {"directive-cadre-sur-leau-dce", "open-data", "dce"} <= set(draft.tags)
    assert draft.harvest.remote_url == (
        "https://sextant.ifremer.fr/geonetwork/srv/api/records/fc663284-e599-427e-9da6-9fe9519170f3"
    )


class TestDatara:
    def test_contacts_5a26(self) -> None:
        run = harvest(BASE + "datara--5a26b0f6-0ccf-46ad-ac58-734054b91977.rdf.xml")
        (draft,) = run.datasets.values()
        assert [(c.name, c.email, c.role) for c in draft.contact_points] == [
            ("IGN", "sav.bd@ign.fr", ContactRole.RIGHTS_HOLDER),
            (
                "Administrateur de Données (Direction Régionale de l’Environnement de "
                "l’Aménagement et du Logement d'Auvergne-Rhône-Alpes (DREAL Auvergne-Rhône-Alpes))",
                "sig.dreal-ara@developpement-durable.gouv.fr",
                ContactRole.USER,
            ),
        ]
        assert draft.title == "Campings issus de la BDTopo de Auvergne Rhône-Alpes"
        assert draft.schema_.name == "RGF93 / Lambert-93 (EPSG:2154)"
        assert draft.tags == (
            "culture-societe-service",
            "gestion-des-crises-et-des-risques",
            "rhone-alpes",
        )
        (resource,) = draft.resources
        assert resource.title == "Accès au téléchargement des données"

    def test_contacts_f40c(self) -> None:
        run = harvest(BASE + "datara--f40c3860-7236-4b30-a141-23b8ae33f7b2.rdf.xml")
        (draft,) = run.datasets.values()
        assert [(c.name, c.email, c.role) for c in draft.contact_points][1:] == [
            (
                "Jean-Michel GENIS (Conservatoire Botanique National Alpin)",
                "jm.genis@cbn-alpin.fr",
                ContactRole.RIGHTS_HOLDER,
            ),
            (
                "Conservatoire Botanique National Massif Central",
                "Benoit.Renaux@cbnmc.fr",
                ContactRole.RIGHTS_HOLDER,
            ),
        ]
        assert draft.contact_points[0].role == ContactRole.CONTACT
        assert draft.resources == ()
        assert draft.harvest.created_at == datetime(2020, 9, 8)
        assert draft.tags == ("auvergne-rhone-alpes", "flore", "habitats-et-biotopes", "inspire")


def test_evian_json_with_the_pod_context() -> None:
    run = harvest(BASE + "evian.json")
    assert len(run.datasets) == 8
    by_title = {d.title: d for d in run.datasets.values()}
    counts = [len(by_title[t].resources) for t in ("stationnement velos", "Carte vélo finale")]
    assert counts == [6, 1]
    draft = run.datasets[
        "https://www.arcgis.com/home/item.html?id=f6565516d1354383b25793e630cf3f2b&sublayer=5"
    ]
    assert draft.spatial.geom == {
        "type": "MultiPolygon",
        "coordinates": [
            [
                [
                    [6.5735, 46.3912],
                    [6.6069, 46.3912],
                    [6.6069, 46.4028],
                    [6.5735, 46.4028],
                    [6.5735, 46.3912],
                ]
            ]
        ],
    }
    assert [(r.format, r.mime) for r in draft.resources][:2] == [
        ("web page", "text/html"),
        ("arcgis geoservices rest api", "application/json"),
    ]


def test_conflicting_dois_record_none() -> None:
    (draft,) = harvest(BASE + "conflicting-dois.xml").datasets.values()
    assert draft.harvest.doi is None


class TestPaging:
    @pytest.mark.parametrize("prefix", ["paged-collection-", "partial-collection-"])
    def test_hydra_pages(self, prefix: str) -> None:
        run = harvest(BASE + "catalog.jsonld", serve_pages(prefix, ".jsonld"))
        assert [r.remote_id for r in run.records] == ["1", "2", "3", "4"]
        assert [r.kwargs["page_number"] for r in run.records] == [0, 0, 0, 1]
        assert all(len(d.resources) == 1 for d in run.datasets.values())
        assert [str(r.url) for r in run.requests] == [
            BASE + "catalog.jsonld",
            BASE + "catalog.jsonld?page=2",
        ]

    def test_a_page_pointing_back_stops_the_run(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            # Page 2 answers with page 1's body, whose next link is page 2 again.
            return httpx.Response(
                200, content=(DCAT_FIXTURES / "partial-collection-1.jsonld").read_bytes()
            )

        with pytest.raises(SourceInvalid, match="pages loop"):
            harvest(BASE + "catalog.jsonld", handler)

    def test_service_serving_a_dataset_of_another_page_by_iri(self) -> None:
        handler = serve_pages("serves-dataset-by-uri-", ".xml")
        run = harvest(BASE + "catalog.xml", handler)
        (service,) = run.dataservices.values()
        assert service.served_datasets == ("1",)
        assert list(run.datasets) == ["1"]


class TestPageCache:
    def test_unchanged_pages_are_replayed_without_parsing(self) -> None:
        cache = MemoryPageCache()
        handler = serve_pages("paged-collection-", ".jsonld")
        first = harvest(BASE + "catalog.jsonld", handler, pages=cache)
        assert len(cache.pages) == 2
        assert not any(r.unchanged for r in first.records)
        second = harvest(BASE + "catalog.jsonld", handler, pages=cache)
        assert [r.remote_id for r in second.records] == ["1", "2", "3", "4"]
        assert all(r.unchanged and r.payload is None for r in second.records)
        assert second.datasets == {}

    def test_conditional_request_and_304(self) -> None:
        cache = MemoryPageCache()
        body = (DCAT_FIXTURES / "bnodes.xml").read_bytes()

        def handler(request: httpx.Request) -> httpx.Response:
            if request.headers.get("If-None-Match") == '"v1"':
                return httpx.Response(304)
            return httpx.Response(200, content=body, headers={"ETag": '"v1"'})

        harvest(BASE + "bnodes.xml", handler, pages=cache)
        second = harvest(BASE + "bnodes.xml", handler, pages=cache)
        assert second.requests[0].headers["If-None-Match"] == '"v1"'
        assert [(r.kind, r.unchanged) for r in second.records] == [(ItemKind.DATASET, True)] * 3 + [
            (ItemKind.DATASERVICE, True)
        ]


class TestFailures:
    def test_unparseable_rdf(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, content=b"<rdf:RDF xmlns:rdf='x'><broken")

        with pytest.raises(
            SourceInvalid, match=r'Page "http://data.test.org/c.rdf": .*not valid xml'
        ):
            harvest(BASE + "c.rdf", handler)

    def test_html_page(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, text="<html></html>", headers={"Content-Type": "text/html"})

        with pytest.raises(SourceInvalid, match='Unsupported mime type "text/html"'):
            harvest(BASE, handler)

    def test_unknown_remote_jsonld_context(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                200,
                content=(DCAT_FIXTURES / "person.jsonld")
                .read_bytes()
                .replace(
                    b'"@context": {',
                    b'"@context": ["https://w3id.org/unknown/context.jsonld", {',
                    1,
                )
                .replace(b"\n  }\n}", b"\n  }]\n}"),
            )

        with pytest.raises(
            SourceInvalid, match=re.escape("https://w3id.org/unknown/context.jsonld")
        ):
            harvest(BASE + "person.jsonld", handler)

    def test_http_errors_propagate(self) -> None:
        with pytest.raises(httpx.HTTPStatusError, match="404"):
            harvest(BASE + "obvious-format.jsonld", serve_files())

    def test_empty_catalog(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            content = (
                b'{"@context": {"dcat": "http://www.w3.org/ns/dcat#"}, '
                b'"@type": "dcat:Catalog", "dcat:dataset": []}'
            )
            return httpx.Response(
                200, content=content, headers={"Content-Type": "application/json"}
            )

        assert harvest(BASE, handler).records == []

    def test_dataset_without_identifier_or_title_is_skipped(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                200,
                text="""
                @prefix dcat: <http://www.w3.org/ns/dcat#> .
                @prefix dct: <http://purl.org/dc/terms/> .
                <http://x.test/a> a dcat:Dataset ; dct:title "No id" .
                <http://x.test/b> a dcat:Dataset ; dct:identifier "b" ; dct:description "no title" .
            """,
                headers={"Content-Type": "text/turtle"},
            )

        run = harvest(BASE, handler)
        assert [r.remote_id for r in run.records] == [None, "b"]
        assert isinstance(run.errors[None], SkipItem)
        assert "missing identifier" in str(run.errors[None])
        assert str(run.errors["b"]) == "missing title on dataset"
