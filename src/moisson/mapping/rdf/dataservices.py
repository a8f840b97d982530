"""`dcat:DataService` nodes → `DataserviceDraft` (docs/udata-backends.md §2.13)."""

from __future__ import annotations

from collections.abc import Iterator

from pyoxigraph import NamedNode

from moisson.domain.drafts import DataserviceDraft, HarvestMeta
from moisson.domain.exceptions import InvalidItem, SkipItem
from moisson.mapping.rdf.accessors import (
    datetime_value,
    modified_datetime,
    single_text,
    unique_values,
    url_value,
)
from moisson.mapping.rdf.contacts import contact_points_from_rdf
from moisson.mapping.rdf.graph import Node, RdfGraph, Term
from moisson.mapping.rdf.namespaces import DCAT, DCT
from moisson.mapping.rdf.options import RdfOptions
from moisson.mapping.rdf.profiles import description_from_rdf, remote_url_from_rdf
from moisson.mapping.rdf.rights import guess_license
from moisson.mapping.rdf.tags import keywords_from_rdf, themes_from_rdf
from moisson.mapping.text import normalize_tags


def iter_dataservice_nodes(graph: RdfGraph) -> Iterator[Node]:
    """Subjects typed dcat:DataService, except services embedded in a distribution
    (objects of dcat:accessService), which only describe how to reach that distribution."""
    for node in graph.subjects_of_type(DCAT.DataService):
        if not graph.subjects(DCAT.accessService, node):
            yield node


def dataservice_identifier(graph: RdfGraph, node: Term) -> str | None:
    return single_text(graph, node, DCT.identifier)


def dataservice_from_rdf(graph: RdfGraph, node: Term, options: RdfOptions) -> DataserviceDraft:
    """Raises `SkipItem` without dct:identifier and `InvalidItem` without a title."""
    if not dataservice_identifier(graph, node):
        raise SkipItem("missing identifier")
    title = single_text(graph, node, DCT.title, options.language)
    if not title:
        raise InvalidItem("missing title on dataservice")
    licenses = unique_values(graph, node, DCT.license)[:1]
    harvest = HarvestMeta(
        uri=node.value if isinstance(node, NamedNode) else None,
        remote_url=remote_url_from_rdf(graph, node, options),
        dct_identifier=dataservice_identifier(graph, node),
        created_at=datetime_value(graph, node, DCT.created),
        issued_at=datetime_value(graph, node, DCT.issued),
        modified_at=modified_datetime(graph, node, DCT.modified, options.now),
    )
    return DataserviceDraft(
        title=title,
        description=description_from_rdf(graph, node, options.language),
        base_api_url=url_value(graph, node, DCAT.endpointURL),
        machine_documentation_url=url_value(graph, node, DCAT.endpointDescription),
        contact_points=tuple(
            contact_points_from_rdf(graph, node, language=options.language, log=options.log)
        )
        or None,
        license=guess_license(options.licenses, tuple(licenses)),
        tags=normalize_tags(
            keywords_from_rdf(graph, node, options.log)
            + themes_from_rdf(graph, node, options.language, hvd=options.hvd)
        ),
        served_datasets=tuple(served_dataset_identifiers(graph, node)),
        harvest=harvest,
    )


def served_dataset_identifiers(graph: RdfGraph, node: Term) -> list[str]:
    """dct:identifier of every served dataset; a served node without one is skipped
    (udata fails the whole dataservice on it)."""
    identifiers: list[str] = []
    for served in graph.objects(node, DCAT.servesDataset):
        identifier = single_text(graph, served, DCT.identifier)
        if identifier and identifier not in identifiers:
            identifiers.append(identifier)
    return identifiers
