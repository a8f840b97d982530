"""Each backend's resume cursor: what it writes on the records it yields, and where a resumed
`gather` starts again from it (`moisson.backends.paging`)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import httpx
import pytest
from tests.conftest import SHARED_FIXTURES
from tests.integration.backends.ckan_server import CkanReplayServer
from tests.integration.backends.csw_replay import CswReplay, csw_context
from tests.integration.backends.directory_server import DirectoryServer

from moisson.backends.ckan import CkanBackend, CkanOffsetPaginator
from moisson.backends.csw import CswPaginator
from moisson.backends.csw_iso19139 import CswIso19139Backend
from moisson.backends.dcat import DcatBackend, HydraPaginator
from moisson.backends.dkan import DkanBackend
from moisson.backends.maaf import MaafBackend
from moisson.backends.paging import Paginator, cursor_int, cursor_str, resume_at
from moisson.domain.enums import ItemKind
from moisson.domain.exceptions import CursorRejected
from moisson.domain.json import Json
from moisson.domain.records import RemoteRecord
from moisson.harvest.context import RunContext, make_context


def gathered(backend: Any, ctx: RunContext, cursor: Json | None = None) -> list[RemoteRecord]:
    return list(backend.gather(replace(ctx, resume=cursor)))


class TestPagingHelpers:
    def test_resume_at_starts_at_the_mark_inclusive(self) -> None:
        assert list(resume_at("abcde", str, "c")) == ["c", "d", "e"]
        assert list(resume_at("abcde", str, None)) == list("abcde")

    def test_a_mark_no_longer_listed_is_refused_once_the_listing_is_read(self) -> None:
        with pytest.raises(CursorRejected, match="x is no longer listed"):
            list(resume_at("abc", str, "x"))

    @pytest.mark.parametrize("value", [None, "3", -1, True, 2.5])
    def test_an_unusable_number_is_refused(self, value: object) -> None:
        with pytest.raises(CursorRejected, match="'start'"):
            cursor_int({"start": value}, "start")

    def test_values_are_read(self) -> None:
        assert cursor_int({"start": 40}, "start") == 40
        assert cursor_str({"url": "https://x.test/p2"}, "url") == "https://x.test/p2"
        with pytest.raises(CursorRejected):
            cursor_str({"url": ""}, "url")


class TestPaginators:
    """The three paginators share the `Paginator` protocol, and a cursor one writes is where
    the same paginator, resuming from it, stands."""

    def test_hydra(self) -> None:
        paginator = HydraPaginator("https://d.test/catalog")
        paginator.take()
        paginator.advance("https://d.test/catalog", "?page=2")
        assert isinstance(paginator, Paginator)
        cursor = paginator.cursor()
        assert cursor == {"url": "https://d.test/catalog?page=2", "page": 1}
        assert HydraPaginator.resuming("https://d.test/catalog", cursor).take() == (
            1,
            "https://d.test/catalog?page=2",
        )

    def test_ckan(self) -> None:
        paginator = CkanOffsetPaginator(rows=2)
        paginator.advance({"count": 5, "results": [{"id": "a"}, {"id": "b"}]})
        assert isinstance(paginator, Paginator)
        cursor = paginator.cursor()
        assert cursor == {"start": 2, "count": 5}
        again = CkanOffsetPaginator.resuming(2, cursor)
        assert (again.start, again.count, again.params()) == (2, 5, {"rows": 2, "start": 2})

    def test_csw(self) -> None:
        paginator = CswPaginator()
        paginator.matched = 9
        paginator.follow(4, matched=9)
        assert isinstance(paginator, Paginator)
        cursor = paginator.cursor()
        assert cursor == {"start": 4, "matched": 9}
        assert CswPaginator.resuming(cursor).start == 4


def packages(count: int) -> list[dict[str, Any]]:
    return [
        {"id": f"id-{n}", "name": f"dataset-{n}", "title": f"Dataset {n}"} for n in range(count)
    ]


class TestCkan:
    def context(self, server: CkanReplayServer, client: httpx.Client) -> RunContext:
        return make_context(CkanBackend.info, server.url, client)

    def test_records_carry_the_offset_of_their_page_and_a_resumed_walk_starts_there(self) -> None:
        with CkanReplayServer(packages(8)) as server, httpx.Client() as client:
            ctx = self.context(server, client)
            records = gathered(CkanBackend(page_size=3), ctx)
            # The last record of a page points to the next page (what follows it starts
            # there); the last page has no next one, so its records point to it.
            assert [r.resume for r in records] == [
                {"start": s, "count": 8} for s in (0, 0, 3, 3, 3, 6, 6, 6)
            ]
            server.requests.clear()
            again = gathered(CkanBackend(page_size=3), ctx, records[4].resume)
        assert [r.remote_id for r in again] == [f"id-{n}" for n in range(3, 8)]
        assert [q["start"] for _path, q, _h in server.requests] == ["3", "6"]

    def test_new_datasets_meanwhile_are_followed(self) -> None:
        with CkanReplayServer(packages(10)) as server, httpx.Client() as client:
            again = gathered(
                CkanBackend(page_size=3), self.context(server, client), {"start": 6, "count": 8}
            )
        assert [r.remote_id for r in again] == [f"id-{n}" for n in range(6, 10)]

    def test_deleted_datasets_meanwhile_refuse_the_offset(self) -> None:
        refused = pytest.raises(CursorRejected, match="counts 7 datasets, 8 when the job started")
        with CkanReplayServer(packages(7)) as server, httpx.Client() as client, refused:
            gathered(
                CkanBackend(page_size=3), self.context(server, client), {"start": 3, "count": 8}
            )

    def test_package_list_resumes_at_the_name_it_stopped_at(self) -> None:
        with CkanReplayServer(packages(5)) as server, httpx.Client() as client:
            ctx = make_context(DkanBackend.info, server.url, client)
            records = gathered(DkanBackend(), ctx)
            assert [r.resume for r in records] == [{"name": f"dataset-{n}"} for n in range(5)]
            server.counts.clear()
            again = gathered(DkanBackend(), ctx, {"name": "dataset-3"})
            assert [r.remote_id for r in again] == ["id-3", "id-4"]
            assert server.counts["package_show"] == 2
            with pytest.raises(CursorRejected, match="dataset-9 is no longer listed"):
                gathered(DkanBackend(), ctx, {"name": "dataset-9"})


SERVICE_PAGE = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
{body}
<{this}> a hydra:PartialCollectionView {next} .
"""


def dataset(n: int) -> str:
    return (
        f'<https://d.test/ds/{n}> a dcat:Dataset ; dct:identifier "ds-{n}" ; '
        f'dct:title "Dataset {n}" .\n'
    )


def service(n: int) -> str:
    return (
        f'<https://d.test/api/{n}> a dcat:DataService ; dct:identifier "api-{n}" ; '
        f'dct:title "API {n}" ; dcat:endpointURL <https://d.test/api/{n}/> .\n'
    )


def dcat_pages(bodies: list[str]) -> httpx.MockTransport:
    """Turtle pages `…/catalog?page=N` (1-based) with the given bodies, linked by hydra:next."""

    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        if page > len(bodies):
            return httpx.Response(404)
        this = f"https://d.test/catalog?page={page}"
        following = (
            f"; hydra:next <https://d.test/catalog?page={page + 1}>" if page < len(bodies) else ""
        )
        text = SERVICE_PAGE.format(body=bodies[page - 1], this=this, next=following)
        return httpx.Response(200, text=text, headers={"Content-Type": "text/turtle"})

    return httpx.MockTransport(answer)


class TestDcat:
    def context(self, bodies: list[str]) -> RunContext:
        client = httpx.Client(transport=dcat_pages(bodies))
        return make_context(DcatBackend.info, "https://d.test/catalog?page=1", client)

    def test_records_carry_their_page_and_a_resumed_walk_starts_there(self) -> None:
        ctx = self.context([dataset(1) + dataset(2), dataset(3), dataset(4)])
        records = gathered(DcatBackend(), ctx)
        assert [r.resume for r in records] == [
            {"url": "https://d.test/catalog?page=1", "page": 0},
            {"url": "https://d.test/catalog?page=2", "page": 1},  # the last of page 1
            {"url": "https://d.test/catalog?page=3", "page": 2},
            {"url": "https://d.test/catalog?page=3", "page": 2},  # the last page
        ]
        again = gathered(DcatBackend(), ctx, records[1].resume)
        assert [(r.remote_id, r.kwargs["page_number"]) for r in again] == [("ds-3", 1), ("ds-4", 2)]

    def test_the_cursor_stays_at_the_first_page_holding_a_dataservice(self) -> None:
        # Dataservices are yielded after the last page: resuming past the page of one would
        # lose it.
        ctx = self.context([dataset(1), dataset(2) + service(1), dataset(3), service(2)])
        records = gathered(DcatBackend(), ctx)
        page_2 = {"url": "https://d.test/catalog?page=2", "page": 1}
        assert [(r.remote_id, r.resume) for r in records] == [
            ("ds-1", page_2),  # what follows page 1 starts at page 2
            ("ds-2", page_2),
            ("ds-3", page_2),
            ("api-1", page_2),
            ("api-2", page_2),
        ]
        again = gathered(DcatBackend(), ctx, page_2)
        assert [r.remote_id for r in again] == ["ds-2", "ds-3", "api-1", "api-2"]
        assert {r.kind for r in again[2:]} == {ItemKind.DATASERVICE}

    def test_a_page_link_that_answers_a_client_error_is_refused(self) -> None:
        ctx = self.context([dataset(1)])
        with pytest.raises(CursorRejected, match="HTTP 404"):
            gathered(DcatBackend(), ctx, {"url": "https://d.test/catalog?page=7", "page": 6})


GEONETWORK = {n: SHARED_FIXTURES / "csw" / f"geonetwork-iso19139-page-{n}.xml" for n in (1, 3, 5)}


class TestCsw:
    def test_records_carry_their_start_position_and_the_count_matched(self) -> None:
        server = CswReplay(dict(GEONETWORK))
        records = gathered(CswIso19139Backend(), csw_context(CswIso19139Backend.info, server))
        starts = [r.resume["start"] for r in records if r.resume]
        assert starts == [1, 3, 3, 5, 5, 5]  # the last of a page points to the next one
        matched = {r.resume["matched"] for r in records if r.resume}
        assert len(matched) == 1
        assert isinstance(matched.pop(), int)

    def test_a_resumed_walk_starts_at_its_position(self) -> None:
        server = CswReplay(dict(GEONETWORK))
        ctx = csw_context(CswIso19139Backend.info, server)
        records = gathered(CswIso19139Backend(), ctx)
        server.requests.clear()
        again = gathered(CswIso19139Backend(), ctx, records[2].resume)
        assert server.starts == [3, 5]
        assert [r.remote_id for r in again] == [r.remote_id for r in records[2:]]

    def test_a_different_count_matched_is_refused(self) -> None:
        server = CswReplay(dict(GEONETWORK))
        ctx = csw_context(CswIso19139Backend.info, server)
        with pytest.raises(CursorRejected, match="numberOfRecordsMatched is"):
            gathered(CswIso19139Backend(), ctx, {"start": 3, "matched": 999})
        assert server.starts == [3]
        with pytest.raises(CursorRejected, match="no usable 'start'"):
            gathered(CswIso19139Backend(), ctx, {"start": 0, "matched": None})


class TestMaaf:
    def test_a_resumed_crawl_fetches_descriptors_from_the_one_it_stopped_at(
        self, maaf_server: DirectoryServer, http_client: httpx.Client
    ) -> None:
        ctx = make_context(
            MaafBackend.info,
            f"{maaf_server.base_url}/maaf/",
            http_client,
            log=logging.getLogger("tests.maaf.resume"),
        )
        records = gathered(MaafBackend(), ctx)
        assert len(records) == 2
        assert [r.resume for r in records] == [{"descriptor": r.url} for r in records]
        again = gathered(MaafBackend(), ctx, records[1].resume)
        assert [r.remote_id for r in again] == [records[1].remote_id]
        with pytest.raises(CursorRejected, match="no longer listed"):
            gathered(MaafBackend(), ctx, {"descriptor": f"{maaf_server.base_url}/maaf/gone.xml"})
