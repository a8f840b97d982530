"""The published DCAT-AP catalog, with udata's paths.

`/site/catalog` and `/organizations/{org}/catalog` are paged collections (Hydra), one
page per request; `/datasets/{id}/rdf` and `/dataservices/{id}/rdf` describe one object.
The syntax comes from the extension (`catalog.ttl`, `rdf.nt`...), else from `Accept`
(JSON-LD by default, as udata). Each answer carries `ETag` and `Last-Modified` and honours
`If-None-Match` / `If-Modified-Since` with a 304. The rows are read and the session closed
before the body is streamed, so a slow client holds no transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from moisson.api.deps import AppSettings, CurrentCaller, Work
from moisson.api.openapi import ERROR_DESCRIPTIONS, json_response, ref
from moisson.api.pagination import MAX_PAGE
from moisson.errors import NotFound
from moisson.publishing import syntaxes
from moisson.publishing.catalog import PageLinks, page_ntriples
from moisson.services import catalog

router = APIRouter(tags=["catalog"])

EXTENSIONS = "|".join(sorted(syntaxes.EXTENSIONS))


def catalog_query(
    harvest_source: Annotated[str | None, Query(description="A harvest source id")] = None,
    organization: Annotated[str | None, Query(description="An organization id or slug")] = None,
    archived: Annotated[
        bool | None,
        Query(description="Archived objects only (true); live ones only (false, the default)"),
    ] = False,
    q: Annotated[str | None, Query(description="Words to find in the title")] = None,
    modified_since: Annotated[
        datetime | None,
        Query(description="Only objects Moisson changed at or after this ISO 8601 instant"),
    ] = None,
) -> catalog.CatalogQuery:
    return catalog.CatalogQuery(
        harvest_source=harvest_source,
        organization=organization,
        archived=archived,
        q=q,
        modified_since=modified_since,
    )


@dataclass(frozen=True, slots=True)
class CatalogPaging:
    page: int
    page_size: int
    after: str | None


def catalog_paging(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="The page to fetch")] = 1,
    page_size: Annotated[
        int,
        Query(ge=1, le=catalog.MAX_PAGE_SIZE, description="Datasets per page (at most 1000)"),
    ] = catalog.DEFAULT_PAGE_SIZE,
    after: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Where the page starts, as the previous page's `hydra:next` link"
            " gives it (a walk by these links reads every dataset once)",
        ),
    ] = None,
) -> CatalogPaging:
    return CatalogPaging(page=page, page_size=page_size, after=after)


Filters = Annotated[catalog.CatalogQuery, Depends(catalog_query)]
Paging = Annotated[CatalogPaging, Depends(catalog_paging)]


def _syntax(request: Request, ext: str | None) -> syntaxes.Syntax:
    if ext is None:
        return syntaxes.negotiate(request.headers.get("accept"))
    syntax = syntaxes.EXTENSIONS.get(ext.lower())
    if syntax is None:
        raise NotFound()
    return syntax


def _not_modified(request: Request, page: catalog.CatalogPage) -> bool:
    """RFC 9110: `If-None-Match` decides when present, else `If-Modified-Since`."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in tags or page.etag in tags
    since = request.headers.get("if-modified-since")
    if since and page.last_modified is not None:
        try:
            parsed = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return page.last_modified.replace(microsecond=0) <= parsed
    return False


def _answer(
    request: Request, page: catalog.CatalogPage, syntax: syntaxes.Syntax, negotiated: bool
) -> Response:
    headers = {"ETag": page.etag, "Cache-Control": "no-cache"}
    if page.last_modified is not None:
        headers["Last-Modified"] = format_datetime(page.last_modified.astimezone(UTC), usegmt=True)
    if negotiated:
        headers["Vary"] = "Accept"
    if page.links is not None and page.links.has_next:
        # RFC 8288, beside `hydra:next`: a client can walk the pages without parsing RDF.
        headers["Link"] = f'<{page.links.next_url()}>; rel="next"'
    if _not_modified(request, page):
        return Response(status_code=304, headers=headers)
    texts = page_ntriples(page.info, page.datasets, page.dataservices, page.links)
    return StreamingResponse(
        syntaxes.stream_ntriples(texts, syntax),
        media_type=f"{syntax.media_type}; charset=utf-8",
        headers=headers,
    )


def _links(request: Request, settings: Any, paging: CatalogPaging) -> PageLinks:
    params = tuple(
        (key, value)
        for key, value in request.query_params.multi_items()
        if key not in ("page", "page_size", "after")
    )
    base = settings.public_url.rstrip("/") + request.url.path
    return PageLinks(
        base=base, params=params, page=paging.page, page_size=paging.page_size, total=0
    )


def _salt(request: Request, syntax: syntaxes.Syntax) -> str:
    return f"{syntax.name}|{request.url.path}|{request.url.query}"


#: JSON-LD is JSON (an expanded document: an array of node objects); the others are text.
RDF_CONTENT = {
    media: {
        "schema": {"type": "array", "items": {"type": "object"}}
        if media == syntaxes.JSON_LD.media_type
        else {"type": "string"}
    }
    for media in sorted({s.media_type for s in syntaxes.EXTENSIONS.values()})
}


def _documented(*errors: int) -> dict[int | str, dict[str, Any]]:
    documented: dict[int | str, dict[str, Any]] = {
        200: {"description": "The RDF document, in the syntax asked for", "content": RDF_CONTENT},
        304: {"description": "Not modified since the `ETag` or date the request gives"},
    }
    for status in sorted({400, 401, *errors}):
        documented[status] = json_response(ref("ApiError"), ERROR_DESCRIPTIONS[status])
    return documented


PAGED = (
    "Paged with `page` and `page_size` (default 100, at most 1000); Hydra links. The "
    '`hydra:next` link (also sent as a `Link: rel="next"` header) carries `after`, the '
    "position the next page starts at: walking those links reads every dataset once while "
    "others are added or removed. A page past the last is 404."
)


def _site(
    request: Request,
    work: Work,
    settings: AppSettings,
    caller: CurrentCaller,
    query: Filters,
    paging: Paging,
    ext: str | None,
) -> Response:
    syntax = _syntax(request, ext)
    filters = catalog.filters_of(work.session, query)
    page = catalog.catalog_page(
        work.session,
        settings,
        catalog.site_info(settings),
        filters,
        _links(request, settings, paging),
        _salt(request, syntax),
        paging.after,
    )
    return _answer(request, page, syntax, negotiated=ext is None)


@router.get(
    "/site/catalog",
    operation_id="site_catalog",
    summary="The DCAT-AP catalog of every published dataset (syntax from Accept)",
    description=PAGED,
    responses=_documented(404),
    response_class=Response,
)
def site_catalog(
    request: Request,
    work: Work,
    settings: AppSettings,
    caller: CurrentCaller,
    query: Filters,
    paging: Paging,
) -> Response:
    return _site(request, work, settings, caller, query, paging, None)


@router.get(
    "/site/catalog.{ext}",
    operation_id="site_catalog_in_syntax",
    summary=f"The DCAT-AP catalog in one syntax ({EXTENSIONS})",
    description=PAGED,
    responses=_documented(404),
    response_class=Response,
)
def site_catalog_in_syntax(
    ext: str,
    request: Request,
    work: Work,
    settings: AppSettings,
    caller: CurrentCaller,
    query: Filters,
    paging: Paging,
) -> Response:
    return _site(request, work, settings, caller, query, paging, ext)


def _organization(
    org: str,
    request: Request,
    work: Work,
    settings: AppSettings,
    query: Filters,
    paging: Paging,
    ext: str | None,
) -> Response:
    syntax = _syntax(request, ext)
    organization = catalog.find_organization(work.session, org)
    filters = replace(catalog.filters_of(work.session, query), organization_id=organization.id)
    page = catalog.catalog_page(
        work.session,
        settings,
        catalog.organization_info(settings, organization),
        filters,
        _links(request, settings, paging),
        _salt(request, syntax),
        paging.after,
    )
    return _answer(request, page, syntax, negotiated=ext is None)


@router.get(
    "/organizations/{org}/catalog",
    operation_id="organization_catalog",
    summary="The DCAT-AP catalog of one organization's datasets (syntax from Accept)",
    description=PAGED,
    responses=_documented(404),
    response_class=Response,
)
def organization_catalog(
    org: str,
    request: Request,
    work: Work,
    settings: AppSettings,
    caller: CurrentCaller,
    query: Filters,
    paging: Paging,
) -> Response:
    return _organization(org, request, work, settings, query, paging, None)


@router.get(
    "/organizations/{org}/catalog.{ext}",
    operation_id="organization_catalog_in_syntax",
    summary=f"One organization's DCAT-AP catalog in one syntax ({EXTENSIONS})",
    description=PAGED,
    responses=_documented(404),
    response_class=Response,
)
def organization_catalog_in_syntax(
    org: str,
    ext: str,
    request: Request,
    work: Work,
    settings: AppSettings,
    caller: CurrentCaller,
    query: Filters,
    paging: Paging,
) -> Response:
    return _organization(org, request, work, settings, query, paging, ext)


def _dataset(
    dataset: str, request: Request, work: Work, settings: AppSettings, ext: str | None
) -> Response:
    syntax = _syntax(request, ext)
    page = catalog.dataset_page(work.session, settings, dataset, _salt(request, syntax))
    return _answer(request, page, syntax, negotiated=ext is None)


@router.get(
    "/datasets/{dataset}/rdf",
    operation_id="dataset_rdf",
    summary="One dataset's DCAT-AP description (syntax from Accept)",
    responses=_documented(404),
    response_class=Response,
)
def dataset_rdf(
    dataset: str, request: Request, work: Work, settings: AppSettings, caller: CurrentCaller
) -> Response:
    return _dataset(dataset, request, work, settings, None)


@router.get(
    "/datasets/{dataset}/rdf.{ext}",
    operation_id="dataset_rdf_in_syntax",
    summary=f"One dataset's DCAT-AP description in one syntax ({EXTENSIONS})",
    responses=_documented(404),
    response_class=Response,
)
def dataset_rdf_in_syntax(
    dataset: str,
    ext: str,
    request: Request,
    work: Work,
    settings: AppSettings,
    caller: CurrentCaller,
) -> Response:
    return _dataset(dataset, request, work, settings, ext)


def _dataservice(
    dataservice: str, request: Request, work: Work, settings: AppSettings, ext: str | None
) -> Response:
    syntax = _syntax(request, ext)
    page = catalog.dataservice_page(work.session, settings, dataservice, _salt(request, syntax))
    return _answer(request, page, syntax, negotiated=ext is None)


@router.get(
    "/dataservices/{dataservice}/rdf",
    operation_id="dataservice_rdf",
    summary="One dataservice's DCAT-AP description (syntax from Accept)",
    responses=_documented(404),
    response_class=Response,
)
def dataservice_rdf(
    dataservice: str,
    request: Request,
    work: Work,
    settings: AppSettings,
    caller: CurrentCaller,
) -> Response:
    return _dataservice(dataservice, request, work, settings, None)


@router.get(
    "/dataservices/{dataservice}/rdf.{ext}",
    operation_id="dataservice_rdf_in_syntax",
    summary=f"One dataservice's DCAT-AP description in one syntax ({EXTENSIONS})",
    responses=_documented(404),
    response_class=Response,
)
def dataservice_rdf_in_syntax(
    dataservice: str,
    ext: str,
    request: Request,
    work: Work,
    settings: AppSettings,
    caller: CurrentCaller,
) -> Response:
    return _dataservice(dataservice, request, work, settings, ext)
