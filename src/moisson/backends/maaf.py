"""The `maaf` backend: XML descriptors of the French agriculture ministry
(docs/udata-backends.md §9).

The source URL is an HTML directory listing; every `.xml` file of its tree is one dataset
descriptor. gather() crawls the tree (`DirectoryCrawler`: never above the source URL, never
another host), fetches descriptors with a few threads over the same client, and yields them
in crawl order. The `.cle` checksum files the mapping pairs with data files are fetched here
too, so that map() stays free of I/O: the record's payload is

    {"descriptor": <descriptor text>, "checksums": {<.cle URL>: <text>},
     "checksum_errors": {<.cle URL>: <why it could not be read>}}

and its remote id is the descriptor's `metadata/id` (udata rewrites the item's remote id to
it, docs/udata-backends.md §9.1), or the descriptor URL when the descriptor is unreadable or has no
id (the item then fails in map() with the reason).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, ClassVar, TypeVar

import httpx

from moisson.backends import register
from moisson.backends.base import HarvestContext
from moisson.backends.directory_listing import DirectoryCrawler
from moisson.backends.paging import cursor_str, resume_at
from moisson.domain.capabilities import BackendInfo
from moisson.domain.clock import naive_utc
from moisson.domain.drafts import DatasetDraft
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import InvalidItem
from moisson.domain.records import RemoteRecord, content_hash
from moisson.mapping.maaf import (
    checksum_urls,
    dataset_from_maaf,
    descriptor_id,
    parse_descriptor,
    xsd_problems,
)

FETCH_CONCURRENCY = 4
"""Descriptors fetched at once: a government file server, not a CDN."""
PREFETCH_WINDOW = 2 * FETCH_CONCURRENCY
"""Descriptors fetched ahead of the one being yielded, bounding memory and wasted work when
the engine stops early (max items)."""

_T = TypeVar("_T")
_R = TypeVar("_R")


@register
class MaafBackend:
    # udata turns TLS verification off for MAAF (docs/udata-backends.md §1.2): the ministry's server
    # used a certificate of the French state's own authority (IGC/A), absent from common CA bundles.
    info: ClassVar[BackendInfo] = BackendInfo(id="maaf", label="MAAF", verify_tls=False)

    def gather(self, ctx: HarvestContext) -> Iterator[RemoteRecord]:
        crawler = DirectoryCrawler(ctx.http, ctx.source.url, log=ctx.log)
        descriptors = crawler.files(lambda url: url.lower().endswith(".xml"))
        # A resumed run walks the directory again but fetches descriptors only from the one
        # its last commit ended with.
        mark = None if ctx.resume is None else cursor_str(ctx.resume, "descriptor")
        wanted = resume_at(descriptors, lambda url: url, mark)

        def fetch(url: str) -> RemoteRecord:
            return replace(_fetch_record(ctx.http, url), resume={"descriptor": url})

        with ThreadPoolExecutor(FETCH_CONCURRENCY, thread_name_prefix="maaf-fetch") as pool:
            yield from _in_order(pool, fetch, wanted, PREFETCH_WINDOW)

    def map(self, record: RemoteRecord, ctx: HarvestContext) -> DatasetDraft:
        payload = record.payload
        root = parse_descriptor(payload["descriptor"])
        for problem in xsd_problems(root):
            ctx.log.warning("The descriptor does not follow maaf.xsd: %s", problem)
        for url, reason in sorted(payload.get("checksum_errors", {}).items()):
            ctx.log.warning("Checksum file %s could not be fetched: %s", url, reason)
        return dataset_from_maaf(
            root,
            licenses=ctx.licenses,
            checksums=payload.get("checksums", {}),
            now=naive_utc(ctx.now()),
            log=ctx.log,
        )


def _fetch_record(http: httpx.Client, url: str) -> RemoteRecord:
    """GET one descriptor and the checksum files it needs; runs on a worker thread.

    A 4xx on the descriptor fails that item alone (the listing links a file that is not
    there); 5xx and transport errors propagate and fail the job, as a partial crawl must not
    archive the datasets it missed. A `.cle` that cannot be fetched is noted in the payload
    (map() logs it) and the resource goes without checksum.
    """
    response = http.get(url)
    if response.is_client_error:
        return RemoteRecord(
            remote_id=url,
            kind=ItemKind.DATASET,
            payload=None,
            content_hash=content_hash(f"HTTP {response.status_code}"),
            url=url,
            failure=f"The descriptor {url} could not be fetched: HTTP {response.status_code}",
        )
    response.raise_for_status()
    text, remote_id, cle_urls = _read_descriptor(response.content, url)
    checksums: dict[str, str] = {}
    errors: dict[str, str] = {}
    for cle_url in cle_urls:
        # A checksum is a bonus: a dead `.cle` link must not cost the dataset, nor the job.
        try:
            cle = http.get(cle_url)
        except httpx.HTTPError as exc:
            errors[cle_url] = f"{type(exc).__name__}: {exc}"
            continue
        if cle.is_success:
            checksums[cle_url] = cle.text
        else:
            errors[cle_url] = f"HTTP {cle.status_code}"
    payload: dict[str, Any] = {"descriptor": text, "checksums": checksums}
    if errors:
        payload["checksum_errors"] = errors
    return RemoteRecord(
        remote_id=remote_id,
        kind=ItemKind.DATASET,
        payload=payload,
        content_hash=content_hash(payload),
        url=url,
    )


def _read_descriptor(data: bytes, url: str) -> tuple[str, str, tuple[str, ...]]:
    """(text, remote id, `.cle` URLs) of a descriptor's bytes.

    The text is decoded with the encoding the XML declares, so that map() can re-read it as
    UTF-8. An unreadable descriptor keeps its URL as remote id; map() reports why.
    """
    try:
        root = parse_descriptor(data)
    except InvalidItem:
        return data.decode("utf-8", errors="replace"), url, ()
    encoding = root.getroottree().docinfo.encoding or "utf-8"
    try:
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        text = data.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff"), descriptor_id(root) or url, checksum_urls(root)


def _in_order(
    pool: ThreadPoolExecutor,
    work: Callable[[_T], _R],
    items: Iterable[_T],
    window: int,
) -> Iterator[_R]:
    """`work(item)` for every item, run on `pool` at most `window` ahead, yielded in order.

    Closing the generator early cancels what has not started yet.
    """
    pending: deque[Future[_R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
