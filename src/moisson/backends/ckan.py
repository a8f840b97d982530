"""CKAN Action API v3 backend (docs/udata-backends.md §6, docs/design.md §4).

Listing walks `package_search` with `rows`/`start` until the reported `count`, and takes the
full package bodies from the search pages: one request per 1,000 datasets, none per dataset.
When search is missing or refused (404, `success: false`...) and no filter is configured,
it falls back to `package_list` then `package_show` per name, a few at a time.

Errors:
- a listing call that fails → `SourceInvalid` with the remote message (`SourceUnavailable`
  for 429/5xx that survived the client's retries); the job fails;
- a `package_show` that fails → a record carrying that failure, so only its item fails;
- httpx transport errors propagate untouched (the engine classifies them).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, TypeVar

import httpx

from moisson.backends import register
from moisson.backends.base import HarvestContext
from moisson.backends.paging import cursor_int, cursor_str, ending_at, resume_at
from moisson.domain.capabilities import BackendInfo, FilterSpec
from moisson.domain.drafts import DatasetDraft
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import CursorRejected, SourceInvalid, SourceUnavailable
from moisson.domain.json import Json
from moisson.domain.records import RemoteRecord, content_hash
from moisson.domain.source_config import SourceFilter
from moisson.mapping.ckan import dataset_from_ckan, remote_url_from_ckan, site_root

PAGE_SIZE = 1000
"""Rows asked per `package_search` page: CKAN's default `ckan.search.rows_max`."""
PREVIEW_PAGE_SIZE = 50
"""Rows asked per page when previewing (the engine stops after `preview_max_items`)."""
SHOW_CONCURRENCY = 4
"""`package_show` requests in flight at once on the fallback path."""
SEARCH_SORT = "metadata_created asc, id asc"
"""A total, stable order, so that offsets mean the same thing from page to page; datasets
created during the walk land at its end instead of shifting the pages still to come."""

_MAX_MESSAGE = 300


class CkanActionError(Exception):
    """A CKAN action that gave no result. `status` is the HTTP status (200 for an error
    envelope); `message` is what the remote said, fit for an operator."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    @property
    def transient(self) -> bool:
        return self.status == 429 or self.status >= 500


class CkanApi:
    """The action API of one CKAN site, called through the run's HTTP client."""

    def __init__(self, http: httpx.Client, site_url: str, apikey: str | None = None) -> None:
        self.http = http
        self.root = site_root(site_url)
        # CKAN takes the raw key, no scheme (docs/udata-backends.md §6.1).
        self.headers = {"Authorization": apikey} if apikey else {}

    def action_url(self, action: str) -> str:
        return f"{self.root}api/3/action/{action}"

    def call(self, action: str, params: Mapping[str, str | int] | None = None) -> Any:
        """The `result` of an action, or `CkanActionError` with the remote's message."""
        url = self.action_url(action)
        response = self.http.get(url, params=params or {}, headers=self.headers)
        if 300 <= response.status_code < 400:
            # The run's client does not follow redirects (docs/udata-backends.md §1.2); say where it
            # pointed.
            location = response.headers.get("location", "?")
            raise CkanActionError(
                f"Redirect ({response.status_code}) not allowed: {response.url} -> {location}",
                status=response.status_code,
            )
        body, envelope_error = _read_envelope(response)
        if response.status_code >= 400:
            reason = response.reason_phrase or "Error"
            kind = "Client" if response.status_code < 500 else "Server"
            message = f"{response.status_code} {kind} Error: {reason} for url: {response.url}"
            if envelope_error:
                message = f"{message} ({envelope_error})"
            raise CkanActionError(message, status=response.status_code)
        if envelope_error is not None:
            raise CkanActionError(envelope_error, status=response.status_code)
        if not isinstance(body, Mapping):
            raise CkanActionError(_not_an_envelope(response), status=response.status_code)
        return body.get("result")


def _read_envelope(response: httpx.Response) -> tuple[Any, str | None]:
    """The parsed JSON body (or `None`), and the error a `success: false` envelope carries."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return None, None
    except RecursionError:  # json's decoder recurses: a hostile nesting must not read as a bug
        return None, "The response is JSON nested too deeply to be read"
    if not isinstance(body, Mapping) or body.get("success", True) is True:
        return body, None
    error = body.get("error")
    if isinstance(error, Mapping):
        message = str(error.get("message") or "Unknown error")
        if error.get("__type"):
            message = f"{error['__type']}: {message}"
        # Validation errors list their fields instead of a message.
        details = {k: v for k, v in error.items() if k not in ("message", "__type")}
        if details and not error.get("message"):
            message = f"{message} {json.dumps(details, ensure_ascii=False)}"
    else:
        message = str(error) if error else "Unknown error"
    return body, message[:_MAX_MESSAGE]


def _not_an_envelope(response: httpx.Response) -> str:
    content_type = response.headers.get("content-type", "")
    if "html" in content_type:
        return f"Unknown Error: {response.url} returned HTML"
    text = response.text.strip().strip('"').strip()
    return text[:_MAX_MESSAGE] or f"Unknown Error: {response.url} returned no CKAN response"


class PagingError(Exception):
    """The remote's paging cannot be trusted; the message says why."""


@dataclass
class CkanOffsetPaginator:
    """`package_search` paging by `rows`/`start`.

    Break rules, checked after every page:
    1. `start` reached the `count` of the latest page: done. The count is re-read on every
       page, because datasets created or deleted during the walk move the end; a count
       that changes, even a lot, is followed rather than treated as an error (rules 2 and
       3 already stop a walk that cannot progress).
    2. The page is empty: done, even if the count promised more (a count that lies must
       not loop forever).
    3. The page holds only datasets already seen: the server ignores `start`. Fail
       (`PagingError`) instead of stopping quietly, so the run is not mistaken for a
       complete listing (autoarchive would then archive everything not reached).
    `start` moves by the number of results actually returned, not by `rows`: a server whose
    `ckan.search.rows_max` is below `rows` answers shorter pages and loses nothing.
    Datasets seen twice (when the order shifts between pages) are dropped.
    """

    rows: int = PAGE_SIZE
    start: int = 0
    count: int | None = None
    has_next: bool = True
    seen: set[str] = field(default_factory=set)

    @classmethod
    def resuming(cls, rows: int, cursor: Json | None) -> CkanOffsetPaginator:
        paginator = cls(rows=rows)
        if cursor is not None:
            paginator.start = cursor_int(cursor, "start")
            paginator.count = cursor.get("count") if isinstance(cursor.get("count"), int) else None
        return paginator

    def cursor(self) -> Json:
        """The page to be fetched next, with the count the walk has seen."""
        return {"start": self.start, "count": self.count}

    def params(self) -> dict[str, int]:
        return {"rows": self.rows, "start": self.start}

    def advance(self, result: Any) -> list[Any]:
        """Take one page's `result`; return the packages not seen before, in page order."""
        if (
            not isinstance(result, Mapping)
            or not isinstance(result.get("results"), list)
            or not isinstance(result.get("count"), int)
        ):
            raise PagingError("package_search answered without a count and a results list")
        packages: list[Any] = result["results"]
        self.count = result["count"]
        if not packages:  # rule 2
            self.has_next = False
            return []
        fresh = [p for p in packages if _package_key(p) is None or _package_key(p) not in self.seen]
        if not fresh:  # rule 3
            raise PagingError(
                f"package_search returned the same datasets again at start={self.start}: "
                "the server does not page with `start`"
            )
        self.seen.update(key for p in fresh if (key := _package_key(p)) is not None)
        self.start += len(packages)
        self.has_next = self.start < self.count  # rule 1
        return fresh


def _package_key(package: Any) -> str | None:
    if isinstance(package, Mapping):
        key = package.get("id") or package.get("name")
        return str(key) if key else None
    return None


def filters_to_fq(filters: Iterable[SourceFilter]) -> str:
    """Solr `fq` for the source's filters: `key:"value"` terms, `-` for an exclusion,
    all AND-ed (`organization:"a" AND -tags:"b"`)."""
    terms = []
    for item in filters:
        value = str(item.value).replace("\\", "\\\\").replace('"', '\\"')
        terms.append(f'{"-" if item.exclude else ""}{item.key}:"{value}"')
    return " AND ".join(terms)


T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """`fn` over `items` on `workers` threads, results in input order, at most
    `2 * workers` calls started ahead of the consumer. Stopping early cancels the rest."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ckan")
    window: deque[Future[R]] = deque()
    try:
        for item in items:
            window.append(pool.submit(fn, item))
            if len(window) >= 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@register
class CkanBackend:
    """CKAN ≥ 2.0 sites, through the Action API v3."""

    info: ClassVar[BackendInfo] = BackendInfo(
        id="ckan",
        label="CKAN",
        filters=(
            FilterSpec("organization", "Organization", str, "A CKAN Organization name"),
            FilterSpec("tags", "Tag", str, "A CKAN tag name"),
        ),
    )
    use_search: ClassVar[bool] = True
    """Whether listing starts with `package_search` (DKAN has none)."""
    skip_private: ClassVar[bool] = True

    def __init__(
        self, *, page_size: int = PAGE_SIZE, show_concurrency: int = SHOW_CONCURRENCY
    ) -> None:
        self.page_size = page_size
        self.show_concurrency = show_concurrency

    # ----------------------------------------------------------------- gather

    def gather(self, ctx: HarvestContext) -> Iterator[RemoteRecord]:
        apikey = ctx.config.raw.get("apikey")
        api = CkanApi(ctx.http, ctx.source.url, apikey if isinstance(apikey, str) else None)
        cursor = ctx.resume
        if not self.use_search or (cursor is not None and "name" in cursor):
            # (a run that fell back to package_list resumes in that listing)
            yield from self._gather_by_list(api, ctx)
            return
        filters = ctx.config.filters
        # A preview maps a handful of datasets: no need to download a thousand.
        rows = min(self.page_size, PREVIEW_PAGE_SIZE) if ctx.preview else self.page_size
        paginator = CkanOffsetPaginator.resuming(rows, cursor)
        fq = filters_to_fq(filters)
        while paginator.has_next:
            page_start = paginator.start
            params: dict[str, str | int] = {**paginator.params(), "sort": SEARCH_SORT}
            if fq:
                params["fq"] = fq
            try:
                result = api.call("package_search", params)
            except CkanActionError as error:
                # Only the first page may fall back: a listing half done by search and half
                # by package_list would mix two orders. With filters, package_list would
                # harvest what the operator excluded.
                if paginator.start == 0 and not filters and not error.transient:
                    ctx.log.warning(
                        "package_search is unavailable (%s); listing with package_list",
                        error.message,
                    )
                    yield from self._gather_by_list(api, ctx)
                    return
                raise _source_error(error) from None
            try:
                packages = paginator.advance(result)
            except PagingError as error:
                raise SourceInvalid(str(error)) from None
            if cursor is not None and page_start == cursor["start"]:
                _check_count(cursor, paginator.count)
            resume = {"start": page_start, "count": paginator.count}
            page = [self._record(package, ctx, resume) for package in packages]
            yield from ending_at(page, paginator.cursor() if paginator.has_next else None)

    def _gather_by_list(self, api: CkanApi, ctx: HarvestContext) -> Iterator[RemoteRecord]:
        try:
            names = api.call("package_list")
        except CkanActionError as error:
            raise _source_error(error) from None
        if not isinstance(names, list):
            raise SourceInvalid("package_list did not return a list of dataset names")

        def show(name: Any) -> RemoteRecord:
            return replace(self._show(api, str(name), ctx), resume={"name": str(name)})

        cursor = ctx.resume
        mark = None if cursor is None else cursor_str(cursor, "name")
        listed = resume_at(names, lambda name: str(name), mark)
        yield from ordered_map(show, listed, self.show_concurrency)

    def _show(self, api: CkanApi, name: str, ctx: HarvestContext) -> RemoteRecord:
        """One `package_show`, as a record; its failure fails this record only."""
        try:
            result = api.call("package_show", {"id": name})
        except CkanActionError as error:
            return self._failure(name, api, f"package_show failed: {error.message}")
        if isinstance(result, list):  # DKAN wraps the package in a list (docs/udata-backends.md §7)
            result = result[0] if result else None
        if not isinstance(result, Mapping):
            return self._failure(name, api, f"package_show returned no package for {name}")
        return self._record(dict(result), ctx)

    def _failure(self, name: str, api: CkanApi, message: str) -> RemoteRecord:
        return RemoteRecord(
            remote_id=name,
            kind=ItemKind.DATASET,
            payload=None,
            content_hash=content_hash(message),
            url=f"{api.root}dataset/{name}",
            failure=message,
        )

    def _record(
        self, package: Any, ctx: HarvestContext, resume: Json | None = None
    ) -> RemoteRecord:
        if not isinstance(package, Mapping):
            message = "The remote listed something that is not a package object"
            return RemoteRecord(
                remote_id=None,
                kind=ItemKind.DATASET,
                payload=None,
                content_hash=content_hash(message),
                failure=message,
                resume=resume,
            )
        # The package id is the remote id; a package without one keeps its name
        # (docs/udata-backends.md §6.2).
        key = package.get("id") or package.get("name")
        return RemoteRecord(
            remote_id=str(key).strip() if key else None,
            kind=ItemKind.DATASET,
            payload=package,
            content_hash=content_hash(package),
            url=remote_url_from_ckan(package, ctx.source.url),
            resume=resume,
        )

    # ----------------------------------------------------------------- map

    def map(self, record: RemoteRecord, ctx: HarvestContext) -> DatasetDraft:
        return dataset_from_ckan(
            record.payload,
            licenses=ctx.licenses,
            site_url=ctx.source.url,
            now=ctx.now(),
            skip_private=self.skip_private,
            lang=ctx.language,
            log=ctx.log,
        )


def _check_count(cursor: Json, count: int | None) -> None:
    """A resumed walk goes on from its offset only if no dataset was deleted meanwhile.

    Pages are sorted by creation (`SEARCH_SORT`): new datasets come after the offset, but a
    deleted one moves every later dataset one place back, and the one that crosses the
    offset would be missed (then archived by autoarchive as vanished)."""
    before = cursor.get("count")
    if isinstance(before, int) and count is not None and count < before:
        raise CursorRejected(
            f"package_search counts {count} datasets, {before} when the job started: "
            "datasets were deleted, so the offset no longer points where the job stopped"
        )


def _source_error(error: CkanActionError) -> SourceInvalid | SourceUnavailable:
    if error.transient:
        return SourceUnavailable(error.message)
    return SourceInvalid(error.message)
