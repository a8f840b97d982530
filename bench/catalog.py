"""A synthetic DCAT catalog, served as RDF/XML Hydra pages from a loopback HTTP server.

Shared by the pipeline benchmark (`bench/bench_pipeline.py`) and the pipeline correctness
test (`tests/integration/test_dcat_pipeline.py`). Every page is a pure function of
(page number, page size, total): serving the same catalog twice gives byte-identical pages,
which is what an unchanged re-run needs.

Datasets look like those of a real French portal: a title, an HTML description, keywords,
EU data themes, a licence, issue/modification dates, a temporal period, a bounding box, a
contact point, a shared publisher and three distributions with format, media type, size and
checksum. Pages are `hydra:PartialCollectionView`s linked by `hydra:next`.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

DISTRIBUTIONS_PER_DATASET = 3
CATALOG_PATH = "/catalog.rdf"

_HEADER = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/"
  xmlns:foaf="http://xmlns.com/foaf/0.1/" xmlns:vcard="http://www.w3.org/2006/vcard/ns#"
  xmlns:spdx="http://spdx.org/rdf/terms#" xmlns:locn="http://www.w3.org/ns/locn#"
  xmlns:hydra="http://www.w3.org/ns/hydra/core#">
<dcat:Catalog rdf:about="{base}/">
  <dct:title>Catalogue de démonstration</dct:title>
"""

_DATASET = """<dcat:dataset><dcat:Dataset rdf:about="{base}/datasets/{ident}">
  <dct:identifier>{ident}</dct:identifier>
  <dct:title xml:lang="fr">{title}</dct:title>
  <dct:description xml:lang="fr">{description}</dct:description>
{keywords}{themes}  <dct:license rdf:resource="{license}"/>
  <dct:issued rdf:datatype="{xsd}dateTime">{issued}T08:30:00</dct:issued>
  <dct:modified rdf:datatype="{xsd}dateTime">{modified}T17:05:12</dct:modified>
  <dct:accrualPeriodicity rdf:resource="http://purl.org/cld/freq/{frequency}"/>
  <dcat:landingPage rdf:resource="{base}/datasets/{ident}/page"/>
  <dct:temporal><dct:PeriodOfTime>
    <dcat:startDate rdf:datatype="{xsd}date">{start}</dcat:startDate>
    <dcat:endDate rdf:datatype="{xsd}date">{end}</dcat:endDate>
  </dct:PeriodOfTime></dct:temporal>
  <dct:spatial><dct:Location>
    <dcat:bbox rdf:datatype="http://www.opengis.net/ont/geosparql#wktLiteral"
      >POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))</dcat:bbox>
  </dct:Location></dct:spatial>
  <dcat:contactPoint><vcard:Kind>
    <vcard:fn>{contact}</vcard:fn>
    <vcard:hasEmail rdf:resource="mailto:{email}"/>
  </vcard:Kind></dcat:contactPoint>
  <dct:publisher rdf:resource="{base}/organizations/{publisher}"/>
{distributions}</dcat:Dataset></dcat:dataset>
"""

_DISTRIBUTION = """  <dcat:distribution>
  <dcat:Distribution rdf:about="{base}/datasets/{ident}/resources/{n}">
    <dct:title>{title}</dct:title>
    <dct:description>{description}</dct:description>
    <dct:format rdf:resource="http://publications.europa.eu/resource/authority/file-type/{eu_format}"/>
    <dcat:mediaType rdf:resource="https://www.iana.org/assignments/media-types/{media_type}"/>
    <dcat:downloadURL rdf:resource="{base}/files/{ident}/{n}.{extension}"/>
    <dcat:accessURL rdf:resource="{base}/datasets/{ident}/page"/>
    <dcat:byteSize rdf:datatype="{xsd}decimal">{size}</dcat:byteSize>
    <spdx:checksum><spdx:Checksum>
      <spdx:algorithm rdf:resource="http://spdx.org/rdf/terms#checksumAlgorithm_sha256"/>
      <spdx:checksumValue>{checksum}</spdx:checksumValue>
    </spdx:Checksum></spdx:checksum>
    <dct:issued rdf:datatype="{xsd}dateTime">{issued}T08:30:00</dct:issued>
    <dct:modified rdf:datatype="{xsd}dateTime">{modified}T17:05:12</dct:modified>
  </dcat:Distribution></dcat:distribution>
"""

_FOOTER = """</dcat:Catalog>
{publishers}<hydra:PartialCollectionView rdf:about="{view}">
  <hydra:totalItems rdf:datatype="{xsd}integer">{total}</hydra:totalItems>
  <hydra:first rdf:resource="{first}"/>
  <hydra:last rdf:resource="{last}"/>
{next}</hydra:PartialCollectionView>
</rdf:RDF>
"""

_XSD = "http://www.w3.org/2001/XMLSchema#"
_SUBJECTS = (
    "Qualité de l'air",
    "Transports scolaires",
    "Budget primitif",
    "Stationnement",
    "Équipements sportifs",
    "Arbres d'alignement",
    "Collecte des déchets",
    "Bornes de recharge",
    "Consommation électrique",
    "Pistes cyclables",
    "Délibérations",
    "Population légale",
)
_PLACES = (
    "Lyon",
    "Nantes",
    "Bordeaux",
    "Lille",
    "Rennes",
    "Grenoble",
    "Strasbourg",
    "Montpellier",
    "Toulouse",
    "Dijon",
    "Brest",
    "Nancy",
)
_KEYWORDS = (
    "environnement",
    "mobilité",
    "finances",
    "urbanisme",
    "énergie",
    "santé",
    "culture",
    "éducation",
    "sport",
    "économie",
    "transport",
    "citoyenneté",
    "tourisme",
    "eau",
    "déchets",
)
_THEMES = ("ENVI", "TRAN", "ECON", "GOVE", "EDUC", "ENER", "HEAL", "SOCI", "REGI", "TECH")
#: Licence IRIs of the shipped data.gouv.fr licence list (lov2, odc-odbl, cc-by).
_LICENSES = (
    "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
    "http://opendatacommons.org/licenses/odbl/summary/",
    "http://www.opendefinition.org/licenses/cc-by",
)
_FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "annual", "irregular")
#: (EU file type, IANA media type, extension)
_FORMATS = (
    ("CSV", "text/csv", "csv"),
    ("JSON", "application/json", "json"),
    ("GEOJSON", "application/geo+json", "geojson"),
    ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ("PDF", "application/pdf", "pdf"),
    ("SHP", "application/zip", "zip"),
)
_PUBLISHERS = 25
_EPOCH = date(2015, 1, 1)


@dataclass(frozen=True)
class Catalog:
    """A catalog of `datasets` datasets split into pages of `page_size`, under `base`."""

    datasets: int
    page_size: int = 500
    base: str = "http://127.0.0.1"

    @property
    def pages(self) -> int:
        return max(1, -(-self.datasets // self.page_size))

    def page_url(self, page: int) -> str:
        """URL of 1-based page `page` (page 1 is the source URL itself)."""
        url = f"{self.base}{CATALOG_PATH}"
        return url if page == 1 else f"{url}?page={page}"

    def identifier(self, index: int) -> str:
        digest = hashlib.blake2b(str(index).encode(), digest_size=8).hexdigest()
        return f"ds-{index:06d}-{digest}"

    def page(self, page: int) -> bytes:
        """The RDF/XML body of 1-based page `page`."""
        if not 1 <= page <= self.pages:
            raise ValueError(f"page {page} out of 1..{self.pages}")
        first = (page - 1) * self.page_size
        last = min(self.datasets, first + self.page_size)
        publishers = sorted({index % _PUBLISHERS for index in range(first, last)})
        parts = [_HEADER.format(base=self.base)]
        parts.extend(self._dataset(index) for index in range(first, last))
        next_link = (
            f'  <hydra:next rdf:resource="{escape(self.page_url(page + 1))}"/>\n'
            if page < self.pages
            else ""
        )
        parts.append(
            _FOOTER.format(
                publishers="".join(self._publisher(number) for number in publishers),
                view=escape(self.page_url(page)),
                first=escape(self.page_url(1)),
                last=escape(self.page_url(self.pages)),
                next=next_link,
                total=self.datasets,
                xsd=_XSD,
            )
        )
        return "".join(parts).encode("utf-8")

    def _publisher(self, number: int) -> str:
        return (
            f'<foaf:Organization rdf:about="{self.base}/organizations/{number}">'
            f"<foaf:name>Collectivité n°{number}</foaf:name></foaf:Organization>\n"
        )

    def _dataset(self, index: int) -> str:
        rng = random.Random(index)  # reproducible: the same catalog on every run
        ident = self.identifier(index)
        subject, place = rng.choice(_SUBJECTS), rng.choice(_PLACES)
        year = 2015 + index % 9
        issued = _EPOCH + timedelta(days=rng.randrange(0, 2500))
        modified = issued + timedelta(days=rng.randrange(0, 400))
        west, south = round(rng.uniform(-4.5, 7.0), 4), round(rng.uniform(42.5, 50.5), 4)
        html = (
            f"<p>Jeu de données <strong>{subject.lower()}</strong> de {place} pour "
            f"l'année {year}, mis à jour par le service {rng.choice(_KEYWORDS)}.</p>"
            f"<ul><li>Couverture : {place} et communes limitrophes</li>"
            f'<li>Source : <a href="{self.base}/sources/{index}">registre</a></li></ul>'
            f"<p>Les données sont publiées sous licence ouverte ; voir la "
            f"<em>documentation</em> jointe pour le détail des champs.</p>"
        )
        keywords = rng.sample(_KEYWORDS, rng.randint(3, 6))
        themes = rng.sample(_THEMES, rng.randint(1, 2))
        distributions = "".join(
            self._distribution(rng, ident, n, issued, modified)
            for n in range(DISTRIBUTIONS_PER_DATASET)
        )
        return _DATASET.format(
            base=self.base,
            ident=ident,
            title=escape(f"{subject} — {place} {year} (n°{index})"),
            description=escape(html),
            keywords="".join(f"  <dcat:keyword>{escape(k)}</dcat:keyword>\n" for k in keywords),
            themes="".join(
                f'  <dcat:theme rdf:resource="http://publications.europa.eu/resource/authority/'
                f'data-theme/{t}"/>\n'
                for t in themes
            ),
            license=rng.choice(_LICENSES),
            issued=issued.isoformat(),
            modified=modified.isoformat(),
            frequency=rng.choice(_FREQUENCIES),
            start=date(year, 1, 1).isoformat(),
            end=date(year, 12, 31).isoformat(),
            w=west,
            s=south,
            e=round(west + rng.uniform(0.05, 1.0), 4),
            n=round(south + rng.uniform(0.05, 1.0), 4),
            contact=escape(f"Service {rng.choice(_KEYWORDS)} de {place}"),
            email=f"opendata{index % 97}@{place.lower()}.example.org",
            publisher=index % _PUBLISHERS,
            distributions=distributions,
            xsd=_XSD,
        )

    def _distribution(
        self, rng: random.Random, ident: str, n: int, issued: date, modified: date
    ) -> str:
        eu_format, media_type, extension = _FORMATS[(n + rng.randrange(len(_FORMATS))) % 6]
        return _DISTRIBUTION.format(
            base=self.base,
            ident=ident,
            n=n,
            title=escape(f"Fichier {n + 1} ({extension.upper()})"),
            description=escape(f"<p>Export <b>{extension}</b> n°{n + 1}.</p>"),
            eu_format=eu_format,
            media_type=media_type,
            extension=extension,
            size=rng.randrange(1_000, 50_000_000),
            checksum=hashlib.sha256(f"{ident}/{n}".encode()).hexdigest(),
            issued=issued.isoformat(),
            modified=modified.isoformat(),
            xsd=_XSD,
        )


class CatalogServer:
    """Serves a `Catalog` on 127.0.0.1 over real sockets, in a background thread.

    Pages are generated on request (nothing held in memory), or once and kept when
    `pregenerate` is set (a benchmark then times the harvester, not the generator).
    `requests` counts the page requests served.
    """

    def __init__(self, datasets: int, page_size: int = 500, *, pregenerate: bool = False) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        port = self._server.server_address[1]
        self.catalog = Catalog(datasets, page_size, base=f"http://127.0.0.1:{port}")
        self._bodies: dict[int, bytes] = (
            {page: self.catalog.page(page) for page in range(1, self.catalog.pages + 1)}
            if pregenerate
            else {}
        )
        self.requests = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The source URL: the first page."""
        return self.catalog.page_url(1)

    def body(self, page: int) -> bytes:
        return self._bodies.get(page) or self.catalog.page(page)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                try:
                    if url.path != CATALOG_PATH:
                        raise ValueError(url.path)
                    page = int(parse_qs(url.query).get("page", ["1"])[0])
                    body = server.body(page)
                except ValueError:
                    self.send_error(404)
                    return
                with server._lock:
                    server.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/rdf+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def start(self) -> CatalogServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def serve_catalog(
    datasets: int, page_size: int = 500, *, pregenerate: bool = False
) -> Iterator[CatalogServer]:
    server = CatalogServer(datasets, page_size, pregenerate=pregenerate).start()
    try:
        yield server
    finally:
        server.stop()
