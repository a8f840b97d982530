"""Update frequency from `dct:accrualPeriodicity` (docs/udata-backends.md §2.6).

A literal that is neither an IRI nor a Dublin Core or EU code is also tried, where udata
gives up, as a udata id (`PUNCTUAL`) and as an ISO 19115 maintenance code (`continual`):
GeoNetwork's DCAT output writes both kinds; its GeoDCAT-AP output gives the ISO codelist IRI
(`http://standards.iso.org/iso/19115/resources/Codelists/cat/codelists.xml#asNeeded`).
"""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal

from moisson.domain.enums import Frequency
from moisson.mapping.frequencies import (
    frequency_from_code,
    frequency_from_id,
    frequency_from_iri,
    frequency_from_iso_code,
)
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
        return frequency_from_code(text) or frequency_from_id(text) or frequency_from_iso_code(text)
    iri = value.value
    if any(marker in iri for marker in _ISO_CODELISTS):  # GeoDCAT-AP from ISO records
        return frequency_from_iso_code(iri)
    return frequency_from_iri(iri)


#: Parts of the IRIs of the ISO 19115/19139 codelists (`...codelists.xml#asNeeded`).
_ISO_CODELISTS = ("/iso/19115/", "/iso/19139/", "MD_MaintenanceFrequencyCode")
