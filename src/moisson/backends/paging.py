"""What the paginators of the backends share: writing and reading a resumed job's cursor.

Each backend says on every record it yields where its listing would start again to yield
every record after that one (`RemoteRecord.resume`): the start of the record's page (the
Hydra page URL for `dcat`, the `package_search` offset for `ckan`, the CSW `startPosition`),
the next page for the last record of a page (`ending_at`), or for listings without pages
(CKAN's `package_list`, a MAAF directory) the record's own key. The engine writes the cursor of the
last record of each commit; when the job resumes, the backend reads it back with these
helpers, which turn a cursor that cannot be used into `CursorRejected` (the engine then reads
the catalog from its first page again and says so in the job's errors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any, Protocol, TypeVar, runtime_checkable

from moisson.domain.exceptions import CursorRejected
from moisson.domain.json import Json
from moisson.domain.pages import CachedPage
from moisson.domain.records import RemoteRecord

T = TypeVar("T")


@runtime_checkable
class Paginator(Protocol):
    """How a backend walks its catalog page by page (`HydraPaginator`, `CkanOffsetPaginator`,
    `CswPaginator`): whether a page is still due, and the cursor of that page, from which a
    resumed run starts (each paginator's `resuming(…, cursor)` reads it back)."""

    @property
    def has_next(self) -> bool: ...

    def cursor(self) -> Json:
        """The cursor of the page to be fetched next."""
        ...


def replayed(
    cached: CachedPage,
    *,
    resume: Json,
    url: str | None = None,
    kwargs: Mapping[str, Any] | None = None,
) -> list[RemoteRecord]:
    """The records of a page the page cache remembers unchanged (same body, or 304): yielded
    as unchanged, with no payload, neither parsed nor mapped (`RemoteRecord.unchanged`)."""
    return [
        RemoteRecord(
            remote_id=remote_id,
            kind=kind,
            payload=None,
            content_hash="",
            url=url,
            kwargs=dict(kwargs or {}),
            unchanged=True,
            page=cached.key,
            resume=resume,
        )
        for remote_id, kind in cached.records
    ]


def cursor_int(cursor: Json, name: str, *, minimum: int = 0) -> int:
    value = cursor.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise CursorRejected(f"the resume cursor has no usable {name!r} ({value!r})")
    return value


def cursor_str(cursor: Json, name: str) -> str:
    value = cursor.get(name)
    if not isinstance(value, str) or not value:
        raise CursorRejected(f"the resume cursor has no usable {name!r} ({value!r})")
    return value


def resume_at(items: Iterable[T], key: Callable[[T], str], mark: str | None) -> Iterator[T]:
    """`items` from the one whose key is `mark` on (all of them when `mark` is `None`).

    For listings without pages: the items before the mark were harvested by the first part of
    the job. A mark the listing no longer holds raises `CursorRejected` once the listing is
    exhausted; nothing was yielded by then, so the engine can start over."""
    if mark is None:
        yield from items
        return
    iterator = iter(items)
    for item in iterator:
        if key(item) == mark:
            yield item
            yield from iterator
            return
    raise CursorRejected(f"{mark} is no longer listed")


def ending_at(records: list[RemoteRecord], following: Json | None) -> list[RemoteRecord]:
    """A page's records, the last one saying that what comes after it starts at `following`
    (the next page; `None`: there is none, or the run must read this page again), so that a
    job whose last commit ended a page does not read that page again."""
    if records and following is not None:
        records[-1] = replace(records[-1], resume=following)
    return records
