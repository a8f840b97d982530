"""udata's pagination: `page` and `page_size` query parameters (positive integers, else 400)
and the envelope `{data, page, page_size, total, next_page, previous_page}` whose links are
absolute URLs of the same request with `page` changed.

Unlike udata, both are bounded (400 naming the parameter beyond): `page_size` by
`MAX_PAGE_SIZE`, so one request cannot ask for a whole table, and `page` by `MAX_PAGE`, so the
row offset always fits the databases' 64-bit integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse

from moisson.api.deps import FieldMask, render
from moisson.api.masks import Mask
from moisson.services.paging import Page, PageRequest

MAX_PAGE_SIZE = 1000
MAX_PAGE = 1_000_000_000


def page_request(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="The page to fetch")] = 1,
    page_size: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="The page size to fetch")
    ] = 20,
) -> PageRequest:
    return PageRequest(page=page, page_size=page_size)


def envelope(request: Request, page: Page) -> dict[str, Any]:
    last = max(1, -(-page.total // page.page_size))
    return {
        "data": page.data,
        "page": page.page,
        "page_size": page.page_size,
        "total": page.total,
        "next_page": (
            str(request.url.include_query_params(page=page.page + 1)) if page.page < last else None
        ),
        "previous_page": (
            str(request.url.include_query_params(page=page.page - 1)) if page.page > 1 else None
        ),
    }


Paging = Annotated[PageRequest, Depends(page_request)]


@dataclass(frozen=True)
class Listing:
    """What a list endpoint needs besides its service call: the page asked for, and how to
    answer with the page found (the envelope, masked by `X-Fields`)."""

    request: Request
    mask: Mask | None
    paging: PageRequest

    def render(self, page: Page) -> JSONResponse:
        return render(self.mask, envelope(self.request, page))


def listing(request: Request, mask: FieldMask, paging: Paging) -> Listing:
    return Listing(request=request, mask=mask, paging=paging)


ListRequest = Annotated[Listing, Depends(listing)]
