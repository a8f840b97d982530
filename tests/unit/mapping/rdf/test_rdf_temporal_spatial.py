"""Temporal coverage (docs/udata-backends.md §2.7), spatial coverage (2.8) and resolution (2.9)."""

from __future__ import annotations

from datetime import date

import pytest
from pyoxigraph import NamedNode

from moisson.mapping.rdf.resolution import spatial_resolution_from_rdf
from moisson.mapping.rdf.spatial import spatial_from_rdf
from moisson.mapping.rdf.temporal import temporal_from_literal, temporal_from_rdf
from moisson.mapping.rdf.wkt import WktError, parse_wkt

D = NamedNode("http://example.org/d")


class TestTemporal:
    def test_literals(self) -> None:
        year = temporal_from_literal("2017")
        month = temporal_from_literal("2017-06")
        span = temporal_from_literal("\n 2004-11-03T00:00:00+01:00 /\n 2005-03-30T00:00:00+02:00 ")
        assert (year.start, year.end) == (date(2017, 1, 1), date(2017, 12, 31))
        assert (month.start, month.end) == (date(2017, 6, 1), date(2017, 6, 30))
        assert (span.start, span.end) == (date(2004, 11, 3), date(2005, 3, 30))
        assert temporal_from_literal("2017-06-01") is None
        assert temporal_from_literal("nonsense") is None
        assert temporal_from_literal("2200000000") is None  # beyond a C int: no crash

    def test_numbers_no_calendar_has_give_nothing(self) -> None:
        assert temporal_from_literal("9" * 30) is None
        assert temporal_from_literal("99999999999999999999-01") is None
        assert temporal_from_literal("2017-13") is None

    @pytest.mark.parametrize(
        ("period", "expected"),
        [
            ('schema:startDate "2016-01-01"^^xsd:date', (date(2016, 1, 1), None)),
            ('schema:endDate "2016-12-05T00:00:00"^^xsd:dateTime', (None, date(2016, 12, 5))),
            (
                'dcat:startDate "2016-01-01" ; dcat:endDate "2016-12-05"',
                (date(2016, 1, 1), date(2016, 12, 5)),
            ),
        ],
    )
    def test_period_nodes(self, turtle, period: str, expected: tuple) -> None:
        coverage = temporal_from_rdf(turtle(f"ex:d dct:temporal [ {period} ] ."), D)
        assert (coverage.start, coverage.end) == expected

    def test_an_iri_period_is_read_from_the_graph_never_fetched(self, turtle) -> None:
        graph = turtle(
            """ex:d dct:temporal ex:t . ex:t schema:startDate "2016-01-01"^^xsd:date .
               ex:e dct:temporal <http://reference.data.gov.uk/id/year/2017> ."""
        )
        assert temporal_from_rdf(graph, D).start == date(2016, 1, 1)
        assert temporal_from_rdf(graph, NamedNode("http://example.org/e")) is None


class TestSpatial:
    def test_arcgis_bbox_literal(self, turtle) -> None:
        spatial = spatial_from_rdf(turtle('ex:d dct:spatial "1,2,3,4" .'), D)
        assert spatial.geom == {
            "type": "MultiPolygon",
            "coordinates": [[[[1, 2], [3, 2], [3, 4], [1, 4], [1, 2]]]],
        }
        assert spatial_from_rdf(turtle('ex:d dct:spatial "1,2,3" .'), D) is None

    def test_geojson_then_wkt_deduplicated(self, turtle) -> None:
        graph = turtle(
            """ex:d dct:spatial [
                 locn:geometry "POLYGON((4 45, 4 46, 5 46, 4 45))"^^gsp:wktLiteral ;
                 dcat:bbox '{"type":"Polygon","coordinates":[[[4,45],[4,46],[5,46],[4,45]]]}'^^gsp:geoJSONLiteral ;
                 locn:geometry "multipolygon(((0 0, 1 0, 1 1, 0 0)))"^^<http://www.opengis.net/rdf#wktLiteral> ;
                 locn:geometry "POINT(1 2)"^^gsp:wktLiteral ;
                 locn:geometry "POLYGON((9 9, 9 8, 8 8, 9 9))"^^<http://www.opengis.net/rdf#WKTLiteral>
               ] ."""
        )
        assert spatial_from_rdf(graph, D).geom["coordinates"] == [
            [[[4, 45], [4, 46], [5, 46], [4, 45]]],
            [[[0, 0], [1, 0], [1, 1], [0, 0]]],
        ]

    def test_nan_invalidates_everything(self, turtle) -> None:
        graph = turtle(
            """ex:d dct:spatial [ locn:geometry '{"type":"Polygon","coordinates":[[[NaN,1],[2,2],[1,1]]]}'^^gsp:geoJSONLiteral ] ."""
        )
        assert spatial_from_rdf(graph, D) is None

    def test_wkt_reader(self) -> None:
        assert parse_wkt("SRID=4326;POLYGON Z ((1 2 3, 4 5 6, 1 2 3))") == {
            "type": "Polygon",
            "coordinates": [[[1, 2, 3], [4, 5, 6], [1, 2, 3]]],
        }
        assert parse_wkt("LINESTRING(1 2, 3 4)") is None
        for broken in ("WRONG WKT", "POLYGON((1 2, 3", "POLYGON(1 2, 3 4)", "POLYGON((1))"):
            with pytest.raises(WktError):
                parse_wkt(broken)


class TestResolution:
    def test_metres_win(self, turtle) -> None:
        graph = turtle(
            'ex:d dcat:spatialResolutionInMeters "51"^^xsd:decimal , "12"^^xsd:decimal .'
        )
        assert spatial_resolution_from_rdf(graph, D) == "51.0 m"

    def test_largest_distance_in_its_own_unit(self, turtle) -> None:
        graph = turtle(
            """ex:d dqv:hasQualityMeasurement
                 [ dqv:isMeasurementOf geodcatap:spatialResolutionAsDistance ; sdmx:unitMeasure unit:KiloM ; dqv:value 1.0 ] ,
                 [ dqv:isMeasurementOf geodcatap:spatialResolutionAsDistance ; sdmx:unitMeasure unit:M ; dqv:value 900 ] ,
                 [ dqv:isMeasurementOf geodcatap:spatialResolutionAsScale ; dqv:value 0.00004 ] ."""
        )
        assert spatial_resolution_from_rdf(graph, D) == "1.0 km"

    def test_finest_scale_as_a_fraction(self, turtle) -> None:
        graph = turtle(
            """ex:d dqv:hasQualityMeasurement
                 [ dqv:isMeasurementOf geodcatap:spatialResolutionAsScale ; dqv:value 0.00004 ] ,
                 [ dqv:isMeasurementOf geodcatap:spatialResolutionAsScale ; dqv:value 0.0001 ] ."""
        )
        assert spatial_resolution_from_rdf(graph, D) == "1/25000"
        one = turtle(
            "ex:d dqv:hasQualityMeasurement [ dqv:isMeasurementOf geodcatap:spatialResolutionAsScale ; dqv:value 1 ] ."
        )
        assert spatial_resolution_from_rdf(one, D) == "1"
