"""What the paginators of the backends share: reading a resumed job's cursor.

Each backend says on every record it yields where its listing would start again to yield
that record (`RemoteRecord.resume`): the Hydra page URL (`dcat`), the `package_search`
offset (`ckan`), the CSW `startPosition`, or for listings without pages (CKAN's
`package_list`, a MAAF directory) the record's own key. The engine writes the cursor of the
last record of each commit; when the job resumes, the backend reads it back with these
helpers, which turn a cursor that cannot be used into `CursorRejected` (the engine then reads
the catalog from its first page again and says so in the job's errors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from moisson.domain.exceptions import CursorRejected
from moisson.domain.json import Json

T = TypeVar("T")


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
