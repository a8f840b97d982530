"""Value-reading primitives (docs/udata-backends.md §2.2)."""

from __future__ import annotations

from datetime import date, datetime

from pyoxigraph import NamedNode

from moisson.mapping.rdf.accessors import (
    modified_datetime,
    single,
    single_text,
    unique_values,
    url_value,
)
from moisson.mapping.rdf.namespaces import DCAT, DCT

D = NamedNode("http://example.org/d")


class TestUniqueValues:
    def test_udata_examples(self, turtle) -> None:
        graph = turtle(
            """
            ex:d dct:rights <http://example.org/uri-right> ,
                [ rdfs:label "Label only" ] ,
                [ dct:description "Description only" ] ,
                [ rdfs:label "Label wins" ; dct:description "over description" ] ,
                "Plain text" , "  " , "Plain text" .
            """
        )
        assert unique_values(graph, D, DCT.rights) == [
            "http://example.org/uri-right",
            "Label only",
            "Description only",
            "Label wins",
            "Plain text",
        ]


class TestSingle:
    def test_preferred_language_then_first(self, turtle) -> None:
        graph = turtle('ex:d dct:title "Title"@en , "Titre"@fr .')
        assert single_text(graph, D, DCT.title, "fr") == "Titre"
        assert single_text(graph, D, DCT.title, "de") == "Title"

    def test_typed_literals_are_converted(self, turtle) -> None:
        graph = turtle(
            """
            ex:d dct:issued "2016-12-14"^^xsd:date ; dct:modified "2016-12-14T18:59:02"^^xsd:dateTime ;
                 dcat:byteSize "12"^^xsd:integer ; dct:created "not a date"^^xsd:date .
            """
        )
        assert single(graph, D, DCT.issued) == date(2016, 12, 14)
        assert single(graph, D, DCT.modified) == datetime(2016, 12, 14, 18, 59, 2)
        assert single(graph, D, DCAT.byteSize) == 12
        assert single(graph, D, DCT.created) == "not a date"

    def test_absent(self, turtle) -> None:
        assert single(turtle("ex:d dct:title 'x' ."), D, DCT.description) is None


class TestDates:
    def test_future_or_unparseable_modified_is_dropped(self, turtle) -> None:
        now = datetime(2025, 1, 1)
        past = turtle('ex:d dct:modified "2024-06-01T10:00:00+02:00"^^xsd:dateTime .')
        future = turtle('ex:d dct:modified "2030-01-01"^^xsd:date .')
        garbage = turtle('ex:d dct:modified "someday" .')
        assert modified_datetime(past, D, DCT.modified, now) == datetime(2024, 6, 1, 8, 0)
        assert modified_datetime(future, D, DCT.modified, now) is None
        assert modified_datetime(garbage, D, DCT.modified, now) is None


def test_url_value_reads_literals_and_iris(turtle) -> None:
    graph = turtle('ex:d dcat:landingPage "http://a.test/x" ; dcat:accessURL <http://b.test/y> .')
    assert url_value(graph, D, DCAT.landingPage) == "http://a.test/x"
    assert url_value(graph, D, DCAT.accessURL) == "http://b.test/y"
