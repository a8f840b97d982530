"""A page of presented objects, as services hand them to the API or the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moisson.errors import NotFound


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True, slots=True)
class Page:
    data: list[dict[str, Any]]
    page: int
    page_size: int
    total: int


def make_page(data: list[dict[str, Any]], total: int, request: PageRequest) -> Page:
    """A page, or 404 for a page past the last one (udata answers page 1 even when empty)."""
    if request.page > 1 and (request.page - 1) * request.page_size >= total:
        raise NotFound()
    return Page(data=data, page=request.page, page_size=request.page_size, total=total)
