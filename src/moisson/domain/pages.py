"""Page-level cache for incremental runs of paged catalogs.

A backend that fetches a catalog page by page asks the cache for what it saw at the same
URL on the last successful run. If the remote answers 304, or the body hashes to the same
digest, the page is neither parsed nor mapped: the backend yields its remembered records
with `unchanged=True`, so they still count as seen (autoarchive is not fooled), and goes on
to the remembered next page. The engine keeps a new page entry only when every record of
that page ended `done` in a job that did not fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from moisson.domain.enums import ItemKind


@dataclass(frozen=True, slots=True)
class CachedPage:
    key: str
    """Usually the page URL; CSW backends use URL + startPosition."""
    digest: str
    records: tuple[tuple[str, ItemKind], ...]
    """(remote id, kind) of every record the page held, in page order."""
    next_key: str | None = None
    """Where the page pointed next (next page URL, next CSW position), if anywhere."""
    etag: str | None = None
    last_modified: str | None = None


class PageCache(Protocol):
    def get(self, key: str) -> CachedPage | None: ...

    def put(self, page: CachedPage) -> None: ...


class NoPageCache:
    """The cache used by previews and first runs: remembers nothing."""

    def get(self, key: str) -> CachedPage | None:
        return None

    def put(self, page: CachedPage) -> None:
        return None
