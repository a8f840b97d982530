"""data.europa.eu's Metadata Quality Assessment (MQA), computed from a dataset's RDF.

The method (`docs/quality.md`): 23 metrics in five dimensions, 405 points in all; each
distribution is scored on the distribution metrics and the best one counts; for a
distribution, the best of its access and download URL checks counts; dataset metrics are
added; the date metrics are met when the dataset or its best distribution has the date,
and so count once. Points, dimensions, rating bands and the format lists come from a data
file (`moisson/data/mqa_points.json`) that a deployment can replace.

Scoring is two steps. `evaluate` reads the graph once and gives an `Evaluation`: each
metric's result on the dataset and on every distribution, and for the two URL status metrics
the URLs they depend on (JSON-serialisable: it is stored with the assessment). `score` turns
an evaluation into points, given what is known of those URLs; a dataset is re-scored when its
URLs have been checked, after the harvest, without its graph.

Everything here is a pure function of the graph and of what the caller knows beyond it:
whether each URL answered 2xx (`UrlStatus`; `None` when it was not checked, then the status
metrics are not met and the score says so in `unchecked`), whether the record conforms to
the DCAT-AP shapes, and which licences are known.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode

from moisson.mapping.rdf.graph import Node, RdfGraph, Term
from moisson.mapping.rdf.namespaces import DCAT, DCT, RDFS, SKOS
from moisson.quality.vocabularies import EU_AUTHORITY

UrlStatus = Callable[[str], bool | None]
"""`True`: the URL answered 2xx; `False`: it did not; `None`: not checked."""

DATASET, DISTRIBUTION, BOTH = "dataset", "distribution", "both"
URL_METRICS = frozenset({"accessUrlStatusCode", "downloadUrlStatusCode"})
_EU_FILE_TYPE = f"{EU_AUTHORITY}file-type/"
_EU_ACCESS_RIGHT = f"{EU_AUTHORITY}access-right/"
_EU_LICENCE = f"{EU_AUTHORITY}licence/"
_IANA = (
    "http://www.iana.org/assignments/media-types/",
    "https://www.iana.org/assignments/media-types/",
)


@dataclass(frozen=True, slots=True)
class Metric:
    id: str
    dimension: str
    on: str
    points: int


@dataclass(frozen=True)
class Points:
    """The contents of a points file."""

    metrics: tuple[Metric, ...]
    dimensions: Mapping[str, int]
    bands: tuple[tuple[str, int], ...]
    """(band, minimum points), highest first."""
    non_proprietary: tuple[frozenset[str], frozenset[str]]
    """(format codes, media types)."""
    machine_readable: tuple[frozenset[str], frozenset[str]]

    @property
    def maximum(self) -> int:
        return sum(m.points for m in self.metrics if m.points > 0)

    def band(self, score: int) -> str:
        for name, minimum in self.bands:
            if score >= minimum:
                return name
        return self.bands[-1][0]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Points:
        try:
            metrics = tuple(
                Metric(str(m["id"]), str(m["dimension"]), str(m["on"]), int(m["points"]))
                for m in data["metrics"]
            )
            bands = tuple(
                sorted(
                    ((str(b["band"]), int(b["min"])) for b in data["bands"]), key=lambda b: -b[1]
                )
            )
            dimensions = {str(k): int(v) for k, v in data["dimensions"].items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"Invalid MQA points file: {exc!r}") from exc
        unknown = {m.id for m in metrics} - set(METRICS)
        if unknown:
            raise ValueError(f"Invalid MQA points file: unknown metrics {sorted(unknown)}")
        bad_on = [m.id for m in metrics if m.on not in (DATASET, DISTRIBUTION, BOTH)]
        if bad_on or not bands:
            raise ValueError(f"Invalid MQA points file: bad 'on' for {bad_on} or no bands")

        def lists(key: str) -> tuple[frozenset[str], frozenset[str]]:
            entry = data.get(key) or {}
            return (
                frozenset(str(f).upper() for f in entry.get("formats", ())),
                frozenset(str(t).lower() for t in entry.get("media_types", ())),
            )

        return cls(metrics, dimensions, bands, lists("non_proprietary"), lists("machine_readable"))

    @classmethod
    def load(cls, path: Path | None = None) -> Points:
        if path is None:
            return default_points()
        return cls.from_json(json.loads(path.read_text("utf-8")))


@cache
def default_points() -> Points:
    text = resources.files("moisson").joinpath("data/mqa_points.json").read_text("utf-8")
    return Points.from_json(json.loads(text))


@dataclass(frozen=True)
class Score:
    points: int
    band: str
    dimensions: dict[str, int]
    met: frozenset[str]
    """Metrics the dataset meets."""
    unchecked: frozenset[str] = field(default_factory=frozenset)
    """Metrics that could not be assessed (URLs not checked, no SHACL result)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "score": self.points,
            "band": self.band,
            "dimensions": self.dimensions,
            "met": sorted(self.met),
            "unchecked": sorted(self.unchecked),
        }


@dataclass(frozen=True)
class Facts:
    """What scoring knows beyond the graph."""

    url_status: UrlStatus | None = None
    conforms: bool | None = None
    """No SHACL violation (None: not validated)."""
    known_licence: Callable[[str], bool] = lambda url: url.startswith(_EU_LICENCE)


# --------------------------------------------------------------------------- the metrics

DatasetCheck = Callable[[RdfGraph, Node, Facts, Points], bool | None]


def _has(predicate: NamedNode) -> DatasetCheck:
    return lambda g, node, facts, points: bool(g.objects(node, predicate))


def _format_code(g: RdfGraph, node: Node) -> str | None:
    value = g.value(node, DCT["format"])
    if value is None:
        return None
    text = _label(g, value)
    if text.startswith(_EU_FILE_TYPE):
        text = text[len(_EU_FILE_TYPE) :]
    return text.strip().upper() or None


def _media_type(g: RdfGraph, node: Node) -> str | None:
    value = g.value(node, DCAT.mediaType)
    if value is None:
        return None
    text = _label(g, value)
    for base in _IANA:
        if text.startswith(base):
            text = text[len(base) :]
    return text.strip().lower() or None


def _label(g: RdfGraph, value: Term) -> str:
    if isinstance(value, Literal | NamedNode):
        return value.value
    for predicate in (RDF_VALUE, RDFS.label, SKOS.prefLabel):
        inner = g.value(value, predicate)
        if isinstance(inner, Literal | NamedNode):
            return inner.value
    return ""


RDF_VALUE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#value")


def _aligned(g: RdfGraph, node: Node) -> bool:
    fmt, media = g.value(node, DCT["format"]), g.value(node, DCAT.mediaType)
    return (
        isinstance(fmt, NamedNode)
        and fmt.value.startswith(_EU_FILE_TYPE)
        and isinstance(media, NamedNode)
        and media.value.startswith(_IANA)
    )


def _in_lists(lists: tuple[frozenset[str], frozenset[str]], g: RdfGraph, node: Node) -> bool:
    """Media type first, then format; unset counts as not in the list."""
    media = _media_type(g, node)
    if media is not None:
        return media in lists[1]
    code = _format_code(g, node)
    return code is not None and code in lists[0]


def _url_check(predicate: NamedNode) -> DatasetCheck:
    def check(g: RdfGraph, node: Node, facts: Facts, points: Points) -> bool | None:
        urls = tuple(o.value for o in g.objects(node, predicate) if isinstance(o, NamedNode))
        return _url_result(urls, facts.url_status)

    return check


def _known_licence(g: RdfGraph, node: Node, facts: Facts, points: Points) -> bool:
    return any(
        isinstance(o, NamedNode) and facts.known_licence(o.value)
        for o in g.objects(node, DCT.license)
    )


def _access_rights_aligned(g: RdfGraph, node: Node, facts: Facts, points: Points) -> bool:
    return any(
        isinstance(o, NamedNode) and o.value.startswith(_EU_ACCESS_RIGHT)
        for o in g.objects(node, DCT.accessRights)
    )


def _non_proprietary(g: RdfGraph, node: Node, facts: Facts, points: Points) -> bool:
    return _in_lists(points.non_proprietary, g, node)


def _machine_readable(g: RdfGraph, node: Node, facts: Facts, points: Points) -> bool:
    return _in_lists(points.machine_readable, g, node)


METRICS: dict[str, DatasetCheck] = {
    "keywordAvailability": _has(DCAT.keyword),
    "categoryAvailability": _has(DCAT.theme),
    "spatialAvailability": _has(DCT.spatial),
    "temporalAvailability": _has(DCT.temporal),
    "accessUrlStatusCode": _url_check(DCAT.accessURL),
    "downloadUrlAvailability": _has(DCAT.downloadURL),
    "downloadUrlStatusCode": _url_check(DCAT.downloadURL),
    "formatAvailability": _has(DCT["format"]),
    "mediaTypeAvailability": _has(DCAT.mediaType),
    "formatMediaTypeVocabularyAlignment": lambda g, n, f, p: _aligned(g, n),
    "formatMediaTypeNonProprietary": _non_proprietary,
    "formatMediaTypeMachineInterpretable": _machine_readable,
    "dcatApCompliance": lambda g, n, f, p: f.conforms,
    "licenceAvailability": _has(DCT.license),
    "knownLicence": _known_licence,
    "accessRightsAvailability": _has(DCT.accessRights),
    "accessRightsVocabularyAlignment": _access_rights_aligned,
    "contactPointAvailability": _has(DCAT.contactPoint),
    "publisherAvailability": _has(DCT.publisher),
    "rightsAvailability": _has(DCT.rights),
    "byteSizeAvailability": _has(DCAT.byteSize),
    "dateIssuedAvailability": _has(DCT.issued),
    "dateModifiedAvailability": _has(DCT.modified),
}
"""Metric id -> check on one node (the dataset, or one distribution): met, not met, or
`None` when it cannot be told (URLs not checked, not validated). A metric's points are
added when it is met, whatever their sign (a negative one is a penalty for meeting it)."""

URL_PREDICATES = {"accessUrlStatusCode": DCAT.accessURL, "downloadUrlStatusCode": DCAT.downloadURL}
"""The URL metrics, and the property whose URLs each one checks."""


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class NodeEvaluation:
    """The metric results of one node (the dataset, or one distribution)."""

    results: Mapping[str, bool | None]
    """Metric id -> met, not met, `None` (cannot be told); the URL metrics are not here."""
    urls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """URL metric id -> the URLs it depends on (none: the metric is not met)."""

    def resolved(self, url_status: UrlStatus | None) -> dict[str, bool | None]:
        """Every result, the URL metrics' from `url_status`."""
        results = dict(self.results)
        for metric, urls in self.urls.items():
            results[metric] = _url_result(urls, url_status)
        return results

    def as_json(self) -> dict[str, Any]:
        return {"results": dict(self.results), "urls": {m: list(u) for m, u in self.urls.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NodeEvaluation:
        results = {str(m): (None if r is None else bool(r)) for m, r in data["results"].items()}
        urls = {str(m): tuple(str(u) for u in us) for m, us in data.get("urls", {}).items()}
        return cls(results, urls)


@dataclass(frozen=True)
class Evaluation:
    """What the graph says about each metric, once: scoring it again with other URL statuses
    or another conformance needs neither the graph nor the shapes (`score`)."""

    dataset: NodeEvaluation
    distributions: tuple[NodeEvaluation, ...]

    def urls(self) -> set[str]:
        """The URLs the URL metrics depend on."""
        return {
            url
            for node in (self.dataset, *self.distributions)
            for urls in node.urls.values()
            for url in urls
        }

    def with_conformance(self, conforms: bool | None) -> Evaluation:
        """This evaluation with `dcatApCompliance` set (the validation's verdict)."""
        results = {**self.dataset.results, COMPLIANCE: conforms}
        return Evaluation(NodeEvaluation(results, self.dataset.urls), self.distributions)

    def as_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset.as_json(),
            "distributions": [d.as_json() for d in self.distributions],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evaluation:
        return cls(
            NodeEvaluation.from_json(data["dataset"]),
            tuple(NodeEvaluation.from_json(d) for d in data.get("distributions", ())),
        )


COMPLIANCE = "dcatApCompliance"


def score_dataset(
    graph: RdfGraph, dataset: Node, facts: Facts | None = None, points: Points | None = None
) -> Score:
    """The MQA score of `dataset` (see the module docstring)."""
    facts = facts or Facts()
    points = points or default_points()
    return score(evaluate(graph, dataset, facts, points), points, facts.url_status)


def evaluate(graph: RdfGraph, dataset: Node, facts: Facts, points: Points) -> Evaluation:
    """Every metric of `points` on the nodes it is measured on; URL metrics keep their URLs
    (`facts.url_status` is not used here: statuses are known later, `score` takes them)."""
    on_dataset = [m.id for m in points.metrics if m.on in (DATASET, BOTH)]
    on_distribution = [m.id for m in points.metrics if m.on in (DISTRIBUTION, BOTH)]
    distributions = tuple(
        _evaluate_node(graph, node, on_distribution, facts, points)
        for node in graph.objects(dataset, DCAT.distribution)
        if isinstance(node, NamedNode | BlankNode)
    )
    return Evaluation(_evaluate_node(graph, dataset, on_dataset, facts, points), distributions)


def _evaluate_node(
    graph: RdfGraph, node: Node, metrics: list[str], facts: Facts, points: Points
) -> NodeEvaluation:
    results: dict[str, bool | None] = {}
    urls: dict[str, tuple[str, ...]] = {}
    for metric in metrics:
        predicate = URL_PREDICATES.get(metric)
        if predicate is None:
            results[metric] = METRICS[metric](graph, node, facts, points)
        else:
            found = (o.value for o in graph.objects(node, predicate) if isinstance(o, NamedNode))
            urls[metric] = tuple(dict.fromkeys(found))
    return NodeEvaluation(results, urls)


def score(evaluation: Evaluation, points: Points, url_status: UrlStatus | None = None) -> Score:
    """The MQA score of an evaluation, given what is known of its URLs (see the module
    docstring: the best distribution counts, dates count once)."""
    distribution_metrics = [m for m in points.metrics if m.on in (DISTRIBUTION, BOTH)]
    best: tuple[int, dict[str, bool | None]] | None = None
    for distribution in evaluation.distributions:
        results = distribution.resolved(url_status)
        total = sum(m.points for m in distribution_metrics if results.get(m.id))
        if best is None or total > best[0]:
            best = (total, results)
    on_distribution = best[1] if best is not None else {}
    on_dataset = evaluation.dataset.resolved(url_status)
    met: set[str] = set()
    unchecked: set[str] = set()
    dimensions = dict.fromkeys(points.dimensions, 0)
    for metric in points.metrics:
        result: bool | None
        if metric.on == DISTRIBUTION:
            result = on_distribution.get(metric.id, False)
        elif metric.on == DATASET:
            result = on_dataset.get(metric.id, False)
        else:
            result = on_dataset.get(metric.id, False) or on_distribution.get(metric.id, False)
        if result is None:
            unchecked.add(metric.id)
        elif result:
            met.add(metric.id)
            dimensions[metric.dimension] = dimensions.get(metric.dimension, 0) + metric.points
    total = max(0, sum(dimensions.values()))
    return Score(total, points.band(total), dimensions, frozenset(met), frozenset(unchecked))


def _url_result(urls: tuple[str, ...], url_status: UrlStatus | None) -> bool | None:
    """Met when one of the URLs answered 2xx; `None` while none of them was checked."""
    if not urls:
        return False
    if url_status is None:
        return None
    answers = [url_status(url) for url in urls]
    if any(a is True for a in answers):
        return True
    return None if all(a is None for a in answers) else False
