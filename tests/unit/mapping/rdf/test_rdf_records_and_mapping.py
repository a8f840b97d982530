"""Resources (2.12), dataset and dataservice mapping (2.3, 2.13), record payloads."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from pyoxigraph import Literal, NamedNode

from moisson.domain.enums import ChecksumType, ResourceType
from moisson.domain.exceptions import InvalidItem, SkipItem
from moisson.mapping.rdf import RdfGraph, iter_dataset_nodes, parse_graph
from moisson.mapping.rdf.dataservices import dataservice_from_rdf, iter_dataservice_nodes
from moisson.mapping.rdf.datasets import dataset_from_rdf
from moisson.mapping.rdf.distributions import resource_from_rdf, resources_from_rdf
from moisson.mapping.rdf.records import (
    iri_text,
    parse_record,
    record_notes,
    record_triples,
    serialize_record,
)

D = NamedNode("http://example.org/d")


class TestResources:
    def test_fields(self, turtle, options) -> None:
        graph = turtle(
            """ex:d dcat:distribution ex:r .
               ex:r dcat:accessURL <http://a.test/access> ; dcat:downloadURL "http://a.test/file.csv" ;
                    dct:format <http://publications.europa.eu/resource/authority/file-type/SHP> ;
                    dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
                    dcat:byteSize "12323" ; dct:license "Licence Ouverte Version 2.0" ;
                    dct:modified "2999-01-01"^^xsd:date ; dct:issued "2018-03-12"^^xsd:date ;
                    spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ; spdx:checksumValue "abc" ] .
               <http://publications.europa.eu/resource/authority/file-type/SHP> rdfs:label "ESRI Shapefile" ."""
        )
        (resource,) = resources_from_rdf(graph, D, options)
        assert resource.url == "http://a.test/file.csv"
        assert resource.title == "file.csv"
        assert resource.format == "esri shapefile"
        assert resource.mime == "text/csv"
        assert resource.filesize == 12323
        assert (resource.checksum.type, resource.checksum.value) == (ChecksumType.SHA256, "abc")
        assert resource.type == ResourceType.MAIN
        assert resource.extras == {"dcat": {"license": ["Licence Ouverte Version 2.0"]}}
        assert resource.harvest.modified_at is None
        assert resource.harvest.issued_at == datetime(2018, 3, 12)

    @pytest.mark.parametrize(
        ("body", "fmt", "title"),
        [
            ('dct:format "JSON"', "json", "Ressource json"),
            (
                "dct:format <https://www.iana.org/assignments/media-types/application/json>",
                "json",
                "Ressource json",
            ),
            ('dct:format "OGC:WMS"', "ogc:wms", "Ressource ogc:wms"),
            ("dct:title 'Named'", None, "Named"),
            ("dct:description 'x'", None, "Ressource sans nom"),
        ],
    )
    def test_format_and_title_fallbacks(self, turtle, options, body, fmt, title) -> None:
        graph = turtle(f"ex:r dcat:accessURL <http://a.test/api?x=1.2> ; {body} .")
        resource = resource_from_rdf(graph, NamedNode("http://example.org/r"), options)
        assert (resource.format, resource.title) == (fmt, title)

    def test_service_protocol_wins_and_makes_an_api(self, turtle, options) -> None:
        graph = turtle(
            """ex:r dcat:accessURL <http://a.test/wms> ; dct:format "XML" ;
                    dcat:accessService [ dct:conformsTo <http://www.opengeospatial.org/standards/wfs> ;
                                         geodcatap:serviceProtocol <http://www.opengeospatial.org/standards/wms> ] ."""
        )
        resource = resource_from_rdf(graph, NamedNode("http://example.org/r"), options)
        assert (resource.format, resource.type) == ("wms", ResourceType.API)

    def test_collapse_by_url_and_ogc_layers_by_title(self, turtle, options) -> None:
        graph = turtle(
            """ex:d dcat:distribution ex:a , ex:b , ex:c , ex:e ; dct:hasPart <http://a.test/doc> , [ dct:title "no iri" ] .
               ex:a dcat:accessURL <http://a.test/same> ; dct:title "first" .
               ex:b dcat:accessURL <http://a.test/same> ; dct:title "second" .
               ex:c dcat:accessURL <http://a.test/wms> ; dct:title "layer 1" ; dct:format "WMS" .
               ex:e dcat:accessURL <http://a.test/wms> ; dct:title "layer 2" ; dct:format "WMS" ."""
        )
        resources = resources_from_rdf(graph, D, options)
        assert [(r.title, r.type) for r in resources] == [
            ("second", ResourceType.MAIN),
            ("layer 1", ResourceType.MAIN),
            ("layer 2", ResourceType.MAIN),
            ("Ressource sans nom", ResourceType.OTHER),
        ]


class TestDataset:
    def test_missing_title_skips(self, turtle, options) -> None:
        graph = turtle("ex:d a dcat:Dataset ; dct:identifier '1' .")
        with pytest.raises(SkipItem, match="missing title on dataset"):
            dataset_from_rdf(graph, D, options)

    def test_inspire_restriction_clears_the_licence(self, turtle, options) -> None:
        graph = turtle(
            """ex:d a dcat:Dataset ; dct:title "T" ; dct:abstract "<div>a description</div>" ;
                   skos:altLabel "ACR" ; dct:license "Licence Ouverte Version 2.0" ;
                   dct:accessRights <http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/INSPIRE_Directive_Article13_1a> ."""
        )
        draft = dataset_from_rdf(graph, D, options)
        assert draft.description == "a description"
        assert draft.acronym == "ACR"
        assert draft.license is None
        assert draft.access_type == "restricted"
        assert (
            draft.access_type_reason_category
            == "confidentiality_of_proceedings_of_public_authorities"
        )

    def test_unanimous_resource_rights_and_licence_guess(self, turtle, options) -> None:
        graph = turtle(
            """ex:d a dcat:Dataset ; dct:title "T" ; dcat:distribution ex:a , ex:b ; dcat:landingPage "not a url" .
               ex:a dcat:accessURL <http://a.test/1> ; dct:rights "Same" ; dct:license "Licence Ouverte Version 1.0" .
               ex:b dcat:accessURL <http://a.test/2> ; dct:rights "Same" ."""
        )
        draft = dataset_from_rdf(graph, D, options)
        assert draft.extras == {"dcat": {"rights": ["Same"]}}
        assert draft.license == "lov1"
        assert draft.harvest.remote_url == "http://example.org/d"

    def test_remote_url_prefix_from_catalog_record(self, turtle, options) -> None:
        from dataclasses import replace

        graph = turtle(
            """ex:d a dcat:Dataset ; dct:title "T" .
               ex:rec foaf:primaryTopic ex:d ; dct:identifier "urn:uuid:1234"^^xsd:anyURI ."""
        )
        draft = dataset_from_rdf(
            graph, D, replace(options, remote_url_prefix="http://csw.test/md/")
        )
        assert draft.harvest.remote_url == "http://csw.test/md/1234"


class TestDataservice:
    def test_embedded_services_are_not_candidates(self, turtle) -> None:
        graph = turtle(
            """ex:api a dcat:DataService . ex:r dcat:accessService ex:embedded . ex:embedded a dcat:DataService ."""
        )
        assert [n.value for n in iter_dataservice_nodes(graph)] == ["http://example.org/api"]

    def test_fields_and_served_datasets(self, turtle, options) -> None:
        graph = turtle(
            """ex:api a dcat:DataService ; dct:identifier "api-1" ; dct:title "API" ;
                   dcat:endpointURL <http://a.test/api/> ; dcat:endpointDescription <http://a.test/api/doc> ;
                   dcat:landingPage <http://a.test/console> ; dct:license "Licence Ouverte Version 2.0" ;
                   dcat:servesDataset ex:d1 , ex:d2 , ex:nameless .
               ex:d1 dct:identifier "1" . ex:d2 dct:identifier "2" ."""
        )
        draft = dataservice_from_rdf(graph, NamedNode("http://example.org/api"), options)
        assert draft.base_api_url == "http://a.test/api/"
        assert draft.machine_documentation_url == "http://a.test/api/doc"
        assert draft.harvest.remote_url == "http://a.test/console"
        assert draft.license == "lov2"
        assert draft.served_datasets == ("1", "2")

    def test_errors(self, turtle, options) -> None:
        graph = turtle(
            "ex:a a dcat:DataService ; dct:title 'A' . ex:b a dcat:DataService ; dct:identifier 'b' ."
        )
        with pytest.raises(SkipItem, match="missing identifier"):
            dataservice_from_rdf(graph, NamedNode("http://example.org/a"), options)
        with pytest.raises(InvalidItem, match="missing title"):
            dataservice_from_rdf(graph, NamedNode("http://example.org/b"), options)


class TestRecordPayload:
    BODY = """
        ex:catalog a dcat:Catalog ; dcat:dataset _:ds , <dataset-2> .
        _:ds a dcat:Dataset ; dct:title "Blank" ; dct:identifier "1" ; dcat:distribution [ dcat:accessURL <http://a.test/f> ] ;
             dct:relation <dataset-2> .
        <dataset-2> a dcat:Dataset ; dct:title "Other" ; dct:identifier "2" ; dct:description "not copied" .
        ex:rec foaf:primaryTopic _:ds ; dct:identifier "rec-1" .
    """

    def test_round_trip_keeps_blank_root_and_relative_iris(self, turtle) -> None:
        graph = turtle(self.BODY)
        root = next(iter(iter_dataset_nodes(graph)))
        payload = serialize_record(root, record_triples(graph, root))
        parsed, parsed_root = parse_record(payload)
        assert payload.startswith("# root: _:b0\n")
        assert (
            parsed.value(parsed_root, NamedNode("http://purl.org/dc/terms/title")).value == "Blank"
        )
        other = NamedNode("http://example.org/placeholder")
        relations = parsed.objects(parsed_root, NamedNode("http://purl.org/dc/terms/relation"))
        assert [r.value for r in relations] == ["dataset-2"]
        assert "not copied" not in payload  # another dataset contributes its identifier only
        assert '"rec-1"' in payload  # the CatalogRecord comes along for remote_url
        assert other not in parsed

    def test_payload_is_stable_across_parses(self, turtle) -> None:
        def payload() -> str:
            graph = turtle(self.BODY)
            root = next(iter(iter_dataset_nodes(graph)))
            return serialize_record(root, record_triples(graph, root))

        assert payload() == payload()


class TestHostileValues:
    """What the lenient page parsers accept, a payload must carry and read back."""

    HOSTILE_IRIS = (
        'https://a.test/q?a="><script>alert(1)</script>',
        "https://a.test/back\\slash",
        "https://a.test/line\nbreak\rand\ttab\x01\x7f",
        "https://a.test/a b{c}|d^e`f",
        "relative/iri",
    )

    def graph(self) -> RdfGraph:
        doc = (
            '{"@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/"},'
            ' "@id": "https://a.test/root?x=\\"<>\\\\", "@type": "dcat:Dataset",'
            ' "dct:identifier": "r",'
            ' "dct:title": [{"@value": "typed", "@type": "https://a.test/type>x"}],'
            ' "dcat:landingPage": ' + json.dumps([{"@id": iri} for iri in self.HOSTILE_IRIS]) + "}"
        )
        return parse_graph(doc.encode(), "json-ld")

    def test_every_iri_reads_back_exactly(self) -> None:
        graph = self.graph()
        root = next(iter(iter_dataset_nodes(graph)))
        payload = serialize_record(root, record_triples(graph, root))
        assert len(payload.splitlines()) == 1 + 5 + 3  # header, pages, type, identifier, title
        parsed, parsed_root = parse_record(payload)
        assert parsed_root == root
        pages = parsed.objects(parsed_root, NamedNode("http://www.w3.org/ns/dcat#landingPage"))
        assert sorted(p.value for p in pages) == sorted(self.HOSTILE_IRIS)
        title = parsed.value(parsed_root, NamedNode("http://purl.org/dc/terms/title"))
        assert isinstance(title, Literal)
        assert title.datatype.value == "https://a.test/type>x"
        assert record_notes(payload) == []

    def test_ordinary_iris_are_written_as_before(self) -> None:
        # Payloads of ordinary records, hence their content hashes, do not change.
        assert iri_text('https://a.test/a b?c="d"&e=<f') == '<https://a.test/a b?c="d"&e=<f>'
        assert iri_text("https://a.test/x>y") == "<https://a.test/x\\u003Ey>"

    def test_an_invalid_language_tag_is_dropped_with_a_note(self) -> None:
        doc = (
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">'
            b'<dcat:Dataset rdf:about="https://a.test/d"><dct:identifier>d</dct:identifier>'
            b'<dct:title xml:lang="***">Title</dct:title>'
            b'<dct:description xml:lang="fr">Texte</dct:description></dcat:Dataset></rdf:RDF>'
        )
        graph = parse_graph(doc, "xml")
        root = next(iter(iter_dataset_nodes(graph)))
        payload = serialize_record(root, record_triples(graph, root))
        assert record_notes(payload) == [
            "language tag '***' of <http://purl.org/dc/terms/title> \"Title\" "
            "(not a language tag; the text is kept without it)"
        ]
        parsed, parsed_root = parse_record(payload)
        title = parsed.value(parsed_root, NamedNode("http://purl.org/dc/terms/title"))
        assert isinstance(title, Literal)
        assert (title.value, title.language) == ("Title", None)
        description = parsed.value(parsed_root, NamedNode("http://purl.org/dc/terms/description"))
        assert isinstance(description, Literal)
        assert description.language == "fr"
