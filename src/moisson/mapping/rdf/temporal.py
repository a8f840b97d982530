"""Temporal coverage from the first `dct:temporal` object (docs/udata-backends.md §2.7).

Unlike udata, an IRI object is read from the triples of the current graph and never fetched:
a remote interval (gov.uk reference years) without local triples gives `None`.
"""

from __future__ import annotations

from datetime import date, datetime

from dateutil import parser as date_parser
from pyoxigraph import Literal, NamedNode

from moisson.domain.drafts import TemporalCoverage
from moisson.mapping.rdf.accessors import single
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.namespaces import DCAT, DCT, SCHEMA, SCOVO
from moisson.mapping.values import period_span

#: (start, end) predicate pairs of a PeriodOfTime node, tried in this order.
PERIOD_PREDICATES: tuple[tuple[NamedNode, NamedNode], ...] = (
    (SCHEMA.startDate, SCHEMA.endDate),
    (DCAT.startDate, DCAT.endDate),
    (SCOVO.min, SCOVO.max),
)


def temporal_from_rdf(graph: RdfGraph, node: Term) -> TemporalCoverage | None:
    period = graph.value(node, DCT.temporal)
    if period is None:
        return None
    if isinstance(period, Literal):
        return temporal_from_literal(period.value)
    for start_predicate, end_predicate in PERIOD_PREDICATES:
        start = to_date(single(graph, period, start_predicate))
        end = to_date(single(graph, period, end_predicate))
        if start or end:
            return TemporalCoverage(start=start, end=end)
    return None


def temporal_from_literal(text: str) -> TemporalCoverage | None:
    """`start / end`, a year (`2017`) or a month (`2017-06`); anything else gives `None`."""
    text = text.strip()
    if text.count("/") == 1:
        start_text, end_text = text.split("/")
        start, end = to_date(start_text), to_date(end_text)
        return TemporalCoverage(start=start, end=end) if start or end else None
    span = period_span(text, one_digit_month=True)
    return TemporalCoverage(start=span[0], end=span[1]) if span else None


def to_date(value: object) -> date | None:
    """The day of a date, a datetime or a parseable text; `None` otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date_parser.parse(value.strip()).date()
        except (ValueError, OverflowError):
            return None
    return None
