"""A fake CSW server (httpx.MockTransport) replaying recorded GetRecords pages, shared by the
`csw-*` backend tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from moisson.domain.capabilities import BackendInfo
from moisson.domain.pages import CachedPage
from moisson.harvest.context import RunContext, make_context
from moisson.mapping.xml import parse_xml

URL = "https://csw.example.test/csw"


class CswReplay:
    """A fake CSW: serves the recorded page whose position is the POSTed `startPosition`.

    `pages` maps a start position to a file, or to a callable choosing a file from the
    request body (to answer differently to each queryable spelling). A GET (the
    GetCapabilities of each run) is answered with `capabilities`, or a 404 without it
    (as the recorded GeoNetwork pages come with no capabilities).
    """

    def __init__(
        self,
        pages: dict[int, Path | Callable[[bytes], Path]],
        capabilities: Path | None = None,
    ) -> None:
        self.pages = pages
        self.capabilities = capabilities
        self.requests: list[httpx.Request] = []
        self.capabilities_requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            self.capabilities_requests.append(request)
            assert request.url.params["request"] == "GetCapabilities"
            if self.capabilities is None:
                return httpx.Response(404, text="no capabilities recorded")
            return httpx.Response(200, content=self.capabilities.read_bytes())
        self.requests.append(request)
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/xml"
        start = int(parse_xml(request.content).get("startPosition", "0"))
        entry = self.pages.get(start)
        if entry is None:
            return httpx.Response(404, text=f"no page at {start}")
        path = entry(request.content) if callable(entry) else entry
        return httpx.Response(200, content=path.read_bytes())

    @property
    def starts(self) -> list[int]:
        return [int(parse_xml(r.content).get("startPosition", "0")) for r in self.requests]


class MemoryPageCache:
    """A page cache that remembers what it was offered (`put`) without keeping it."""

    def __init__(self, pages: dict[str, CachedPage] | None = None) -> None:
        self.pages = dict(pages or {})
        self.offered: list[CachedPage] = []

    def get(self, key: str) -> CachedPage | None:
        return self.pages.get(key)

    def put(self, page: CachedPage) -> None:
        self.offered.append(page)


def csw_context(info: BackendInfo, server: CswReplay, **kwargs: object) -> RunContext:
    """A run context for a backend whose source is `URL`, answered by `server`."""
    client = httpx.Client(transport=httpx.MockTransport(server))
    return make_context(info, URL, client, **kwargs)  # type: ignore[arg-type]
