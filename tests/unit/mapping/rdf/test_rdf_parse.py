"""Parsing, format detection and dataset listing (docs/udata-backends.md §3.1, §3.2, §10.2, §10.3)."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import NamedNode
from tests.conftest import SHARED_FIXTURES

from moisson.mapping.rdf import (
    RdfFormatError,
    RdfParseError,
    detect_format,
    iter_dataset_nodes,
    parse_graph,
)
from moisson.mapping.rdf.hydra import next_page_from_rdf
from moisson.mapping.rdf.namespaces import DCAT, DCT

RDF_XML = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="dataset-3"><dct:title>Three</dct:title>
    <dcat:theme rdf:resource="http://example.org/theme">Text beside a resource</dcat:theme>
  </dcat:Dataset>
</rdf:RDF>"""


class TestDetectFormat:
    @pytest.mark.parametrize(
        ("content_type", "expected"),
        [
            ("application/rdf+xml", "xml"),
            ("application/xml; charset=utf-8", "xml"),
            ("text/turtle", "turtle"),
            ("application/ld+json", "json-ld"),
            ("application/json", "json-ld"),
            ("application/n-triples", "nt"),
            ("application/trig", "trig"),
        ],
    )
    def test_content_type_first(self, content_type: str, expected: str) -> None:
        assert detect_format(content_type, "http://x.test/catalog.ttl", b"") == expected

    def test_extension_of_the_path_even_with_a_query(self) -> None:
        assert detect_format(None, "http://x.test/catalog.xml?page=1", b"") == "xml"
        assert detect_format("text/plain", "http://x.test/c.jsonld", b"") == "json-ld"
        assert detect_format("", "http://x.test/c.ttl", b"") == "turtle"

    def test_sniffing_when_nothing_else_says(self) -> None:
        assert detect_format("application/octet-stream", "http://x.test/", RDF_XML) == "xml"
        assert detect_format(None, "http://x.test/", b'  {"@context": {}}') == "json-ld"
        assert detect_format(None, "http://x.test/", b"@prefix ex: <http://e/> .") == "turtle"

    def test_html_is_an_unsupported_mime_type(self) -> None:
        with pytest.raises(RdfFormatError, match='Unsupported mime type "text/html"'):
            detect_format("text/html; charset=utf-8", "http://x.test/", b"<html></html>")

    def test_nothing_to_go_on(self) -> None:
        with pytest.raises(RdfFormatError, match="Unable to detect format"):
            detect_format("", "http://x.test/", b"should fail")


class TestParseGraph:
    def test_relative_iris_stay_relative(self) -> None:
        graph = parse_graph(RDF_XML, "xml")
        assert next(iter_dataset_nodes(graph)).value == "dataset-3"

    def test_text_beside_rdf_resource_is_dropped_like_rdflib(self) -> None:
        graph = parse_graph(RDF_XML, "xml")
        node = next(iter_dataset_nodes(graph))
        assert graph.objects(node, DCAT.theme) == [NamedNode("http://example.org/theme")]

    def test_syntax_error_is_one_domain_exception(self) -> None:
        with pytest.raises(RdfParseError, match="not valid xml RDF"):
            parse_graph(b"<rdf:RDF><oops", "xml")
        with pytest.raises(RdfParseError, match="not valid json-ld RDF"):
            parse_graph(b"{not json", "json-ld")

    def test_unsupported_syntax(self) -> None:
        with pytest.raises(RdfFormatError, match='"rdfa" is not supported'):
            parse_graph(b"<html/>", "rdfa")

    def test_unknown_remote_context_is_never_downloaded(self) -> None:
        document = {"@context": "https://example.org/context.jsonld", "@id": "http://e/x"}
        with pytest.raises(RdfParseError, match=r'remote context "https://example.org/context'):
            parse_graph(json.dumps(document).encode(), "json-ld")

    def test_pod_context_ships_locally(self) -> None:
        graph = parse_graph((SHARED_FIXTURES / "dcat" / "evian.json").read_bytes(), "json-ld")
        datasets = list(iter_dataset_nodes(graph))
        assert len(datasets) == 8
        assert all(graph.objects(node, DCT.title) for node in datasets)

    def test_iri_with_a_space_is_kept(self) -> None:
        graph = parse_graph((SHARED_FIXTURES / "dcat" / "geonetwork.xml").read_bytes(), "xml")
        (node,) = iter_dataset_nodes(graph)
        assert " " in node.value


class TestListing:
    def test_dataset_typed_twice_comes_once(self) -> None:
        graph = parse_graph((SHARED_FIXTURES / "dcat" / "series.xml").read_bytes(), "xml")
        assert len(list(iter_dataset_nodes(graph))) == 1

    def test_untitled_service_references_are_not_datasets(self, turtle) -> None:
        graph = turtle(
            """
            ex:api a dcat:DataService ; dcat:servesDataset ex:elsewhere .
            ex:elsewhere a dcat:Dataset .
            ex:mine a dcat:Dataset ; dct:title "Mine" .
            """
        )
        assert [n.value for n in iter_dataset_nodes(graph)] == ["http://example.org/mine"]


class TestHydra:
    def test_partial_collection_view_next(self, turtle) -> None:
        graph = turtle("ex:v a hydra:PartialCollectionView ; hydra:next <http://x.test/?page=2> .")
        assert next_page_from_rdf(graph) == "http://x.test/?page=2"

    def test_legacy_paged_collection_next_page_literal(self, turtle) -> None:
        graph = turtle('ex:c a hydra:PagedCollection ; hydra:nextPage "http://x.test/?page=3" .')
        assert next_page_from_rdf(graph) == "http://x.test/?page=3"

    def test_last_page(self, turtle) -> None:
        graph = turtle("ex:v a hydra:PartialCollectionView ; hydra:first ex:p1 .")
        assert next_page_from_rdf(graph) is None
