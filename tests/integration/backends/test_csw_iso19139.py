"""csw-iso-19139 end to end: gather + map against a CSW replay server (MockTransport)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from tests.conftest import LOCAL_FIXTURES, SHARED_FIXTURES
from tests.harvesting import gather_and_map
from tests.integration.backends.csw_replay import URL, CswReplay, MemoryPageCache, csw_context

from moisson.backends import all_backends
from moisson.backends.csw import OGC, body_digest, page_key
from moisson.backends.csw_iso19139 import CswIso19139Backend
from moisson.domain.drafts import DatasetDraft
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import SourceInvalid
from moisson.domain.pages import CachedPage
from moisson.domain.records import RemoteRecord
from moisson.harvest.context import RunContext
from moisson.mapping.xml import parse_xml

SHARED = SHARED_FIXTURES / "csw"
LOCAL = LOCAL_FIXTURES / "csw"


def context(server: CswReplay, **kwargs: object) -> RunContext:
    return csw_context(CswIso19139Backend.info, server, **kwargs)


def harvest(ctx: RunContext) -> tuple[list[RemoteRecord], list[DatasetDraft]]:
    outcomes = gather_and_map(CswIso19139Backend(), ctx, strict=True)
    drafts = [o.draft for o in outcomes if isinstance(o.draft, DatasetDraft)]
    return [o.record for o in outcomes], drafts


GEONETWORK = {n: SHARED / f"geonetwork-iso19139-page-{n}.xml" for n in (1, 3, 5)}
GEOIDE = "http://catalogue.geo-ide.developpement-durable.gouv.fr/fr-120066022-orphan-residentifier"
GEONETWORK_IDS = [
    f"{GEOIDE}-140d31c6-643d-42a9-85df-2737a118e144",
    f"{GEOIDE}-6cf6120b-678c-41f1-aaa5-dccbb8efdafd",
    "http://descartes-dev.cete-mediterranee.i2/242416db-3527-42f5-b452-7e3a8db6f1fb",
    f"{GEOIDE}-8c59d4e1-0f15-4683-87df-766b5c2ce556",
    f"{GEOIDE}-c46794fd-005d-499a-9a9b-0627761d31a4",
    f"{GEOIDE}-cf8a3094-17b8-4929-b303-980d96563395",
]


class TestGeonetworkPages:
    def test_three_pages_six_datasets(self) -> None:
        server = CswReplay(dict(GEONETWORK))
        records, drafts = harvest(context(server))
        assert server.starts == [1, 3, 5]
        # udata's remote ids: the citation identifiers (RS_Identifier codeSpace/code).
        assert [r.remote_id for r in records] == GEONETWORK_IDS
        assert {r.kind for r in records} == {ItemKind.DATASET}
        assert [r.page for r in records[:3]] == [
            page_key(URL, 1),
            page_key(URL, 1),
            page_key(URL, 3),
        ]
        assert len(drafts) == 6
        assert drafts[0].title == "Plan local d'urbanisme de la commune de Cartigny"
        assert len(drafts[0].resources) == 1

    def test_payload_is_the_record_and_hash_is_stable(self) -> None:
        first, _ = harvest(context(CswReplay(dict(GEONETWORK))))
        again, _ = harvest(context(CswReplay(dict(GEONETWORK))))
        assert first[0].payload.startswith("<gmd:MD_Metadata")
        assert [r.content_hash for r in first] == [r.content_hash for r in again]
        assert len({r.content_hash for r in first}) == 6

    def test_request_asks_for_iso_19139(self) -> None:
        server = CswReplay(dict(GEONETWORK))
        harvest(context(server))
        body = parse_xml(server.requests[0].content)
        assert body.get("outputSchema") == "http://www.isotc211.org/2005/gmd"
        assert body.get("maxRecords") == "25"

    def test_remote_url_prefix(self) -> None:
        server = CswReplay({1: LOCAL / "remote-url-prefix.xml"})
        config = {
            "extra_configs": [{"key": "remote_url_prefix", "value": "http://catalog.example.com/"}]
        }
        records, drafts = harvest(context(server, config=config))
        assert [r.remote_id for r in records] == ["dataset-1"]  # the citation identifier
        assert drafts[0].harvest.remote_url == "http://catalog.example.com/id-1"
        assert drafts[0].harvest.dct_identifier == "dataset-1"


class TestSingleRecords:
    def test_geoplateforme_series(self) -> None:
        server = CswReplay({1: SHARED / "geoplateforme-iso19139-IGNF_RPG.xml"})
        records, drafts = harvest(context(server))
        assert [r.remote_id for r in records] == ["IGNF_RPG"]
        assert drafts[0].title == "RPG"
        assert len(drafts[0].resources) == 70

    def test_geoide_single_dataset(self) -> None:
        server = CswReplay({1: SHARED / "geoide-iso19139-single-dataset.xml"})
        _, drafts = harvest(context(server))
        assert drafts[0].title == "Plan local d'urbanisme de la commune de Combles"
        assert len(drafts[0].resources) == 6


class TestPagingBreakRules:
    def test_next_record_zero_ends(self) -> None:
        server = CswReplay({1: GEONETWORK[5]})
        records, _ = harvest(context(server))
        assert server.starts == [1]
        assert len(records) == 2

    def test_fewer_records_than_asked_still_follows_next_record(self) -> None:
        server = CswReplay({1: LOCAL / "short-page-1.xml", 2: LOCAL / "short-page-2.xml"})
        records, _ = harvest(context(server))
        assert server.starts == [1, 2]
        assert [r.remote_id for r in records] == [
            "dataset-short-1",
            "dataset-short-2",
            "dataset-short-3",
        ]

    def test_beyond_matched_stops(self, caplog: pytest.LogCaptureFixture) -> None:
        server = CswReplay({1: LOCAL / "beyond-matched.xml", 5: GEONETWORK[5]})
        records, _ = harvest(context(server))
        assert server.starts == [1]
        assert [r.remote_id for r in records] == ["dataset-beyond-1"]
        assert "beyond the 1 records matched" in caplog.text

    # A loop stops paging (docs/udata-backends.md §4.2); short of the records matched, the source
    # then fails after the records read, so that autoarchive does not take the walk for complete.
    def test_backwards_stops(self) -> None:
        server = CswReplay({1: LOCAL / "backwards-page-1.xml", 2: LOCAL / "backwards-page-2.xml"})
        records: list[RemoteRecord] = []
        with pytest.raises(SourceInvalid, match="goes back from position 2, after 2 of the 9"):
            records.extend(CswIso19139Backend().gather(context(server)))
        assert server.starts == [1, 2]
        assert [r.remote_id for r in records] == ["dataset-back-1", "dataset-back-2"]

    def test_not_advancing_stops(self) -> None:
        server = CswReplay({1: LOCAL / "backwards-page-1.xml", 2: LOCAL / "stuck-page-2.xml"})
        records: list[RemoteRecord] = []
        with pytest.raises(SourceInvalid, match="does not advance"):
            records.extend(CswIso19139Backend().gather(context(server)))
        assert server.starts == [1, 2]
        assert [r.remote_id for r in records] == ["dataset-back-1", "dataset-stuck-2"]

    def test_nothing_returned_stops(self) -> None:
        server = CswReplay({1: LOCAL / "empty-page.xml", 3: GEONETWORK[3]})
        records, _ = harvest(context(server))
        assert server.starts == [1]
        assert records == []


class TestErrors:
    def test_exception_report_fails_the_source(self) -> None:
        server = CswReplay({1: LOCAL / "exception-report.xml"})
        with pytest.raises(SourceInvalid, match="Failed to query CSW: NoApplicableCode") as exc:
            harvest(context(server))
        assert "Database connection lost" in str(exc.value)

    def test_refused_queryable_is_retried_with_the_other_spelling(self) -> None:
        def by_spelling(page: int) -> Callable[[bytes], Path]:
            def serve(body: bytes) -> Path:
                if b"apiso:Type" in body:
                    return GEONETWORK[page]
                return LOCAL / "exception-report-apiso-type.xml"

            return serve

        server = CswReplay({n: by_spelling(n) for n in (1, 3, 5)})
        records, _ = harvest(context(server))
        # Page 1 asked twice (lower-case, then capitalised); later pages use the
        # remembered spelling at once.
        assert server.starts == [1, 1, 3, 5]
        assert [b"apiso:Type" in r.content for r in server.requests] == [False, True, True, True]
        assert len(records) == 6

    def test_refused_queryable_every_time_fails_after_each_fallback(self) -> None:
        server = CswReplay({1: LOCAL / "exception-report-apiso-type.xml"})
        with pytest.raises(SourceInvalid, match="unknown queryable") as exc:
            harvest(context(server))
        # apiso:type, then apiso:Type, then no type filter: the message lists each attempt.
        assert len(server.requests) == 3
        assert [b"apiso:Type" in r.content for r in server.requests] == [False, True, False]
        assert b"PropertyIsEqualTo" not in server.requests[2].content
        assert str(exc.value).count("; then ") == 2

    def test_not_xml_fails_the_source(self, tmp_path: Path) -> None:
        html = tmp_path / "page.html"
        html.write_text("<html><body>Maintenance</p></body></html>")
        with pytest.raises(SourceInvalid, match="not usable XML"):
            harvest(context(CswReplay({1: html})))

    def test_http_error_propagates(self) -> None:
        with pytest.raises(httpx.HTTPStatusError):
            harvest(context(CswReplay({})))

    def test_xxe_page_fails_without_leaking(self) -> None:
        server = CswReplay({1: LOCAL / "xxe-page.xml"})
        with pytest.raises(SourceInvalid, match="entities are refused") as exc:
            harvest(context(server))
        assert "/etc/hostname" not in str(exc.value)

    def test_external_dtd_is_not_fetched(self) -> None:
        server = CswReplay({1: LOCAL / "external-dtd-page.xml"})
        records, drafts = harvest(context(server))
        assert [r.remote_id for r in records] == ["dataset-dtd-1"]
        assert len(server.requests) == 1  # only the GetRecords POST
        assert drafts[0].title == "DTD 1"

    def test_a_record_that_is_not_iso_fails_alone(self) -> None:
        server = CswReplay({1: LOCAL / "not-iso-record.xml"})
        records, drafts = harvest(context(server))
        failed, ok = records
        assert failed.remote_id is None
        assert failed.failure is not None
        assert "did not answer in ISO 19139" in failed.failure
        assert failed.failure_details is not None
        assert "<dc:title>Dublin Core</dc:title>" in failed.failure_details
        assert ok.remote_id == "dataset-iso-1"
        assert [d.title for d in drafts] == ["ISO 1"]


class TestPageCache:
    def test_pages_are_offered_to_the_cache(self) -> None:
        cache = MemoryPageCache()
        harvest(context(CswReplay(dict(GEONETWORK)), pages=cache))
        assert [p.key for p in cache.offered] == [page_key(URL, n) for n in (1, 3, 5)]
        assert [p.next_key for p in cache.offered] == ["3", "5", None]
        assert cache.offered[0].digest == body_digest(GEONETWORK[1].read_bytes())
        assert cache.offered[0].records == (
            (GEONETWORK_IDS[0], ItemKind.DATASET),
            (GEONETWORK_IDS[1], ItemKind.DATASET),
        )

    def test_an_unchanged_page_yields_remembered_records(self) -> None:
        first = MemoryPageCache()
        harvest(context(CswReplay(dict(GEONETWORK)), pages=first))
        remembered = {p.key: p for p in first.offered[:2]}  # pages 1 and 3 kept
        server = CswReplay(dict(GEONETWORK))
        records, drafts = harvest(context(server, pages=MemoryPageCache(remembered)))
        assert server.starts == [1, 3, 5]  # every page is still asked for
        assert [r.unchanged for r in records] == [True] * 4 + [False] * 2
        assert all(r.payload is None for r in records[:4])
        assert records[0].remote_id == GEONETWORK_IDS[0]
        assert len(drafts) == 2  # only page 5 is mapped

    def test_a_changed_page_is_read_again(self) -> None:
        stale = CachedPage(
            key=page_key(URL, 1), digest="old", records=(("gone", ItemKind.DATASET),), next_key="3"
        )
        server = CswReplay(dict(GEONETWORK))
        records, _ = harvest(context(server, pages=MemoryPageCache({stale.key: stale})))
        assert "gone" not in [r.remote_id for r in records]
        assert not any(r.unchanged for r in records)

    def test_pages_with_failures_are_not_offered(self) -> None:
        cache = MemoryPageCache()
        harvest(context(CswReplay({1: LOCAL / "not-iso-record.xml"}), pages=cache))
        assert cache.offered == []


def test_registered() -> None:
    assert all_backends()["csw-iso-19139"] is CswIso19139Backend
    info = CswIso19139Backend.info.as_api()
    assert info["label"] == "CSW-ISO-19139"
    assert [c["key"] for c in info["extra_configs"]] == ["remote_url_prefix"]


class TestCapabilities:
    def test_requests_follow_the_capabilities(self) -> None:
        server = CswReplay(dict(GEONETWORK), capabilities=LOCAL / "pycsw-capabilities.xml")
        records, _ = harvest(context(server))
        assert len(records) == 6
        assert len(server.capabilities_requests) == 1  # once per run
        for request in server.requests:
            names = [e.text for e in parse_xml(request.content).iter(f"{{{OGC}}}PropertyName")]
            assert names == ["apiso:Type"] * 4 + ["apiso:Identifier"]

    def test_refused_sort_is_dropped(self, caplog: pytest.LogCaptureFixture) -> None:
        def unless_sorted(page: int) -> Callable[[bytes], Path]:
            def serve(body: bytes) -> Path:
                return (
                    LOCAL / "exception-report-sort.xml" if b"SortBy" in body else GEONETWORK[page]
                )

            return serve

        server = CswReplay({n: unless_sorted(n) for n in (1, 3, 5)})
        records, _ = harvest(context(server))
        assert server.starts == [1, 1, 3, 5]
        assert [b"SortBy" in r.content for r in server.requests] == [True, False, False, False]
        assert len(records) == 6
        assert "asking again with type filter on apiso:type" in caplog.text

    def test_a_later_page_refused_fails_the_source(self) -> None:
        server = CswReplay({1: GEONETWORK[1], 3: LOCAL / "exception-report-sort.xml"})
        with pytest.raises(SourceInvalid, match="Invalid ogc:SortProperty"):
            harvest(context(server))
        assert server.starts == [1, 3]  # the query is not changed in the middle of a walk

    def test_matched_changing_during_the_run_fails_one_item(self) -> None:
        server = CswReplay({1: LOCAL / "short-page-1.xml", 2: LOCAL / "matched-grows-page-2.xml"})
        records, drafts = harvest(context(server))
        assert [r.remote_id for r in records[:3]] == [
            "dataset-short-1",
            "dataset-short-2",
            "dataset-short-3",
        ]
        assert len(drafts) == 3  # every record read is harvested
        last = records[3]
        assert last.remote_id is None
        assert last.failure is not None
        assert "numberOfRecordsMatched changed from 3 to 4" in last.failure
        assert "nothing is archived" in last.failure

    def test_server_without_iso_output_fails_at_once(self, tmp_path: Path) -> None:
        capabilities = tmp_path / "capabilities.xml"
        text = (LOCAL / "pycsw-capabilities.xml").read_text()
        capabilities.write_text(
            text.replace("http://www.isotc211.org/2005/gmd</ows:Value>", "x</ows:Value>")
        )
        server = CswReplay(dict(GEONETWORK), capabilities=capabilities)
        with pytest.raises(SourceInvalid, match="does not offer ISO 19139 output"):
            harvest(context(server))
        assert server.requests == []
