"""udata's pagination: `page` and `page_size` query parameters (positive integers, else 400)
and the envelope `{data, page, page_size, total, next_page, previous_page}` whose links are
absolute URLs of the same request with `page` changed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request

from moisson.services.paging import Page, PageRequest


def page_request(
    page: Annotated[int, Query(ge=1, description="The page to fetch")] = 1,
    page_size: Annotated[int, Query(ge=1, description="The page size to fetch")] = 20,
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
