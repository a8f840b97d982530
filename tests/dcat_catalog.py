"""Generated DCAT catalogs (RDF/XML, Hydra paging) served from a loopback HTTP server.

`CatalogServer` serves any number of catalogs, one per source: `/<key>/catalog.rdf` is page 1
of catalog `key`, and each page links the next with `hydra:next` until the last. Pages are
generated on request (nothing is held in memory, so the scale benchmark can serve 100,000
datasets), with an optional delay per page to make a job last. Dataset `i` of catalog `key`
has the identifier `<key>-<i>` and `RESOURCES_PER_DATASET` distributions.

Used by the worker tests (`tests/integration/tasks`) and by `bench/bench_scale.py`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from tests.http_server import LoopbackServer, Reply, Seen

RESOURCES_PER_DATASET = 2

_HEADER = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/"
  xmlns:foaf="http://xmlns.com/foaf/0.1/" xmlns:vcard="http://www.w3.org/2006/vcard/ns#"
  xmlns:hydra="http://www.w3.org/ns/hydra/core#">
<dcat:Catalog rdf:about="{base}/">
"""

_DATASET = """<dcat:dataset><dcat:Dataset rdf:about="{base}/datasets/{id}">
  <dct:identifier>{id}</dct:identifier>
  <dct:title>{title}</dct:title>
  <dct:description>Données de test numéro {i}, générées pour le catalogue {key}.</dct:description>
  <dct:modified rdf:datatype="http://www.w3.org/2001/XMLSchema#dateTime">2024-01-01T00:00:00</dct:modified>
  <dcat:keyword>test</dcat:keyword><dcat:keyword>{key}</dcat:keyword>
  <dcat:landingPage rdf:resource="{base}/datasets/{id}/page"/>
  <dct:license>Licence Ouverte Version 2.0</dct:license>
  <dcat:contactPoint><vcard:Organization><vcard:fn>{contact_name}</vcard:fn>
    <vcard:hasEmail rdf:resource="mailto:{contact_email}"/>
  </vcard:Organization></dcat:contactPoint>
  {distributions}
</dcat:Dataset></dcat:dataset>
"""

_DISTRIBUTION = """<dcat:distribution><dcat:Distribution rdf:about="{base}/datasets/{id}/r/{j}">
    <dct:title>Ressource {j} de {id}</dct:title><dct:format>CSV</dct:format>
    <dcat:downloadURL rdf:resource="{base}/datasets/{id}/r/{j}/data.csv"/>
  </dcat:Distribution></dcat:distribution>"""

_FOOTER = """</dcat:Catalog>
<hydra:PartialCollectionView rdf:about="{this}">{next}</hydra:PartialCollectionView>
</rdf:RDF>
"""


def _identifier(key: str, i: int) -> str:
    return f"{key}-{i}"


def _title(key: str, i: int) -> str:
    return f"Jeu de données {key}-{i}"


def _contact(key: str, i: int) -> tuple[str, str]:
    return f"Service {key}", f"contact@{key}.test"


@dataclass(frozen=True)
class Catalog:
    pages: int
    per_page: int
    delay: float = 0.0
    """Seconds to wait before answering each page."""
    identifier: Callable[[str, int], str] = _identifier
    """The identifier of dataset `i` of catalog `key`."""
    title: Callable[[str, int], str] = _title
    contact: Callable[[str, int], tuple[str, str]] = _contact
    """(name, e-mail) of the contact point of dataset `i` of catalog `key`."""

    @property
    def size(self) -> int:
        return self.pages * self.per_page


def dataset_ids(key: str, catalog: Catalog) -> list[str]:
    return [catalog.identifier(key, i) for i in range(catalog.size)]


def catalog_page(base: str, key: str, catalog: Catalog, page: int) -> bytes:
    """Page `page` (1-based) of catalog `key`, served under `base` (`http://host:port`)."""
    root = f"{base}/{key}"
    this = f"{root}/catalog.rdf?page={page}"
    first = (page - 1) * catalog.per_page
    parts = [_HEADER.format(base=root)]
    for i in range(first, first + catalog.per_page):
        ident = catalog.identifier(key, i)
        distributions = "".join(
            _DISTRIBUTION.format(base=root, id=ident, j=j) for j in range(RESOURCES_PER_DATASET)
        )
        contact_name, contact_email = catalog.contact(key, i)
        parts.append(
            _DATASET.format(
                base=root,
                id=ident,
                i=i,
                key=key,
                title=escape(catalog.title(key, i)),
                contact_name=escape(contact_name),
                contact_email=escape(contact_email),
                distributions=distributions,
            )
        )
    following = (
        f'<hydra:next rdf:resource="{root}/catalog.rdf?page={page + 1}"/>'
        if page < catalog.pages
        else ""
    )
    parts.append(_FOOTER.format(this=this, next=following))
    return "".join(parts).encode("utf-8")


class CatalogServer:
    """A `LoopbackServer` on 127.0.0.1 serving the given catalogs; counts page requests.

    `catalogs` may be added to while it runs (a new key is served from its next request)."""

    def __init__(self, catalogs: dict[str, Catalog], *, host: str = "127.0.0.1") -> None:
        self.catalogs = dict(catalogs)
        self.lock = threading.Lock()
        self.pages_served = 0
        self._stopping = threading.Event()
        self._server = LoopbackServer({"*": self._page}, host=host)

    @property
    def base(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def url(self, key: str) -> str:
        return f"{self.base}/{key}/catalog.rdf"

    def _page(self, seen: Seen) -> Reply:
        parts = urlsplit(seen.path)
        key = parts.path.strip("/").split("/")[0]
        catalog = self.catalogs.get(key)
        page = int(parse_qs(parts.query).get("page", ["1"])[0])
        if catalog is None or not parts.path.endswith("/catalog.rdf") or page < 1:
            return Reply(404, b"no such catalog page", {"Content-Type": "text/plain"})
        if catalog.delay and self._stopping.wait(catalog.delay):
            return Reply(reset=True)  # stopped while waiting: hang up, answer nothing
        body = catalog_page(self.base, key, catalog, min(page, catalog.pages))
        with self.lock:
            self.pages_served += 1
        return Reply(200, body, {"Content-Type": "application/rdf+xml"})

    def requests(self) -> list[Seen]:
        """Every request received, in order, as it arrived (before any delay)."""
        return self._server.received()

    def start(self) -> CatalogServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.stop()


@contextmanager
def catalog_server(catalogs: dict[str, Catalog]) -> Iterator[CatalogServer]:
    server = CatalogServer(catalogs).start()
    try:
        yield server
    finally:
        server.stop()


def wait_until(condition: Callable[[], object], timeout: float, interval: float = 0.1) -> bool:
    """Poll `condition()` until it is true or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
