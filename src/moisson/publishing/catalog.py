"""One page of the DCAT catalog: the `dcat:Catalog` node, its Hydra paging view, then the
description of every dataset and dataservice of the page, produced lazily.

Paging follows Hydra's current vocabulary: the page's own URL is a
`hydra:PartialCollectionView` with `hydra:first`/`last`/`next`/`previous` as IRIs, and the
catalog (the collection) carries `hydra:totalItems` and `hydra:view`, which udata emits too
and our DCAT reader follows (`mapping/rdf/hydra.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from pyoxigraph import Literal, NamedNode, Triple

from moisson.mapping.licenses import LicenseTable
from moisson.mapping.rdf.namespaces import DCAT, DCT, FOAF, HYDRA, RDF, XSD
from moisson.publishing.dcat_ap import (
    dataservice_ntriples,
    dataservice_triples,
    dataset_ntriples,
    dataset_triples,
)
from moisson.publishing.views import Agent, DataserviceView, DatasetView


@dataclass(frozen=True, slots=True)
class CatalogInfo:
    """The catalog itself: its IRI (the unpaged URL), title, description and publisher."""

    iri: str
    title: str
    description: str
    publisher: Agent
    homepage: str | None = None


@dataclass(frozen=True, slots=True)
class PageLinks:
    """Where a page sits in the collection. `url` builds the URL of page `n`."""

    base: str
    """The catalog URL with its filters, without `page` (the query string kept as given)."""
    params: tuple[tuple[str, str], ...]
    page: int
    page_size: int
    total: int
    more: bool | None = None
    """Whether another page follows, when the reader of this one knows it (it read one row
    past the page): then it decides over `total`, counted apart and maybe a moment older."""
    following: str | None = None
    """The position the next page starts at (its `after=`), when known."""

    @property
    def last_page(self) -> int:
        counted = max(1, -(-self.total // self.page_size))
        if self.more is None:
            return counted
        return max(counted, self.page + 1) if self.more else self.page

    @property
    def has_next(self) -> bool:
        return self.more if self.more is not None else self.page < self.last_page

    def url(self, page: int) -> str:
        query = [*self.params, ("page", str(page)), ("page_size", str(self.page_size))]
        return f"{self.base}?{urlencode(query)}"

    def next_url(self) -> str:
        """The next page, by position when known: walking the `next` links then reads each
        dataset once even while others are added or removed (an offset would shift)."""
        if self.following is None:
            return self.url(self.page + 1)
        query = [
            *self.params,
            ("page", str(self.page + 1)),
            ("page_size", str(self.page_size)),
            ("after", self.following),
        ]
        return f"{self.base}?{urlencode(query)}"


def paging_triples(catalog: NamedNode, links: PageLinks) -> list[Triple]:
    view = NamedNode(links.url(links.page))
    triples = [
        Triple(catalog, HYDRA.totalItems, Literal(str(links.total), datatype=XSD.integer)),
        Triple(catalog, HYDRA.view, view),
        Triple(view, RDF.type, HYDRA.PartialCollectionView),
        Triple(view, HYDRA.first, NamedNode(links.url(1))),
        Triple(view, HYDRA.last, NamedNode(links.url(links.last_page))),
        Triple(view, HYDRA.totalItems, Literal(str(links.total), datatype=XSD.integer)),
    ]
    if links.has_next:
        triples.append(Triple(view, HYDRA.next, NamedNode(links.next_url())))
    if links.page > 1:
        previous = min(links.page - 1, links.last_page)
        triples.append(Triple(view, HYDRA.previous, NamedNode(links.url(previous))))
    return triples


def catalog_triples(
    info: CatalogInfo,
    datasets: Sequence[DatasetView],
    dataservices: Sequence[DataserviceView],
    links: PageLinks | None,
) -> list[Triple]:
    """The catalog node of a page: what it is, who publishes it, what the page lists."""
    catalog = NamedNode(info.iri)
    publisher = NamedNode(info.publisher.iri)
    triples = [
        Triple(catalog, RDF.type, DCAT.Catalog),
        Triple(catalog, RDF.type, HYDRA.Collection),
        Triple(catalog, DCT.title, Literal(info.title)),
        Triple(catalog, DCT.description, Literal(info.description)),
        Triple(catalog, DCT.publisher, publisher),
        Triple(publisher, RDF.type, FOAF.Agent),
        Triple(publisher, FOAF.name, Literal(info.publisher.name)),
    ]
    if info.homepage:
        triples.append(Triple(catalog, FOAF.homepage, NamedNode(info.homepage)))
    triples += [Triple(catalog, DCAT.dataset, NamedNode(d.iri)) for d in datasets]
    triples += [Triple(catalog, DCAT.service, NamedNode(s.iri)) for s in dataservices]
    if links is not None:
        triples += paging_triples(catalog, links)
    return triples


def page_triples(
    info: CatalogInfo,
    datasets: Sequence[DatasetView],
    dataservices: Sequence[DataserviceView],
    links: PageLinks | None,
    licenses: LicenseTable | None = None,
) -> Iterator[Triple]:
    """Every triple of a catalog page, one object's description at a time."""
    yield from catalog_triples(info, datasets, dataservices, links)
    for dataset in datasets:
        yield from dataset_triples(dataset, licenses)
    for dataservice in dataservices:
        yield from dataservice_triples(dataservice, licenses)


def page_ntriples(
    info: CatalogInfo,
    datasets: Sequence[DatasetView],
    dataservices: Sequence[DataserviceView],
    links: PageLinks | None,
    licenses: LicenseTable | None = None,
) -> Iterator[str]:
    """`page_triples` as N-Triples text, one object's description per item: what the
    catalog streams (every other syntax is parsed from it by pyoxigraph, in Rust)."""
    yield "".join(f"{t} .\n" for t in catalog_triples(info, datasets, dataservices, links))
    for dataset in datasets:
        yield "".join(dataset_ntriples(dataset, licenses))
    for dataservice in dataservices:
        yield "".join(dataservice_ntriples(dataservice, licenses))
