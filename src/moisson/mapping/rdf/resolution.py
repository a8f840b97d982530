"""Spatial resolution, stored as text in `extras["dcat"]["spatial_resolution"]`
(docs/udata-backends.md §2.9)."""

from __future__ import annotations

from fractions import Fraction

from pyoxigraph import Literal

from moisson.mapping.rdf.accessors import literal_value
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.namespaces import DCAT, DQV, GEODCATAP, SDMX_ATTR
from moisson.mapping.rdf.vocabularies import DISTANCE_UNITS

MAX_SCALE_DENOMINATOR = 10**8


def spatial_resolution_from_rdf(graph: RdfGraph, node: Term) -> str | None:
    """Metres first, then the largest distance measurement, then the finest scale."""
    metres = _numbers(graph.objects(node, DCAT.spatialResolutionInMeters))
    if metres:
        return f"{max(metres)} m"
    distances: list[tuple[float, float, str]] = []
    scales: list[float] = []
    for measurement in graph.objects(node, DQV.hasQualityMeasurement):
        metric = graph.value(measurement, DQV.isMeasurementOf)
        values = _numbers(graph.objects(measurement, DQV.value))
        if metric is None or not values:
            continue
        if metric == GEODCATAP.spatialResolutionAsDistance:
            unit = graph.value(measurement, SDMX_ATTR.unitMeasure)
            if unit is None or isinstance(unit, Literal) or unit.value not in DISTANCE_UNITS:
                continue
            symbol, factor = DISTANCE_UNITS[unit.value]
            distances.extend((value * factor, value, symbol) for value in values)
        elif metric == GEODCATAP.spatialResolutionAsScale:
            scales.extend(values)
    if distances:
        _, value, symbol = max(distances)
        return f"{value} {symbol}"
    if scales:
        return str(Fraction(min(scales)).limit_denominator(MAX_SCALE_DENOMINATOR))
    return None


def _numbers(objects: list[Term]) -> list[float]:
    numbers: list[float] = []
    for obj in objects:
        if not isinstance(obj, Literal):
            continue
        value = literal_value(obj)
        try:
            numbers.append(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
    return numbers
