"""Fakes of remote catalogs: a scriptable backend (udata's FactoryBackend idea) and
`httpx.MockTransport` handler builders. Generic on purpose: backend tests build on them.

`fake_backend(...)` returns a fresh backend class whose catalog is the given `FakeRecord`s;
hand it to the engine with `backend_registry={"fake": cls}`. Its `map()` really parses the
payload (a `DatasetDraft`/`DataserviceDraft` as JSON), so unchanged detection is exercised on
real payloads, and `calls` counts how many records were mapped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from moisson.backends.base import HarvestContext
from moisson.domain.capabilities import BackendInfo, FeatureSpec
from moisson.domain.drafts import DataserviceDraft, DatasetDraft, HarvestMeta, ResourceDraft
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import SkipItem
from moisson.domain.pages import CachedPage
from moisson.domain.records import RemoteRecord, content_hash

FAKE_INFO = BackendInfo(
    id="fake",
    label="Fake",
    features=(
        FeatureSpec("feature", "A feature", default=False),
        FeatureSpec("enabled", "On by default", default=True),
    ),
)


@dataclass
class FakeRecord:
    """One record of the fake catalog."""

    remote_id: str | None
    title: str = ""
    kind: ItemKind = ItemKind.DATASET
    draft: DatasetDraft | DataserviceDraft | None = None
    """Defaults to a draft titled `title` (or `Dataset <id>`)."""
    resources: Sequence[ResourceDraft] = ()
    served_datasets: Sequence[str] = ()
    url: str | None = None
    map_error: Exception | None = None
    skip: str | None = None
    failure: str | None = None
    page: str | None = None

    def build_draft(self) -> DatasetDraft | DataserviceDraft:
        if self.draft is not None:
            return self.draft
        title = self.title or f"Record {self.remote_id}"
        meta = HarvestMeta(remote_url=self.url or f"https://remote.test/{self.remote_id}")
        if self.kind == ItemKind.DATASERVICE:
            return DataserviceDraft(
                title=title,
                base_api_url="https://remote.test/api",
                served_datasets=tuple(self.served_datasets),
                harvest=meta,
            )
        return DatasetDraft(title=title, resources=tuple(self.resources), harvest=meta)

    def to_remote(self) -> RemoteRecord:
        draft = self.build_draft()
        payload = {
            "type": type(draft).__name__,
            "draft": draft.model_dump(mode="json", by_alias=True),
        }
        return RemoteRecord(
            remote_id=self.remote_id,
            kind=self.kind,
            payload=payload,
            content_hash=content_hash(payload),
            url=self.url,
            failure=self.failure,
            page=self.page,
        )


class FakeBackend:
    info: ClassVar[BackendInfo] = FAKE_INFO
    records: ClassVar[list[FakeRecord]] = []
    gather_error: ClassVar[Exception | None] = None
    gather_error_after: ClassVar[int] = 0
    calls: ClassVar[list[str | None]] = []
    """Remote ids passed to `map()`, in order, across every instance of this class."""

    def gather(self, ctx: HarvestContext) -> Iterator[RemoteRecord]:
        for index, record in enumerate(self.records):
            if self.gather_error is not None and index == self.gather_error_after:
                raise self.gather_error
            yield record.to_remote()
        if self.gather_error is not None and self.gather_error_after >= len(self.records):
            raise self.gather_error

    def map(self, record: RemoteRecord, ctx: HarvestContext) -> DatasetDraft | DataserviceDraft:
        type(self).calls.append(record.remote_id)
        ctx.log.debug("Mapping %s", record.remote_id)
        spec = self._spec(record.remote_id)
        if spec is not None and spec.skip:
            raise SkipItem(spec.skip)
        if spec is not None and spec.map_error is not None:
            raise spec.map_error
        payload = record.payload
        model = DataserviceDraft if payload["type"] == "DataserviceDraft" else DatasetDraft
        return model.model_validate(payload["draft"])

    def _spec(self, remote_id: str | None) -> FakeRecord | None:
        for spec in self.records:
            if spec.remote_id == remote_id and (spec.skip or spec.map_error):
                return spec
        return None


def fake_backend(
    records: Iterable[FakeRecord] = (),
    *,
    gather_error: Exception | None = None,
    gather_error_after: int = 0,
    info: BackendInfo = FAKE_INFO,
) -> type[FakeBackend]:
    """A new backend class over this catalog (class attributes are not shared)."""
    return type(
        "ScriptedFakeBackend",
        (FakeBackend,),
        {
            "info": info,
            "records": list(records),
            "gather_error": gather_error,
            "gather_error_after": gather_error_after,
            "calls": [],
        },
    )


class FakePagedBackend(FakeBackend):
    """A paged catalog that uses the page cache as a real paged backend would: a page whose
    digest equals the cached one is not re-read; its records are yielded `unchanged`."""

    pages: ClassVar[dict[str, list[FakeRecord]]] = {}

    def gather(self, ctx: HarvestContext) -> Iterator[RemoteRecord]:
        keys = list(self.pages)
        for position, key in enumerate(keys):
            records = self.pages[key]
            digest = content_hash([r.to_remote().content_hash for r in records])
            cached = ctx.pages.get(key)
            next_key = keys[position + 1] if position + 1 < len(keys) else None
            if cached is not None and cached.digest == digest:
                for remote_id, kind in cached.records:
                    yield RemoteRecord(remote_id, kind, None, "", unchanged=True, page=key)
                continue
            ctx.pages.put(
                CachedPage(
                    key=key,
                    digest=digest,
                    records=tuple((str(r.remote_id), r.kind) for r in records),
                    next_key=next_key,
                )
            )
            for record in records:
                remote = record.to_remote()
                yield RemoteRecord(
                    remote.remote_id,
                    remote.kind,
                    remote.payload,
                    remote.content_hash,
                    url=remote.url,
                    failure=remote.failure,
                    page=key,
                )
        if self.gather_error is not None:
            raise self.gather_error

    def _spec(self, remote_id: str | None) -> FakeRecord | None:
        for records in self.pages.values():
            for spec in records:
                if spec.remote_id == remote_id and (spec.skip or spec.map_error):
                    return spec
        return None


def fake_paged_backend(
    pages: Mapping[str, list[FakeRecord]], *, gather_error: Exception | None = None
) -> type[FakePagedBackend]:
    """A paged catalog; `gather_error` is raised after the last page."""
    return type(
        "ScriptedFakePagedBackend",
        (FakePagedBackend,),
        {"pages": dict(pages), "calls": [], "gather_error": gather_error},
    )


# --------------------------------------------------------------------------- HTTP catalogs

Route = httpx.Response | Callable[[httpx.Request], httpx.Response]


def catalog_transport(
    routes: Mapping[str, Route | Sequence[Route]], *, seen: list[httpx.Request] | None = None
) -> httpx.MockTransport:
    """A `MockTransport` serving `routes` keyed by path, or by path + query
    (`"/api?page=2"`), the more specific key winning. A sequence is served in order, its
    last element repeating. Unknown URLs answer 404 with the URL in the body."""
    queues: dict[str, list[Route]] = {
        key: list(value) if isinstance(value, Sequence) else [value]
        for key, value in routes.items()
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        path = request.url.path
        query = request.url.query.decode("ascii")
        for key in (f"{path}?{query}" if query else path, path):
            queue = queues.get(key)
            if queue:
                route = queue.pop(0) if len(queue) > 1 else queue[0]
                return route(request) if callable(route) else route
        return httpx.Response(404, text=f"no fake route for {request.url}")

    return httpx.MockTransport(handler)


def catalog_client(routes: Mapping[str, Route | Sequence[Route]], **kwargs: Any) -> httpx.Client:
    """An `httpx.Client` over `catalog_transport(routes)` (for `HarvestContext.http`)."""
    return httpx.Client(transport=catalog_transport(routes, **kwargs))


class JsonCatalogBackend:
    """A minimal real-HTTP backend: the source URL answers a JSON list of
    `{"id", "title"}` objects. For engine tests that must cross `ctx.http`."""

    info: ClassVar[BackendInfo] = BackendInfo(id="fake", label="Fake JSON")

    def gather(self, ctx: HarvestContext) -> Iterator[RemoteRecord]:
        response = ctx.http.get(ctx.source.url)
        response.raise_for_status()
        for entry in response.json():
            yield RemoteRecord(
                remote_id=entry.get("id"),
                kind=ItemKind.DATASET,
                payload=entry,
                content_hash=content_hash(entry),
            )

    def map(self, record: RemoteRecord, ctx: HarvestContext) -> DatasetDraft:
        return DatasetDraft(title=record.payload["title"])
