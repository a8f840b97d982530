"""Hydra paging links of a DCAT page (docs/udata-backends.md §3.1)."""

from __future__ import annotations

from moisson.mapping.rdf.accessors import url_value
from moisson.mapping.rdf.graph import RdfGraph
from moisson.mapping.rdf.namespaces import HYDRA

#: (view class, next predicate): the current vocabulary first, then the legacy one.
PAGING_VOCABULARIES = (
    (HYDRA.PartialCollectionView, HYDRA.next),
    (HYDRA.PagedCollection, HYDRA.nextPage),
)


def next_page_from_rdf(graph: RdfGraph) -> str | None:
    """The next page URL, verbatim, from the first node of the first paging class present;
    `None` on the last page (or an unpaged document)."""
    for view_class, next_predicate in PAGING_VOCABULARIES:
        views = graph.subjects_of_type(view_class)
        if views:
            return url_value(graph, views[0], next_predicate)
    return None
