"""Malicious and broken remote input: each is refused with a clear error on its item or job,
or harvested when it legitimately can be; nothing crashes the worker, memory stays bounded."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.http_server import Reply, Seen, loopback_server
from tests.reliability.catalogs import MAAF, SEARCH, ckan_package, maaf_descriptor, maaf_listing
from tests.reliability.conftest import Harvester, tight

from moisson.backends import all_backends
from moisson.backends.ckan import _read_envelope
from moisson.domain.drafts import DatasetDraft
from moisson.mapping.ckan import dataset_from_ckan
from moisson.mapping.licenses import LicenseTable
from moisson.mapping.rdf import RdfParseError, parse_graph
from moisson.mapping.xml import XmlError, parse_xml
from moisson.storage.models import Dataset, Resource

MB = 1024 * 1024
NOW = datetime(2024, 1, 1, tzinfo=UTC)
RDF_HEAD = (
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    b'xmlns:dct="http://purl.org/dc/terms/" xmlns:dcat="http://www.w3.org/ns/dcat#">'
)


def laughs(levels: int, root: bytes = b"rdf:RDF") -> bytes:
    """A "billion laughs" DTD: each entity is ten of the previous one."""
    decls = [b'<!ENTITY l0 "ha ha ha ha ha ha ha ha ha ha ha ha">']
    for n in range(1, levels + 1):
        decls.append(b'<!ENTITY l%d "%s">' % (n, b"".join(b"&l%d;" % (n - 1) for _ in range(10))))
    return b'<?xml version="1.0"?><!DOCTYPE ' + root + b" [" + b"".join(decls) + b"]>"


@contextmanager
def peak_memory(limit: int) -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit, f"peak memory {peak / MB:.0f} MB over {limit / MB:.0f} MB"


# ------------------------------------------------------------------- parser entry points


class TestXmlAttacks:
    def test_an_rdfxml_entity_bomb_is_refused_before_expansion(self) -> None:
        # pyoxigraph expands entities without bound: before the fix this document became a
        # 3.8 GB literal. The check refuses it up front.
        doc = laughs(9) + RDF_HEAD + b'<dcat:Dataset rdf:about="http://x/1"><dct:title>&l9;'
        doc += b"</dct:title></dcat:Dataset></rdf:RDF>"
        with peak_memory(50 * MB), pytest.raises(RdfParseError, match="entities expand to more"):
            parse_graph(doc, "xml")

    def test_rdfxml_namespace_entities_still_work(self) -> None:
        doc = (
            b'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY xsd '
            b'"http://www.w3.org/2001/XMLSchema#">]>'
            + RDF_HEAD
            + b'<rdf:Description rdf:about="http://x/1"><dct:issued rdf:datatype="&xsd;date">'
            b"2020-01-01</dct:issued></rdf:Description></rdf:RDF>"
        )
        assert len(parse_graph(doc, "xml")) == 1

    @pytest.mark.parametrize(
        ("decl", "kind"),
        [
            (b'<!ENTITY x SYSTEM "file:///etc/passwd">', "external"),
            (b'<!ENTITY x PUBLIC "-//x//EN" "http://127.0.0.1:9/x.dtd">', "external"),
            (b'<!ENTITY % x SYSTEM "http://127.0.0.1:9/evil.dtd"> %x;', "parameter"),
        ],
    )
    def test_rdfxml_external_and_parameter_entities_are_refused(
        self, decl: bytes, kind: str
    ) -> None:
        doc = b'<?xml version="1.0"?><!DOCTYPE rdf:RDF [' + decl + b"]>" + RDF_HEAD
        doc += b'<rdf:Description rdf:about="http://x/1"><dct:title>&x;</dct:title>'
        doc += b"</rdf:Description></rdf:RDF>"
        with pytest.raises(RdfParseError, match=f"declaring {kind} entities are refused"):
            parse_graph(doc, "xml")

    @pytest.mark.parametrize(
        "doc",
        [
            laughs(9, b"a") + b"<a>&l9;</a>",
            b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
            b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY % p SYSTEM "http://127.0.0.1:9/e.dtd">'
            b" %p;]><a/>",
        ],
        ids=["bomb", "xxe", "parameter-entity"],
    )
    def test_the_hardened_xml_parser_refuses_entities(self, doc: bytes) -> None:
        with peak_memory(50 * MB), pytest.raises(XmlError, match="declaring entities are refused"):
            parse_xml(doc)

    def test_deep_xml_is_refused(self) -> None:
        deep = b"<a>" * 100_000 + b"</a>" * 100_000
        with peak_memory(100 * MB), pytest.raises(XmlError, match="Excessive depth"):
            parse_xml(deep)

    def test_deep_rdfxml_is_refused_quickly(self) -> None:
        # pyoxigraph is quadratic in the nesting depth: 100,000 levels took minutes.
        levels = 100_000
        doc = (
            RDF_HEAD
            + b"<rdf:Description><dct:hasPart>" * levels
            + b"<rdf:Description/>"
            + b"</dct:hasPart></rdf:Description>" * levels
            + b"</rdf:RDF>"
        )
        started = time.monotonic()
        with peak_memory(100 * MB), pytest.raises(RdfParseError, match="256 levels"):
            parse_graph(doc, "xml")
        assert time.monotonic() - started < 5

    def test_rdfxml_nested_within_the_limit_parses(self) -> None:
        levels = 100
        doc = (
            RDF_HEAD
            + b"<rdf:Description><dct:hasPart>" * levels
            + b"<rdf:Description/>"
            + b"</dct:hasPart></rdf:Description>" * levels
            + b"</rdf:RDF>"
        )
        assert len(parse_graph(doc, "xml")) == levels


class TestDeepAndBrokenRdf:
    @pytest.mark.parametrize(
        ("doc", "fmt", "message"),
        [
            (b"[" * 100_000 + b"]" * 100_000, "json-ld", "Max stack size"),
            (
                b'{"@id": "http://x", "http://p": ' * 100_000 + b"1" + b"}" * 100_000,
                "json-ld",
                "Max stack size",
            ),
            (b'<http://x> <http://p> "\xff\xfe" .', "turtle", "Invalid UTF-8"),
            (b"<http://x> <http://p> .", "turtle", "not valid turtle"),
            (
                b'{"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "http://x"}',
                "json-ld",
                "127.0.0.1:9",
            ),
            (b"<rdf:RDF", "xml", "not valid xml"),
        ],
        ids=[
            "deep-json-array",
            "deep-json-object",
            "bad-utf8",
            "broken-turtle",
            "remote-context",
            "broken-xml",
        ],
    )
    def test_refused_with_a_message(self, doc: bytes, fmt: str, message: str) -> None:
        with peak_memory(200 * MB), pytest.raises(RdfParseError, match=message):
            parse_graph(doc, fmt)

    def test_deep_turtle_collections_parse_bounded(self) -> None:
        doc = b"<http://x> <http://p> " + b"( " * 5_000 + b") " * 5_000 + b" ."
        with peak_memory(100 * MB):
            assert len(parse_graph(doc, "turtle")) > 5_000

    def test_iris_with_spaces_are_kept(self) -> None:
        # GeoNetwork emits them; udata (rdflib) keeps them with a warning: so do we.
        graph = parse_graph(b'<http://x/a b> <http://purl.org/dc/terms/title> "v" .', "turtle")
        assert len(graph) == 1


# ------------------------------------------------------------------------ whole jobs


def _ckan_route(packages: list[dict[str, object]] | bytes) -> Callable[[Seen], Reply]:
    """One page holding every package, encoded once (tracemalloc slows encoding a lot)."""
    if isinstance(packages, bytes):
        body = packages
    else:
        result = {"count": len(packages), "results": packages}
        body = json.dumps({"success": True, "result": result}).encode()

    def search(seen: Seen) -> Reply:
        return Reply(body=body, headers={"Content-Type": "application/json"})

    return search


def run_ckan(harvester: Harvester, packages: list[dict[str, object]] | bytes):  # type: ignore[no-untyped-def]
    route = _ckan_route(packages)
    # Generous timeouts: tracemalloc slows the process (the server thread too) a lot.
    patient = tight(
        harvester.settings,
        read_timeout=10.0,
        max_response_seconds=30.0,
        max_response_bytes=20_000_000,
    )
    with loopback_server({SEARCH: route}) as server:
        return harvester.run(harvester.source(server.url("/"), "ckan"), settings=patient)


def map_bounded(package: dict[str, object], limit: int) -> DatasetDraft:
    """Decode and map the package as the backend does, under a memory bound. (The job run
    that follows is not traced: tracemalloc makes 10,000 ORM inserts take half a minute.)"""
    body = json.dumps(package).encode()
    with peak_memory(limit):
        draft = dataset_from_ckan(
            json.loads(body), licenses=LicenseTable.load(), site_url="https://ckan.test/", now=NOW
        )
    return draft


class TestHugeRecords:
    def test_ten_thousand_distributions_are_harvested_bounded(
        self, harvester: Harvester, db: Session
    ) -> None:
        package = ckan_package("huge")
        package["resources"] = [
            {"id": f"r{i}", "url": f"https://data.example.org/f{i}.csv", "format": "CSV"}
            for i in range(10_000)
        ]
        assert len(map_bounded(package, 200 * MB).resources) == 10_000
        result = run_ckan(harvester, [package])
        assert result.job.status == "done"
        dataset_id = result.items[0].dataset_id
        count = db.scalar(
            select(func.count()).select_from(Resource).where(Resource.dataset_id == dataset_id)
        )
        assert count == 10_000

    def test_fifty_thousand_keywords_are_harvested_bounded(
        self, harvester: Harvester, db: Session
    ) -> None:
        package = ckan_package("tags")
        package["tags"] = [{"name": f"keyword-{i}"} for i in range(50_000)]
        assert len(map_bounded(package, 200 * MB).tags) == 50_000
        result = run_ckan(harvester, [package])
        assert result.job.status == "done"
        dataset = db.get(Dataset, result.items[0].dataset_id)
        assert dataset is not None
        assert len(dataset.tags) == 50_000


class TestBrokenValues:
    def test_invalid_dates_and_numbers_fail_nothing_but_the_value(
        self, harvester: Harvester, db: Session
    ) -> None:
        package = ckan_package("odd")
        package.update(
            {
                "metadata_created": "not a date",
                "metadata_modified": "2020-13-45T99:99:99",
                "extras": [
                    {"key": "temporal_start", "value": "31/02/2020"},
                    {"key": "temporal_end", "value": "yesterday"},
                    {
                        "key": "spatial",
                        "value": '{"type": "Polygon", "coordinates": [["a", 1e400]]}',
                    },
                ],
            }
        )
        package["resources"][0].update({"size": "twelve", "created": "9999-99-99"})  # type: ignore[index]
        result = run_ckan(harvester, [package, ckan_package("fine")])
        assert result.job.status in ("done", "done-errors")
        assert [i.status for i in result.items][1] == "done"
        if result.items[0].status == "failed":
            assert result.item_errors(db, result.items[0])
        else:
            dataset = db.get(Dataset, result.items[0].dataset_id)
            assert dataset is not None
            assert dataset.temporal_start is None

    def test_a_package_without_title_fails_alone(self, harvester: Harvester, db: Session) -> None:
        bad = ckan_package("untitled")
        bad["title"] = None
        result = run_ckan(harvester, [bad, ckan_package("fine")])
        assert result.job.status == "done-errors"
        assert [i.status for i in result.items] == ["failed", "done"]
        assert "title" in result.item_errors(db, result.items[0])[0].lower()

    def test_invalid_utf8_json_fails_the_job_clearly(self, harvester: Harvester) -> None:
        result = run_ckan(harvester, b'{"success": true, "result": "\xff\xfe\xfa"}')
        assert result.job.status == "failed"
        assert result.errors
        assert result.errors[0].message

    def test_deep_json_fails_the_job_not_the_worker(self, harvester: Harvester) -> None:
        with peak_memory(200 * MB):
            result = run_ckan(harvester, b"[" * 100_000 + b"]" * 100_000)
        assert result.job.status == "failed"
        # package_search's answer is unreadable; the fallback to package_list (not served
        # here) then fails the job.
        assert "package_list" in result.errors[0].message

    def test_a_maaf_descriptor_with_an_entity_fails_its_item_alone(
        self, harvester: Harvester, db: Session
    ) -> None:
        with loopback_server({}) as server:
            base = server.url("").rstrip("/")
            evil = laughs(9, b"ETALAB") + b"<ETALAB><metadata><id>&l9;</id></metadata></ETALAB>"
            server.script("/maaf/", Reply(body=maaf_listing(("evil.xml", "good.xml"))))
            server.script("/maaf/evil.xml", Reply(body=evil))
            server.script("/maaf/good.xml", Reply(body=maaf_descriptor("good", base)))
            with peak_memory(100 * MB):
                result = harvester.run(harvester.source(server.url(MAAF.source_path), "maaf"))
        assert result.job.status == "done-errors"
        assert [i.status for i in result.items] == ["failed", "done"]
        assert "entities" in " ".join(result.item_errors(db, result.items[0]))

    def test_an_rdfxml_bomb_page_fails_the_dcat_job(self, harvester: Harvester) -> None:
        doc = laughs(9) + RDF_HEAD + b'<dcat:Dataset rdf:about="http://x/1"><dct:identifier>'
        doc += b"&l9;</dct:identifier></dcat:Dataset></rdf:RDF>"
        reply = Reply(body=doc, headers={"Content-Type": "application/rdf+xml"})
        with loopback_server({"/catalog.rdf": reply}) as server, peak_memory(100 * MB):
            result = harvester.run(harvester.source(server.url("/catalog.rdf"), "dcat"))
        assert result.job.status == "failed"
        assert "entities expand to more" in result.errors[0].message


def test_ckan_reads_deep_json_as_a_remote_error() -> None:
    """json's decoder recurses: deep nesting used to escape as a RecursionError (a "bug")."""
    response = httpx.Response(
        200, content=b"[" * 100_000 + b"]" * 100_000, request=httpx.Request("GET", "http://x/")
    )
    assert _read_envelope(response) == (None, "The response is JSON nested too deeply to be read")


def test_importing_one_backend_first_does_not_hide_the_others() -> None:
    """This module imports `moisson.backends.ckan` before any registry lookup; the registry
    used to load the built-in backends only when it was empty, and then knew CKAN alone."""
    assert {"dcat", "ckan", "csw-iso-19139", "maaf", "dkan"} <= set(all_backends())
