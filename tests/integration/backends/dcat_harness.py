"""A fake DCAT catalog server (httpx.MockTransport) and a harness running gather + map."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import httpx
from tests.conftest import SHARED_FIXTURES
from tests.harvesting import Run, gather_and_map

from moisson.backends.dcat import DcatBackend
from moisson.domain.clock import Clock, system_clock
from moisson.domain.pages import CachedPage
from moisson.harvest.context import make_context
from moisson.mapping.licenses import License, LicenseTable

DCAT_FIXTURES = SHARED_FIXTURES / "dcat"
BASE = "http://data.test.org/"

#: The licences udata's DCAT tests create (docs/udata-backends.md §8.1).
TEST_LICENSES = LicenseTable(
    [
        License(id="lov1", title="Licence Ouverte Version 1.0"),
        License(id="lov2", title="Licence Ouverte Version 2.0"),
        License(id="fr-lo", title="Licence ouverte / Open Licence"),
    ]
)

Handler = Callable[[httpx.Request], httpx.Response]


def serve_files(directory: Path = DCAT_FIXTURES) -> Handler:
    """Serve `<directory>/<name>` at `http://data.test.org/<name>`, 404 otherwise."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = directory / request.url.path.lstrip("/")
        if not request.url.path.strip("/") or not path.is_file():
            return httpx.Response(404)
        return httpx.Response(200, content=path.read_bytes())

    return handler


def serve_pages(prefix: str, suffix: str) -> Handler:
    """Page N (query `page`, default 1) is the fixture `<prefix>N<suffix>`."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params.get("page", "1")
        path = DCAT_FIXTURES / f"{prefix}{page}{suffix}"
        if not path.is_file():
            return httpx.Response(404)
        return httpx.Response(200, content=path.read_bytes())

    return handler


class MemoryPageCache:
    """A page cache that keeps everything (the engine's keeps only clean pages)."""

    def __init__(self) -> None:
        self.pages: dict[str, CachedPage] = {}

    def get(self, key: str) -> CachedPage | None:
        return self.pages.get(key)

    def put(self, page: CachedPage) -> None:
        self.pages[page.key] = page


def harvest(
    url: str,
    handler: Handler | None = None,
    *,
    pages: MemoryPageCache | None = None,
    licenses: LicenseTable = TEST_LICENSES,
    clock: Clock = system_clock,
) -> Run:
    """Run `gather` then `map` on every record, as the engine would."""
    run = Run()
    inner = handler or serve_files()

    def recording(request: httpx.Request) -> httpx.Response:
        run.requests.append(request)
        return inner(request)

    client = httpx.Client(transport=httpx.MockTransport(recording))
    ctx = make_context(
        DcatBackend.info,
        url,
        client,
        licenses=licenses,
        pages=pages,
        log=logging.getLogger("test.dcat"),
        clock=clock,
    )
    return run.add(gather_and_map(DcatBackend(), ctx))
