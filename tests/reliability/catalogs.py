"""Small remote catalogs of every backend, served by the scripted loopback server.

Each `Catalog` knows how to install, on a running `LoopbackServer`, a healthy version of
itself (`install`), an empty one, and one whose paging loops; and which path is its *entry*
(the first request of a run, where the fault matrix injects its faults). Catalogs are made
small and synthetic on purpose: the point is the remote's behaviour, not the mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from tests.conftest import SHARED_FIXTURES
from tests.http_server import LoopbackServer, Reply, Seen

IDS = ("rel-1", "rel-2", "rel-3", "rel-4")
"""Remote ids of the healthy catalogs (CSW uses the recorded GeoNetwork ids instead)."""


@dataclass(frozen=True)
class Catalog:
    backend: str
    source_path: str
    """Path of the source URL."""
    entry: str
    """Path of the first request of a run."""
    good_body: bytes
    """What the entry path answers when healthy (faults reuse it, cut or dripped)."""
    content_type: str
    install: Callable[[LoopbackServer], None]
    install_empty: Callable[[LoopbackServer], None]
    install_loop: Callable[[LoopbackServer], None] | None
    datasets: int
    """Datasets a healthy run creates."""

    def source_url(self, server: LoopbackServer) -> str:
        return server.url(self.source_path)


# --------------------------------------------------------------------------------- DCAT

_TTL_PREFIXES = (
    "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
    "@prefix dct: <http://purl.org/dc/terms/> .\n"
    "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
)


def dcat_page(
    ids: tuple[str, ...], *, page_url: str | None = None, next_url: str | None = None
) -> bytes:
    parts = [_TTL_PREFIXES]
    for remote_id in ids:
        parts.append(
            f"<https://data.example.org/dataset/{remote_id}> a dcat:Dataset ;\n"
            f'  dct:identifier "{remote_id}" ; dct:title "Dataset {remote_id}" ;\n'
            f'  dcat:distribution [ a dcat:Distribution ; dct:title "File of {remote_id}" ;\n'
            f"    dcat:accessURL <https://data.example.org/files/{remote_id}.csv> ] .\n"
        )
    if page_url is not None and next_url is not None:
        parts.append(f"<{page_url}> a hydra:PartialCollectionView ; hydra:next <{next_url}> .\n")
    return "".join(parts).encode()


def _dcat_install(server: LoopbackServer) -> None:
    server.script(
        "/catalog.ttl", Reply(body=dcat_page(IDS), headers={"Content-Type": "text/turtle"})
    )


def _dcat_empty(server: LoopbackServer) -> None:
    server.script(
        "/catalog.ttl", Reply(body=dcat_page(()), headers={"Content-Type": "text/turtle"})
    )


def _dcat_loop(server: LoopbackServer) -> None:
    first, second = server.url("/catalog.ttl"), server.url("/catalog.ttl?page=2")

    def pages(seen: Seen) -> Reply:
        if "page=2" in seen.path:  # page 2 points back to page 1
            body = dcat_page(IDS[2:], page_url=second, next_url=first)
        else:
            body = dcat_page(IDS[:2], page_url=first, next_url=second)
        return Reply(body=body, headers={"Content-Type": "text/turtle"})

    server.script("/catalog.ttl", pages)


DCAT = Catalog(
    backend="dcat",
    source_path="/catalog.ttl",
    entry="/catalog.ttl",
    good_body=dcat_page(IDS),
    content_type="text/turtle",
    install=_dcat_install,
    install_empty=_dcat_empty,
    install_loop=_dcat_loop,
    datasets=len(IDS),
)

# --------------------------------------------------------------------------------- CKAN

SEARCH = "/api/3/action/package_search"


def ckan_package(remote_id: str) -> dict[str, object]:
    return {
        "id": remote_id,
        "name": remote_id,
        "title": f"Dataset {remote_id}",
        "notes": "A dataset",
        "resources": [
            {
                "id": f"{remote_id}-r",
                "url": f"https://data.example.org/{remote_id}.csv",
                "format": "CSV",
            }
        ],
    }


def ckan_envelope(ids: tuple[str, ...], count: int | None = None) -> bytes:
    packages = [ckan_package(i) for i in ids]
    result = {"count": len(ids) if count is None else count, "results": packages}
    return json.dumps({"success": True, "result": result}).encode()


def _ckan_search(ids: tuple[str, ...], *, ignore_start: bool = False) -> Callable[[Seen], Reply]:
    def search(seen: Seen) -> Reply:
        query = parse_qs(urlsplit(seen.path).query)
        start = 0 if ignore_start else int(query.get("start", ["0"])[0])
        rows = int(query.get("rows", ["10"])[0])
        count = 10 * len(ids) if ignore_start else len(ids)
        body = ckan_envelope(ids[start : start + rows], count=count)
        return Reply(body=body, headers={"Content-Type": "application/json"})

    return search


CKAN = Catalog(
    backend="ckan",
    source_path="/",
    entry=SEARCH,
    good_body=ckan_envelope(IDS),
    content_type="application/json",
    install=lambda server: server.script(SEARCH, _ckan_search(IDS)),
    install_empty=lambda server: server.script(SEARCH, _ckan_search(())),
    # A server that ignores `start`: every page is the first one, the count promises more.
    install_loop=lambda server: server.script(SEARCH, _ckan_search(IDS, ignore_start=True)),
    datasets=len(IDS),
)

# ------------------------------------------------------------------------ CSW ISO 19139

_CSW_PAGES = {
    start: (SHARED_FIXTURES / "csw" / f"geonetwork-iso19139-page-{start}.xml").read_bytes()
    for start in (1, 3, 5)
}
_START = re.compile(rb'startPosition="(\d+)"')


def _csw_serve(pages: dict[int, bytes]) -> Callable[[Seen], Reply]:
    def serve(seen: Seen) -> Reply:
        match = _START.search(seen.body)
        start = int(match.group(1)) if match else 1
        body = pages.get(start)
        if body is None:
            return Reply(status=400, body=b"unexpected startPosition")
        return Reply(body=body, headers={"Content-Type": "application/xml"})

    return serve


CSW_EMPTY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" version="2.0.2">'
    b'<csw:SearchResults numberOfRecordsMatched="0" numberOfRecordsReturned="0" nextRecord="0"/>'
    b"</csw:GetRecordsResponse>"
)
# Page 3 points back to position 1: the walk would loop if followed.
_CSW_LOOP = {1: _CSW_PAGES[1], 3: _CSW_PAGES[3].replace(b'nextRecord="5"', b'nextRecord="1"')}
assert _CSW_LOOP[3] != _CSW_PAGES[3]

CSW_ISO = Catalog(
    backend="csw-iso-19139",
    source_path="/csw",
    entry="/csw",
    good_body=_CSW_PAGES[1],
    content_type="application/xml",
    install=lambda server: server.script("/csw", _csw_serve(_CSW_PAGES)),
    install_empty=lambda server: server.script(
        "/csw", Reply(body=CSW_EMPTY, headers={"Content-Type": "application/xml"})
    ),
    install_loop=lambda server: server.script("/csw", _csw_serve(_CSW_LOOP)),
    datasets=6,
)

# --------------------------------------------------------------------------------- MAAF

_MAAF_TEMPLATE = next((SHARED_FIXTURES / "maaf" / "tree").rglob("*.xml")).read_text("utf-8")
_MAAF_ID = re.compile(r"<id>[^<]*</id>")


def maaf_descriptor(remote_id: str, base: str) -> bytes:
    text = _MAAF_ID.sub(f"<id>{remote_id}</id>", _MAAF_TEMPLATE, count=1)
    return text.replace("{{BASE}}", base).encode("utf-8")


def maaf_listing(names: tuple[str, ...]) -> bytes:
    rows = "".join(f'<li><a href="{name}">{name}</a></li>' for name in names)
    return (
        f"<html><head><title>Index of /maaf</title></head><body><h1>Index of /maaf</h1>"
        f'<ul><li><a href="/">Parent Directory</a></li>{rows}</ul></body></html>'
    ).encode()


HTML = {"Content-Type": "text/html; charset=utf-8"}


def _maaf_install(server: LoopbackServer) -> None:
    base = server.url("").rstrip("/")
    server.script("/maaf/", Reply(body=maaf_listing(tuple(f"{i}.xml" for i in IDS)), headers=HTML))
    for remote_id in IDS:
        server.script(
            f"/maaf/{remote_id}.xml",
            Reply(
                body=maaf_descriptor(remote_id, base), headers={"Content-Type": "application/xml"}
            ),
        )


MAAF = Catalog(
    backend="maaf",
    source_path="/maaf/",
    entry="/maaf/",
    good_body=maaf_listing(tuple(f"{i}.xml" for i in IDS)),
    content_type="text/html; charset=utf-8",
    install=_maaf_install,
    install_empty=lambda server: server.script(
        "/maaf/", Reply(body=maaf_listing(()), headers=HTML)
    ),
    install_loop=None,  # a directory tree has no paging; its loops are the crawler's tests
    datasets=len(IDS),
)

# --------------------------------------------------------------------------------- DKAN

DKAN_LIST = "/api/3/action/package_list"


def _dkan_install(server: LoopbackServer) -> None:
    names = json.dumps({"success": True, "result": list(IDS)}).encode()
    server.script(DKAN_LIST, Reply(body=names, headers={"Content-Type": "application/json"}))

    def show(seen: Seen) -> Reply:
        ident = parse_qs(urlsplit(seen.path).query).get("id", [""])[0]
        body = json.dumps({"success": True, "result": [ckan_package(ident)]}).encode()
        return Reply(body=body, headers={"Content-Type": "application/json"})

    server.script("/api/3/action/package_show", show)


DKAN = Catalog(
    backend="dkan",
    source_path="/",
    entry=DKAN_LIST,
    good_body=json.dumps({"success": True, "result": list(IDS)}).encode(),
    content_type="application/json",
    install=_dkan_install,
    install_empty=lambda server: server.script(
        DKAN_LIST, Reply(body=b'{"success": true, "result": []}')
    ),
    install_loop=None,
    datasets=len(IDS),
)

CATALOGS = {c.backend: c for c in (DCAT, CKAN, CSW_ISO, MAAF, DKAN)}
