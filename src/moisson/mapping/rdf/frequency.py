"""Update frequency from `dct:accrualPeriodicity` (spec 2.6)."""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal

from moisson.domain.enums import Frequency
from moisson.mapping.frequencies import frequency_from_code, frequency_from_iri
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.namespaces import DCT
from moisson.mapping.rdf.urls import is_valid_url


def frequency_from_rdf(graph: RdfGraph, node: Term) -> Frequency | None:
    """`None` when nothing maps: the local dataset then keeps its frequency."""
    value = graph.value(node, DCT.accrualPeriodicity)
    if value is None or isinstance(value, BlankNode):
        return None
    if isinstance(value, Literal):
        text = value.value.strip()
        if is_valid_url(text, allow_private=True):
            return frequency_from_iri(text)
        return frequency_from_code(text)
    return frequency_from_iri(value.value)
