"""Resources from `dcat:distribution` / `dct:hasPart` nodes (docs/udata-backends.md §2.12)."""

from __future__ import annotations

from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode

from moisson.domain.drafts import Checksum, ResourceDraft, ResourceHarvestMeta
from moisson.domain.enums import ChecksumType, ResourceType
from moisson.mapping.rdf.accessors import (
    datetime_value,
    modified_datetime,
    single,
    single_text,
    unique_values,
    url_value,
)
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.namespaces import (
    DCAT,
    DCT,
    EUFORMAT,
    GEODCATAP,
    IANAFORMAT,
    OGC_STANDARDS,
    RDFS,
    SPDX,
)
from moisson.mapping.rdf.options import RdfOptions
from moisson.mapping.rdf.schemas import schema_from_rdf
from moisson.mapping.rdf.vocabularies import OGC_LAYER_FORMATS, SPDX_ALGORITHMS
from moisson.mapping.text import sanitize_description

#: Predicates giving "main" distributions (the misspelled plural is found in the wild).
MAIN_PREDICATES = (DCAT.distribution, DCAT.distributions)
#: Predicates giving "additional" resources, whose URL is the node IRI itself.
ADDITIONAL_PREDICATES = (DCT.hasPart,)

#: Per-resource rights extras (unique values), stored under `extras["dcat"]`.
RIGHTS_EXTRAS = (
    ("accessRights", DCT.accessRights),
    ("license", DCT.license),
    ("rights", DCT.rights),
)

# udata's fallback titles, translated into French as its tests run with DEFAULT_LANGUAGE=fr.
FORMAT_TITLE = "Ressource {format}"
NAMELESS_TITLE = "Ressource sans nom"


def distribution_nodes(graph: RdfGraph, dataset: Term) -> list[tuple[Term, bool]]:
    """(node, is_additional) of every candidate, main distributions first."""
    candidates: list[tuple[Term, bool]] = []
    for predicate in MAIN_PREDICATES:
        candidates.extend((node, False) for node in graph.objects(dataset, predicate))
    for predicate in ADDITIONAL_PREDICATES:
        candidates.extend((node, True) for node in graph.objects(dataset, predicate))
    return candidates


def resources_from_rdf(graph: RdfGraph, dataset: Term, options: RdfOptions) -> list[ResourceDraft]:
    """Every resource of a dataset, collapsed by URL (and title for OGC layer formats):
    the later distribution replaces the earlier one in place."""
    resources: dict[tuple[str, str | None], ResourceDraft] = {}
    for node, additional in distribution_nodes(graph, dataset):
        resource = resource_from_rdf(graph, node, options, additional=additional)
        if resource is None:
            continue
        title_key = resource.title if resource.format in OGC_LAYER_FORMATS else None
        resources[(resource.url, title_key)] = resource
    return list(resources.values())


def resource_from_rdf(
    graph: RdfGraph, node: Term, options: RdfOptions, *, additional: bool = False
) -> ResourceDraft | None:
    """A resource draft, or `None` (logged) when the distribution has no URL."""
    if isinstance(node, Literal):
        return None
    if additional:
        url = node.value if isinstance(node, NamedNode) else None
    else:
        url = url_value(graph, node, DCAT.downloadURL) or url_value(graph, node, DCAT.accessURL)
    if not url:
        options.log.warning("Resource without url: %s", node.value)
        return None
    language = options.language
    resource_format = format_from_rdf(graph, node, language)
    has_service = graph.value(node, DCAT.accessService) is not None
    if additional:
        resource_type = ResourceType.OTHER
    elif has_service:
        resource_type = ResourceType.API
    else:
        resource_type = ResourceType.MAIN
    extras = {
        key: values
        for key, predicate in RIGHTS_EXTRAS
        if (values := unique_values(graph, node, predicate))
    }
    return ResourceDraft(
        url=url,
        title=title_from_rdf(graph, node, url, resource_format, language),
        description=sanitize_description(single_text(graph, node, DCT.description, language)),
        format=resource_format,
        mime=mime_from_rdf(graph, node, language),
        filesize=_integer(single(graph, node, DCAT.byteSize)),
        checksum=checksum_from_rdf(graph, node),
        type=resource_type,
        schema=schema_from_rdf(graph, node, options.schemas),
        extras={"dcat": extras} if extras else {},
        harvest=ResourceHarvestMeta(
            uri=node.value if isinstance(node, NamedNode) else None,
            issued_at=datetime_value(graph, node, DCT.issued),
            modified_at=modified_datetime(graph, node, DCT.modified, options.now),
            dct_identifier=single_text(graph, node, DCT.identifier),
        ),
    )


def title_from_rdf(
    graph: RdfGraph, node: Term, url: str, resource_format: str | None, language: str
) -> str:
    title = single_text(graph, node, DCT.title, language)
    if title:
        return title
    last_segment = url.split("/")[-1]
    if "." in last_segment and "?" not in last_segment:
        return last_segment
    if resource_format:
        return FORMAT_TITLE.format(format=resource_format)
    return NAMELESS_TITLE


def format_from_rdf(graph: RdfGraph, node: Term, language: str | None = None) -> str | None:
    """OGC service protocol of the access service, else dct:format (EU/IANA IRIs reduced)."""
    service = graph.value(node, DCAT.accessService)
    if service is not None:
        for predicate in (GEODCATAP.serviceProtocol, DCT.conformsTo):
            for standard in graph.objects(service, predicate):
                if isinstance(standard, NamedNode) and standard.value in OGC_STANDARDS:
                    return standard.value[len(OGC_STANDARDS.base) :].lower() or None
    value = single(graph, node, DCT.format, language, unwrap=(RDFS.label,))
    if value is None:
        return None
    text = str(value).strip()
    if text in EUFORMAT:
        text = text[len(EUFORMAT.base) :]
    elif text in IANAFORMAT:
        text = text.rstrip("/").rsplit("/", 1)[-1]
    return text.lower() or None


def mime_from_rdf(graph: RdfGraph, node: Term, language: str | None = None) -> str | None:
    value = single(graph, node, DCAT.mediaType, language, unwrap=(RDFS.label,))
    if value is None:
        return None
    text = str(value).strip()
    if text in IANAFORMAT:
        text = text[len(IANAFORMAT.base) :]
    return text or None


def checksum_from_rdf(graph: RdfGraph, node: Term) -> Checksum | None:
    checksum = graph.value(node, SPDX.checksum)
    if checksum is None or isinstance(checksum, Literal):
        return None
    algorithm = graph.value(checksum, SPDX.algorithm)
    value = single_text(graph, checksum, SPDX.checksumValue)
    if algorithm is None or isinstance(algorithm, BlankNode) or not value:
        return None
    kind = SPDX_ALGORITHMS.get(algorithm.value)
    return Checksum(type=ChecksumType(kind), value=value) if kind else None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(float(value)) if isinstance(value, str) else int(value)
    except (TypeError, ValueError, OverflowError):
        return None
