"""One bad value drops alone, in every backend's format.

Each case serves one dataset whose resources carry hostile or broken URLs next to a good
one, harvests it for real (loopback server, the engine's guarded client), and checks that:

- the dataset is harvested, its item `done` (with warnings);
- a URL with quotes, angle brackets, spaces or control characters is kept percent-encoded,
  with a log line giving both forms;
- a `javascript:`, `data:`, `file:`, relative or private-address URL is dropped, with a
  WARNING log line naming the field and the value; every other resource is kept;
- the unchanged re-run stays unchanged (the remote document is re-read, not replayed from
  the page cache, wherever a harmless change outside the record allows it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.http_server import LoopbackServer, Reply, loopback_server
from tests.reliability.catalogs import SEARCH, ckan_package, maaf_descriptor, maaf_listing
from tests.reliability.conftest import Harvester

from moisson.storage.models import Dataset, HarvestLogRow, Resource

GOOD = "https://data.example.org/good.csv"
QUOTED = 'https://data.example.org/q.csv?a="><script>alert(1)</script>'
QUOTED_ENCODED = "https://data.example.org/q.csv?a=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"
SPACED = "https://data.example.org/my file\x01.csv"
SPACED_ENCODED = "https://data.example.org/my%20file%01.csv"
#: XML 1.0 cannot carry U+0001, not even as a character reference: a tab stands for the
#: control characters there.
SPACED_XML = "https://data.example.org/my file\t.csv"
SPACED_XML_ENCODED = "https://data.example.org/my%20file%09.csv"
#: Unusable URLs, with a fragment each that the log line dropping it must show.
BAD = {
    "javascript:alert(4)": "alert(4)",
    "data:text/html,<script>alert(5)</script>": "alert(5)",
    "file:///etc/passwd": "/etc/passwd",
    "files/relative.csv": "relative.csv",
    "http://10.1.2.3/private.csv": "10.1.2.3",
}
KEPT = {GOOD, QUOTED_ENCODED, SPACED_ENCODED}
KEPT_XML = {GOOD, QUOTED_ENCODED, SPACED_XML_ENCODED}
JSON_HEADERS = {"Content-Type": "application/json"}
XML_HEADERS = {"Content-Type": "application/xml"}


def urls(*, xml: bool) -> list[str]:
    return [GOOD, QUOTED, SPACED_XML if xml else SPACED, *BAD]


# ------------------------------------------------------------------------ the catalogs


def attribute(value: str) -> str:
    """An XML attribute value; a tab is written as a reference, which normalization keeps."""
    return escape(value).replace("\t", "&#9;")


def rdfxml_dataset(remote_id: str) -> str:
    distributions = "".join(
        f"<dcat:distribution><dcat:Distribution>"
        f"<dct:title>File {n}</dct:title>"
        f'<dcat:accessURL rdf:resource="{attribute(url)}"/>'
        f"</dcat:Distribution></dcat:distribution>"
        for n, url in enumerate(urls(xml=True))
    )
    return (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">'
        # The dataset's own IRI holds a quote and angle brackets: the payload must read back.
        f'<dcat:Dataset rdf:about="https://data.example.org/ds/{remote_id}?&quot;&gt;&lt;b">'
        f"<dct:identifier>{remote_id}</dct:identifier><dct:title>Hostile {remote_id}</dct:title>"
        '<dct:description xml:lang="***">A description</dct:description>'
        '<dcat:landingPage rdf:resource="javascript:alert(6)"/>'
        f"{distributions}</dcat:Dataset></rdf:RDF>"
    )


def turtle_catalog(remote_id: str) -> bytes:
    def iri(url: str) -> str:
        # Turtle writes what an IRI cannot hold as \u escapes; the lenient parser takes
        # spaces raw (GeoNetwork emits them).
        return "<" + "".join(f"\\u{ord(c):04X}" if c in '"<>\x01' else c for c in url) + ">"

    distributions = " , ".join(
        f'[ a dcat:Distribution ; dct:title "File {n}" ; dcat:accessURL {iri(url)} ]'
        for n, url in enumerate(urls(xml=False))
    )
    subject = iri(f'https://data.example.org/ds/{remote_id}?"><b')
    return (
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n"
        f"{subject} a dcat:Dataset ;\n"
        f'  dct:identifier "{remote_id}" ; dct:title "Hostile {remote_id}" ;\n'
        f"  dcat:distribution {distributions} .\n"
    ).encode()


def jsonld_catalog(remote_id: str) -> bytes:
    document = {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
        },
        "@id": f'https://data.example.org/ds/{remote_id}?"><b',
        "@type": "dcat:Dataset",
        "dct:identifier": remote_id,
        "dct:title": f"Hostile {remote_id}",
        "dcat:distribution": [
            {"@type": "dcat:Distribution", "dct:title": f"File {n}", "dcat:accessURL": {"@id": u}}
            for n, u in enumerate(urls(xml=False))
        ],
    }
    return json.dumps(document).encode()


def csw_page(records: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">'
        '<csw:SearchStatus timestamp="2026-01-01T00:00:00Z"/>'
        '<csw:SearchResults numberOfRecordsMatched="1" numberOfRecordsReturned="1" '
        f'elementSet="full" nextRecord="0">{records}</csw:SearchResults>'
        "</csw:GetRecordsResponse>"
    ).encode()


def iso_record(remote_id: str) -> str:
    online = "".join(
        "<gmd:onLine><gmd:CI_OnlineResource>"
        f"<gmd:linkage><gmd:URL>{escape(url)}</gmd:URL></gmd:linkage>"
        f"<gmd:name><gco:CharacterString>File {n}</gco:CharacterString></gmd:name>"
        '<gmd:function><gmd:CI_OnLineFunctionCode codeList="http://standards.iso.org/iso/'
        '19139/resources/gmxCodelists.xml#CI_OnLineFunctionCode" codeListValue="download"/>'
        "</gmd:function></gmd:CI_OnlineResource></gmd:onLine>"
        for n, url in enumerate(urls(xml=True))
    )
    return (
        '<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" '
        'xmlns:gco="http://www.isotc211.org/2005/gco">'
        f"<gmd:fileIdentifier><gco:CharacterString>{remote_id}</gco:CharacterString>"
        "</gmd:fileIdentifier>"
        '<gmd:hierarchyLevel><gmd:MD_ScopeCode codeListValue="dataset" codeList="http://'
        'standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_ScopeCode"/>'
        "</gmd:hierarchyLevel>"
        "<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation><gmd:CI_Citation>"
        f"<gmd:title><gco:CharacterString>Hostile {remote_id}</gco:CharacterString></gmd:title>"
        "<gmd:identifier><gmd:MD_Identifier><gmd:code><gco:CharacterString>"
        f"{remote_id}</gco:CharacterString></gmd:code></gmd:MD_Identifier></gmd:identifier>"
        "</gmd:CI_Citation></gmd:citation>"
        "<gmd:abstract><gco:CharacterString>An abstract</gco:CharacterString></gmd:abstract>"
        "</gmd:MD_DataIdentification></gmd:identificationInfo>"
        "<gmd:distributionInfo><gmd:MD_Distribution><gmd:transferOptions>"
        f"<gmd:MD_DigitalTransferOptions>{online}</gmd:MD_DigitalTransferOptions>"
        "</gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>"
        "</gmd:MD_Metadata>"
    )


def ckan_hostile(remote_id: str) -> dict[str, object]:
    package = ckan_package(remote_id)
    package["title"] = f"Hostile {remote_id}"
    package["url"] = "javascript:alert(7)"  # never a remote URL
    package["resources"] = [
        {"id": f"{remote_id}-{n}", "name": f"File {n}", "url": url, "format": "CSV"}
        for n, url in enumerate(urls(xml=False))
    ]
    return package


def maaf_hostile(remote_id: str, base: str) -> bytes:
    text = maaf_descriptor(remote_id, base).decode("utf-8")
    extra = "".join(
        f"<resources><format>CSV</format><name>File {n}</name><url>{escape(url)}</url></resources>"
        for n, url in enumerate(urls(xml=True))
    )
    text = text.replace("<state>", extra + "<state>", 1)
    return re.sub(r"<title>[^<]*</title>", f"<title>Hostile {remote_id}</title>", text).encode()


# ------------------------------------------------------------------------ the cases


@dataclass(frozen=True)
class Case:
    backend: str
    source_path: str
    install: Callable[[LoopbackServer, int], None]
    """Serve the catalog for run 1 or 2 (run 2 may differ outside the record)."""
    kept: frozenset[str]
    extra_kept: int = 0
    """Resources the catalog holds besides ours (the MAAF sample descriptor's data file)."""


def _static(
    path: str, body: Callable[[int], bytes], headers: dict[str, str]
) -> Callable[..., None]:
    def install(server: LoopbackServer, run: int) -> None:
        server.script(path, Reply(body=body(run), headers=headers))

    return install


def _rdf(document: bytes, comment: bytes) -> Callable[[int], bytes]:
    return lambda run: document + (comment if run == 2 else b"")


def _csw(records: str) -> Callable[[int], bytes]:
    return lambda run: csw_page(records) + (b"\n<!-- run 2 -->" if run == 2 else b"")


def _ckan(server: LoopbackServer, run: int) -> None:
    body = {"success": True, "result": {"count": 1, "results": [ckan_hostile("h-ckan")]}}
    server.script(SEARCH, Reply(body=json.dumps(body, indent=run).encode(), headers=JSON_HEADERS))


def _maaf(server: LoopbackServer, run: int) -> None:
    base = server.url("").rstrip("/")
    server.script(
        "/maaf/", Reply(body=maaf_listing(("h.xml",)), headers={"Content-Type": "text/html"})
    )
    server.script("/maaf/h.xml", Reply(body=maaf_hostile("h-maaf", base), headers=XML_HEADERS))


RDFXML_PAGE = ('<?xml version="1.0"?>' + rdfxml_dataset("h-rdfxml")).encode()
CASES = [
    Case(
        "dcat",
        "/catalog.rdf",
        _static(
            "/catalog.rdf",
            _rdf(RDFXML_PAGE, b"<!-- run 2 -->"),
            {"Content-Type": "application/rdf+xml"},
        ),
        frozenset(KEPT_XML),
    ),
    Case(
        "dcat",
        "/catalog.ttl",
        _static(
            "/catalog.ttl",
            _rdf(turtle_catalog("h-turtle"), b"# run 2\n"),
            {"Content-Type": "text/turtle"},
        ),
        frozenset(KEPT),
    ),
    Case(
        "dcat",
        "/catalog.jsonld",
        _static(
            "/catalog.jsonld",
            _rdf(jsonld_catalog("h-jsonld"), b"\n"),
            {"Content-Type": "application/ld+json"},
        ),
        frozenset(KEPT),
    ),
    Case(
        "csw-dcat",
        "/csw",
        _static("/csw", _csw(rdfxml_dataset("h-csw-dcat")), XML_HEADERS),
        frozenset(KEPT_XML),
    ),
    Case(
        "csw-iso-19139",
        "/csw",
        _static("/csw", _csw(iso_record("h-iso")), XML_HEADERS),
        frozenset(KEPT_XML),
    ),
    Case("ckan", "/", _ckan, frozenset(KEPT)),
    Case("maaf", "/maaf/", _maaf, frozenset(KEPT_XML), extra_kept=1),
]
IDS = ["dcat-rdfxml", "dcat-turtle", "dcat-jsonld", "csw-dcat", "csw-iso-19139", "ckan", "maaf"]


def item_logs(db: Session, item_id: str) -> list[tuple[str, str]]:
    rows = db.execute(
        select(HarvestLogRow.level, HarvestLogRow.message)
        .where(HarvestLogRow.item_id == item_id)
        .order_by(HarvestLogRow.seq)
    )
    return [(level, message) for level, message in rows]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_each_bad_value_drops_alone(case: Case, harvester: Harvester, db: Session) -> None:
    with loopback_server({}) as server:
        case.install(server, 1)
        source = harvester.source(server.url(case.source_path), case.backend)
        first = harvester.run(source)
        assert first.job.status == "done", [e.message for e in first.errors]
        [item] = first.items
        assert item.status == "done"
        assert first.item_errors(db, item) == []
        dataset = db.get(Dataset, item.dataset_id)
        assert dataset is not None
        assert dataset.title.startswith("Hostile ")
        kept = list(db.scalars(select(Resource.url).where(Resource.dataset_id == dataset.id)))
        assert case.kept <= set(kept)
        assert len(kept) == len(case.kept) + case.extra_kept
        assert not (dataset.harvest_remote_url or "").lower().startswith("javascript")

        warnings = [message for level, message in item_logs(db, item.id) if level == "WARNING"]
        for fragment in BAD.values():
            assert [m for m in warnings if fragment in m], f"no warning names {fragment}"
        encoded = [m for m in warnings if "characters a URL cannot hold" in m]
        assert any(json.dumps(QUOTED_ENCODED) in m for m in encoded)

        case.install(server, 2)
        again = harvester.run(source)
        assert again.job.status == "done"
        assert [i.status for i in again.items] == ["done"]
        assert again.job.items_unchanged == 1
        kept_again = db.scalars(select(Resource.url).where(Resource.dataset_id == dataset.id))
        assert sorted(kept_again) == sorted(kept)


def test_a_bad_language_tag_is_dropped_and_logged(harvester: Harvester, db: Session) -> None:
    with loopback_server({}) as server:
        server.script(
            "/catalog.rdf", Reply(body=RDFXML_PAGE, headers={"Content-Type": "application/rdf+xml"})
        )
        run = harvester.run(harvester.source(server.url("/catalog.rdf"), "dcat"))
        [item] = run.items
        dataset = db.get(Dataset, item.dataset_id)
        assert dataset is not None
        assert dataset.description == "A description"
        assert dataset.harvest_uri == 'https://data.example.org/ds/h-rdfxml?"><b'
        assert (
            "WARNING",
            "Value dropped: language tag '***' of <http://purl.org/dc/terms/description> "
            '"A description" (not a language tag; the text is kept without it)',
        ) in item_logs(db, item.id)
