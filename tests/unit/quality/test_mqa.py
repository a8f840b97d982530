"""The MQA score, metric by metric, on small graphs: each metric's points are given when, and
only when, the property it measures is there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode

from moisson.mapping.rdf.graph import RdfGraph
from moisson.mapping.rdf.namespaces import DCAT, DCT, RDF
from moisson.quality.mqa import Facts, Points, default_points, score_dataset

D = NamedNode("https://example.org/d")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"


def graph(
    *dataset: tuple[Any, Any], distributions: tuple[list[tuple[Any, Any]], ...] = ()
) -> RdfGraph:
    g = RdfGraph([(D, RDF.type, DCAT.Dataset)])
    for p, o in dataset:
        g.add(D, p, o)
    for index, properties in enumerate(distributions):
        node = NamedNode(f"https://example.org/d/{index}")
        g.add(D, DCAT.distribution, node)
        g.add(node, RDF.type, DCAT.Distribution)
        for p, o in properties:
            g.add(node, p, o)
    return g


def met(g: RdfGraph, facts: Facts | None = None) -> set[str]:
    return set(score_dataset(g, D, facts).met)


def test_the_shipped_points_are_the_methods() -> None:
    points = default_points()
    assert len(points.metrics) == 23
    assert points.maximum == 405
    by_dimension: dict[str, int] = {}
    for metric in points.metrics:
        by_dimension[metric.dimension] = by_dimension.get(metric.dimension, 0) + metric.points
    assert by_dimension == dict(points.dimensions) == {
        "findability": 100, "accessibility": 100, "interoperability": 110,
        "reusability": 75, "contextuality": 20,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("score", "band"),
    [(405, "excellent"), (351, "excellent"), (350, "good"), (221, "good"),
     (220, "sufficient"), (121, "sufficient"), (120, "bad"), (0, "bad")],
)  # fmt: skip
def test_rating_bands(score: int, band: str) -> None:
    assert default_points().band(score) == band


DATASET_METRICS = [
    ("keywordAvailability", DCAT.keyword, Literal("bees"), 30),
    ("categoryAvailability", DCAT.theme, NamedNode(f"{EU}data-theme/AGRI"), 30),
    ("spatialAvailability", DCT.spatial, NamedNode(f"{EU}country/GRC"), 20),
    ("temporalAvailability", DCT.temporal, BlankNode(), 20),
    ("accessRightsAvailability", DCT.accessRights, NamedNode("https://example.org/rights"), 10),
    ("contactPointAvailability", DCAT.contactPoint, BlankNode(), 20),
    ("publisherAvailability", DCT.publisher, NamedNode("https://example.org/agency"), 10),
]


@pytest.mark.parametrize(("metric", "predicate", "value", "points"), DATASET_METRICS)
def test_dataset_metrics(metric: str, predicate: NamedNode, value: Any, points: int) -> None:
    assert metric not in met(graph())
    score = score_dataset(graph((predicate, value)), D)
    assert metric in score.met
    assert score.points == points


def test_access_rights_vocabulary_alignment() -> None:
    own = graph((DCT.accessRights, NamedNode("https://example.org/rights")))
    eu = graph((DCT.accessRights, NamedNode(f"{EU}access-right/PUBLIC")))
    assert "accessRightsVocabularyAlignment" not in met(own)
    assert score_dataset(eu, D).points == 10 + 5


CSV_FORMAT = (DCT["format"], NamedNode(f"{EU}file-type/CSV"))
CSV_MEDIA = (DCAT.mediaType, NamedNode(f"{IANA}text/csv"))
DISTRIBUTION_METRICS = [
    ("downloadUrlAvailability", [(DCAT.downloadURL, NamedNode("https://example.org/f.csv"))]),
    ("formatAvailability", [(DCT["format"], Literal("CSV"))]),
    ("mediaTypeAvailability", [(DCAT.mediaType, Literal("text/csv"))]),
    ("formatMediaTypeVocabularyAlignment", [CSV_FORMAT, CSV_MEDIA]),
    ("licenceAvailability", [(DCT.license, NamedNode("https://example.org/licence"))]),
    ("knownLicence", [(DCT.license, NamedNode(f"{EU}licence/CC_BY_4_0"))]),
    ("rightsAvailability", [(DCT.rights, BlankNode())]),
    ("byteSizeAvailability", [(DCAT.byteSize, Literal("12"))]),
]


@pytest.mark.parametrize(("metric", "properties"), DISTRIBUTION_METRICS)
def test_distribution_metrics(metric: str, properties: list[tuple[Any, Any]]) -> None:
    assert metric not in met(graph(distributions=([],)))
    assert metric in met(graph(distributions=(properties,)))


def test_format_alignment_needs_both_vocabularies() -> None:
    assert "formatMediaTypeVocabularyAlignment" not in met(graph(distributions=([CSV_FORMAT],)))
    literal_media = (DCAT.mediaType, Literal("text/csv"))
    assert "formatMediaTypeVocabularyAlignment" not in met(
        graph(distributions=([CSV_FORMAT, literal_media],))
    )


@pytest.mark.parametrize(
    ("properties", "open_", "machine"),
    [
        ([CSV_FORMAT], True, True),
        ([(DCT["format"], Literal("xlsx"))], False, True),
        ([(DCT["format"], Literal("PDF"))], True, False),
        ([(DCT["format"], Literal("PDF")), (DCAT.mediaType, Literal("text/csv"))], True, True),
        ([], False, False),  # unset counts as proprietary and not machine-readable
    ],
)
def test_non_proprietary_and_machine_readable_media_type_first(
    properties: list[tuple[Any, Any]], open_: bool, machine: bool
) -> None:
    found = met(graph(distributions=(properties,)))
    assert ("formatMediaTypeNonProprietary" in found) is open_
    assert ("formatMediaTypeMachineInterpretable" in found) is machine


def test_url_status_metrics_need_a_check() -> None:
    url = "https://example.org/f.csv"
    g = graph(
        distributions=([(DCAT.accessURL, NamedNode(url)), (DCAT.downloadURL, NamedNode(url))],)
    )
    unchecked = score_dataset(g, D)
    assert {"accessUrlStatusCode", "downloadUrlStatusCode"} <= unchecked.unchecked
    ok = score_dataset(g, D, Facts(url_status=lambda u: True))
    assert {"accessUrlStatusCode", "downloadUrlStatusCode"} <= ok.met
    assert ok.dimensions["accessibility"] == 100
    broken = score_dataset(g, D, Facts(url_status=lambda u: False))
    assert broken.dimensions["accessibility"] == 20
    assert not broken.unchecked & {"accessUrlStatusCode", "downloadUrlStatusCode"}


def test_the_best_of_a_distributions_urls_counts() -> None:
    good, bad = "https://example.org/ok", "https://example.org/404"
    g = graph(
        distributions=([(DCAT.accessURL, NamedNode(bad)), (DCAT.accessURL, NamedNode(good))],)
    )
    assert "accessUrlStatusCode" in met(g, Facts(url_status=lambda u: u == good))


def test_the_best_distribution_counts_not_the_sum() -> None:
    rich = [CSV_FORMAT, CSV_MEDIA, (DCT.license, NamedNode(f"{EU}licence/CC_BY_4_0"))]
    poor = [(DCT["format"], Literal("xls"))]
    one = score_dataset(graph(distributions=(rich,)), D)
    both = score_dataset(graph(distributions=(poor, rich)), D)
    assert both.points == one.points == 20 + 10 + 10 + 20 + 20 + 20 + 10


def test_dates_count_once_from_the_dataset_or_its_best_distribution() -> None:
    issued = (DCT.issued, Literal("2024-01-01"))
    modified = (DCT.modified, Literal("2024-02-01"))
    on_dataset = score_dataset(graph(issued, modified), D)
    on_both = score_dataset(graph(issued, modified, distributions=([issued, modified],)), D)
    on_distribution = score_dataset(graph(distributions=([issued],)), D)
    assert on_dataset.dimensions["contextuality"] == 10
    assert on_both.dimensions["contextuality"] == 10
    assert on_distribution.dimensions["contextuality"] == 5


def test_dcat_ap_compliance_comes_from_the_validation() -> None:
    g = graph()
    assert "dcatApCompliance" in score_dataset(g, D).unchecked
    assert score_dataset(g, D, Facts(conforms=True)).points == 30
    assert score_dataset(g, D, Facts(conforms=False)).points == 0


def test_a_replaced_points_file_changes_the_weights(tmp_path: Path) -> None:
    data = json.loads(json.dumps(_shipped()))
    for metric in data["metrics"]:
        if metric["id"] == "keywordAvailability":
            metric["points"] = 7
    data["metrics"].append({"id": "formatAvailability", "dimension": "interoperability",
                            "on": "distribution", "points": -5})  # fmt: skip
    path = tmp_path / "points.json"
    path.write_text(json.dumps(data))
    points = Points.load(path)
    g = graph((DCAT.keyword, Literal("bees")), distributions=([(DCT["format"], Literal("CSV"))],))
    score = score_dataset(g, D, points=points)
    assert score.dimensions["findability"] == 7
    assert score.dimensions["interoperability"] == 20 - 5 + 20 + 20  # CSV: open, machine-readable


def test_an_invalid_points_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "points.json"
    unknown = {"id": "nope", "dimension": "x", "on": "dataset", "points": 1}
    path.write_text(json.dumps({**_shipped(), "metrics": [unknown]}))
    with pytest.raises(ValueError, match="unknown metrics"):
        Points.load(path)


def _shipped() -> dict[str, Any]:
    root = Path(__file__).resolve().parents[3]
    return json.loads((root / "src/moisson/data/mqa_points.json").read_text())
