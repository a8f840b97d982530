"""Backend `dcat`: RDF catalogs fetched page by page (docs/udata-backends.md §3).

gather: fetch a page, detect its syntax, parse it once, yield one record per dataset node
(its canonical subgraph as payload), follow the Hydra next link; after the last page, yield
the dataservices kept aside (udata's second pass, so a service can serve datasets of any
page). Unchanged pages (304, or same body digest) are not parsed: their remembered records
are replayed as unchanged.
map: parse the record's subgraph back and run the RDF mapping on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import ClassVar
from urllib.parse import urljoin

import httpx
from pyoxigraph import NamedNode

from moisson.backends import register
from moisson.backends.base import HarvestContext
from moisson.backends.paging import cursor_int, cursor_str, ending_at, replayed
from moisson.domain.capabilities import BackendInfo
from moisson.domain.clock import naive_utc
from moisson.domain.drafts import DataserviceDraft, DatasetDraft
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import CursorRejected, InvalidItem, SkipItem, SourceInvalid
from moisson.domain.json import Json
from moisson.domain.pages import CachedPage
from moisson.domain.records import RemoteRecord, content_hash
from moisson.mapping.rdf import RdfParseError, detect_format, iter_dataset_nodes, parse_graph
from moisson.mapping.rdf.accessors import single_text
from moisson.mapping.rdf.dataservices import dataservice_from_rdf, iter_dataservice_nodes
from moisson.mapping.rdf.datasets import dataset_from_rdf
from moisson.mapping.rdf.graph import RdfGraph
from moisson.mapping.rdf.hydra import next_page_from_rdf
from moisson.mapping.rdf.namespaces import DCT
from moisson.mapping.rdf.options import RdfOptions
from moisson.mapping.rdf.records import (
    RecordPayloadError,
    ServiceSubgraph,
    parse_record,
    record_notes,
    record_triples,
    serialize_record,
)

#: Accept header: the RDF syntaxes we parse, RDF/XML and JSON-LD first (the common ones).
ACCEPT = (
    "application/rdf+xml, application/ld+json;q=0.9, text/turtle;q=0.9, "
    "application/n-triples;q=0.8, application/trig;q=0.8, application/json;q=0.5, "
    "application/xml;q=0.5, */*;q=0.1"
)


class HydraPaginator:
    """Follows Hydra next links from the source URL.

    Break conditions:
    - the page has no next link (`hydra:next` / `hydra:nextPage`): it was the last page;
    - the next link is a page already fetched in this run: the catalog loops; going on would
      never end, so the run stops with a job-level error (`SourceInvalid`).

    A resumed run starts at the page its cursor names (`{"url": ..., "page": n}`).
    """

    def __init__(self, first_url: str, first_number: int = 0) -> None:
        self.next_url: str | None = first_url
        self.page_number = first_number - 1
        self._visited: set[str] = set()

    @classmethod
    def resuming(cls, source_url: str, cursor: Json | None) -> HydraPaginator:
        if cursor is None:
            return cls(source_url)
        return cls(cursor_str(cursor, "url"), cursor_int(cursor, "page"))

    def cursor(self) -> Json:
        """The page to be fetched next (call it before `take`)."""
        return _page_cursor(self.page_number + 1, self.next_url or "")

    @property
    def has_next(self) -> bool:
        return self.next_url is not None

    def take(self) -> tuple[int, str]:
        """The next page to fetch, with its 0-based number."""
        if self.next_url is None:
            raise StopIteration
        url = self.next_url
        self._visited.add(url)
        self.page_number += 1
        self.next_url = None
        return self.page_number, url

    def advance(self, current_url: str, next_url: str | None) -> None:
        if next_url is None:
            return
        # udata uses the link verbatim; a relative link is resolved rather than failing.
        next_url = urljoin(current_url, next_url)
        if next_url in self._visited:
            raise SourceInvalid(
                f'The catalog pages loop: page "{current_url}" points back to "{next_url}", '
                "already harvested in this run; harvesting stopped there"
            )
        self.next_url = next_url


@dataclass
class _PendingService:
    """What the second pass needs of a dataservice: its subgraph, not its page."""

    remote_id: str | None
    subgraph: ServiceSubgraph
    page_number: int
    page_url: str
    resume: Json


@register
class DcatBackend:
    info: ClassVar[BackendInfo] = BackendInfo(id="dcat", label="DCAT")

    def gather(self, ctx: HarvestContext) -> Iterator[RemoteRecord]:
        cursor = ctx.resume
        paginator = HydraPaginator.resuming(ctx.source.url, cursor)
        # Dataservices wait for the last page, so a resumed run must start again no later
        # than the page of the first one held: the cursor stays there once one is met.
        held_at: Json | None = None
        services: list[_PendingService] = []
        replayed_services: list[RemoteRecord] = []
        # IRI -> dct:identifier of the datasets met so far, to resolve services that
        # reference a dataset of another page by IRI only (serves-dataset-by-uri fixtures).
        identifiers_by_iri: dict[NamedNode, str] = {}
        while paginator.has_next:
            resume = held_at or paginator.cursor()
            page_number, url = paginator.take()
            cached = ctx.pages.get(url)
            response = ctx.http.get(url, headers=_request_headers(cached))
            if cached is not None and response.status_code == httpx.codes.NOT_MODIFIED:
                digest = cached.digest
            else:
                if cursor is not None and url == cursor["url"] and response.is_client_error:
                    raise CursorRejected(f'page "{url}" answered HTTP {response.status_code}')
                response.raise_for_status()
                digest = content_hash(response.content)
            if cached is not None and cached.digest == digest:
                kwargs = {"page_number": page_number}
                datasets: list[RemoteRecord] = []
                for record in replayed(cached, resume=resume, url=url, kwargs=kwargs):
                    if record.kind == ItemKind.DATASERVICE:
                        replayed_services.append(record)
                        held_at = held_at or resume
                    else:
                        datasets.append(record)
                following = None if held_at else _following(page_number, url, cached.next_key)
                yield from ending_at(datasets, following)
                paginator.advance(url, cached.next_key)
                continue
            graph = _parse_page(response, url)
            records: list[tuple[str, ItemKind]] = []
            dataset_records = [
                replace(
                    record, url=url, kwargs={"page_number": page_number}, page=url, resume=resume
                )
                for record in dataset_records_from_rdf(graph, identifiers_by_iri)
            ]
            records.extend(
                (r.remote_id, ItemKind.DATASET) for r in dataset_records if r.remote_id is not None
            )
            for node in iter_dataservice_nodes(graph):
                service = _PendingService(
                    remote_id=single_text(graph, node, DCT.identifier),
                    subgraph=ServiceSubgraph.of(graph, node),
                    page_number=page_number,
                    page_url=url,
                    resume=held_at or resume,
                )
                held_at = service.resume
                services.append(service)
                if service.remote_id is not None:
                    records.append((service.remote_id, ItemKind.DATASERVICE))
            next_url = next_page_from_rdf(graph)
            ctx.pages.put(
                CachedPage(
                    key=url,
                    digest=digest,
                    records=tuple(records),
                    next_key=next_url,
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                )
            )
            del graph  # only the records leave the page
            following = None if held_at else _following(page_number, url, next_url)
            yield from ending_at(dataset_records, following)
            paginator.advance(url, next_url)
        yield from replayed_services
        for service in services:
            yield _service_record(service, identifiers_by_iri)

    def map(self, record: RemoteRecord, ctx: HarvestContext) -> DatasetDraft | DataserviceDraft:
        return map_rdf_record(record, mapping_options(ctx))


def map_rdf_record(record: RemoteRecord, options: RdfOptions) -> DatasetDraft | DataserviceDraft:
    """Map a record whose payload is a `serialize_record` subgraph (any RDF backend).

    Raises `SkipItem` without a remote id, `InvalidItem` for an unreadable payload or what
    the RDF mapping refuses."""
    if record.remote_id is None:
        raise SkipItem("missing identifier")
    try:
        graph, root = parse_record(record.payload)
    except (RecordPayloadError, TypeError) as exc:
        raise InvalidItem(f"Unreadable record payload: {exc}") from exc
    for note in record_notes(record.payload):
        options.log.warning("Value dropped: %s", note)
    if record.kind == ItemKind.DATASERVICE:
        return dataservice_from_rdf(graph, root, options)
    return dataset_from_rdf(graph, root, options)


def dataset_records_from_rdf(
    graph: RdfGraph, identifiers_by_iri: dict[NamedNode, str]
) -> list[RemoteRecord]:
    """One record per dataset node of `graph` (its canonical subgraph as payload, keyed by
    its dct:identifier), in document order. Each named dataset's identifier is added to
    `identifiers_by_iri`, for the services that reference it by IRI only."""
    records = []
    for node in iter_dataset_nodes(graph):
        remote_id = single_text(graph, node, DCT.identifier)
        if remote_id is not None and isinstance(node, NamedNode):
            identifiers_by_iri[node] = remote_id
        payload = serialize_record(node, record_triples(graph, node))
        records.append(
            RemoteRecord(
                remote_id=remote_id,
                kind=ItemKind.DATASET,
                payload=payload,
                content_hash=content_hash(payload),
            )
        )
    return records


def mapping_options(ctx: HarvestContext) -> RdfOptions:
    """`dcat` declares no `remote_url_prefix` (udata reads it without declaring it:
    docs/udata-behaviour.md §2.9, the QUIRK), so remote URLs come from landing pages and
    IRIs only."""
    return RdfOptions(
        licenses=ctx.licenses,
        now=naive_utc(ctx.now()),
        language=ctx.language,
        log=ctx.log,
    )


def _request_headers(cached: CachedPage | None) -> dict[str, str]:
    headers = {"Accept": ACCEPT}
    if cached is not None:
        if cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
    return headers


def _parse_page(response: httpx.Response, url: str) -> RdfGraph:
    data = response.content
    try:
        fmt = detect_format(response.headers.get("Content-Type"), url, data)
        return parse_graph(data, fmt)
    except RdfParseError as exc:
        raise SourceInvalid(f'Page "{url}": {exc}') from exc


def _following(page_number: int, url: str, next_url: str | None) -> Json | None:
    """The cursor of the page after this one, if there is one."""
    if next_url is None:
        return None
    return _page_cursor(page_number + 1, urljoin(url, next_url))


def _page_cursor(page_number: int, url: str) -> Json:
    return {"url": url, "page": page_number}


def _service_record(
    service: _PendingService, identifiers_by_iri: dict[NamedNode, str]
) -> RemoteRecord:
    payload = service.subgraph.payload(identifiers_by_iri)
    return RemoteRecord(
        remote_id=service.remote_id,
        kind=ItemKind.DATASERVICE,
        payload=payload,
        content_hash=content_hash(payload),
        url=service.page_url,
        kwargs={"page_number": service.page_number},
        page=service.page_url,
        resume=service.resume,
    )
