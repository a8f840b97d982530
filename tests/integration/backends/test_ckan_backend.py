"""The CKAN backend against a loopback CKAN API serving recorded and generated packages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.conftest import LOCAL_FIXTURES, SHARED_FIXTURES
from tests.integration.backends.ckan_server import Canned, CkanReplayServer, ok

from moisson.backends.ckan import CkanBackend, filters_to_fq
from moisson.domain.drafts import DatasetDraft
from moisson.domain.exceptions import SourceInvalid, SourceUnavailable
from moisson.domain.records import RemoteRecord, content_hash
from moisson.domain.source_config import SourceFilter
from moisson.harvest.context import RunContext, make_context

DEMO = SHARED_FIXTURES / "ckan" / "demo.ckan.org-2017"
VARIANTS = LOCAL_FIXTURES / "ckan"


def demo_packages() -> list[dict[str, Any]]:
    packages: list[dict[str, Any]] = json.loads((DEMO / "packages.json").read_text())["result"][
        "results"
    ]
    return packages


def demo_show_answers() -> dict[str, Canned]:
    """The recorded package_show files, served under each package's name."""
    answers = {}
    for path in DEMO.glob("*-*-*-*-*.json"):
        body = path.read_bytes()
        answers[json.loads(body)["result"]["name"]] = Canned(body=body)
    return answers


def generated(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"00000000-0000-4000-8000-{n:012d}",
            "name": f"dataset-{n}",
            "title": f"Dataset {n}",
            "organization": {"name": "even" if n % 2 == 0 else "odd"},
            "tags": [{"name": f"tag-{n % 3}"}],
            "resources": [{"id": f"r{n}", "url": f"https://example.org/{n}.csv"}],
        }
        for n in range(count)
    ]


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def context(server: CkanReplayServer, client: httpx.Client, **config: Any) -> RunContext:
    return make_context(CkanBackend.info, server.url, client, config=config)


def gather(backend: CkanBackend, ctx: RunContext) -> list[RemoteRecord]:
    return list(backend.gather(ctx))


class TestSearchPath:
    def test_demo_catalog(self, client: httpx.Client) -> None:
        with CkanReplayServer(demo_packages()) as server:
            ctx = context(server, client)
            backend = CkanBackend()
            records = gather(backend, ctx)
            drafts = [backend.map(record, ctx) for record in records]
        assert [r.remote_id for r in records] == [
            "62513382-3b26-4bc8-9096-40b6ce8383c0",
            "9c3036b8-f6ac-4a4e-9036-5a3cc90c3900",
            "17be64bb-da74-4195-9bb8-565c39846af2",
        ]
        assert all(r.content_hash == content_hash(r.payload) for r in records)
        assert records[0].url == f"{server.url}dataset/100-validated-species-of-plants"
        assert server.counts == {"package_search": 1}
        assert [d.title for d in drafts] == [
            "100 Validated Species of Plants",
            "規管海外物業銷售",
            "2016 Regione Asia Est Oceania * Classi di età",
        ]
        italian = drafts[2]
        assert italian.license == "cc-by"
        assert italian.tags == ("2016", "eta", "rase")
        assert italian.harvest.ckan_name == "2016-regione-asia-est-oceania-classi-di-eta"
        assert italian.extras == {"Anno": "2016", "ckan:organization": "sdb"}
        assert [r.format for r in italian.resources] == ["csv"]
        # A `url` that is a web URL is the remote page (docs/udata-backends.md §6.2).
        assert drafts[1].harvest.remote_url is not None
        assert drafts[1].harvest.remote_url.startswith("http://www.legco.gov.hk/")

    def test_search_request(self, client: httpx.Client) -> None:
        with CkanReplayServer(demo_packages()) as server:
            gather(CkanBackend(), context(server, client, apikey="secret-key"))
        ((path, query, headers),) = server.requests
        assert path == "/api/3/action/package_search"
        assert query == {"rows": "1000", "start": "0", "sort": "metadata_created asc, id asc"}
        assert headers["Authorization"] == "secret-key"

    def test_preview_asks_small_pages(self, client: httpx.Client) -> None:
        with CkanReplayServer(generated(120)) as server:
            ctx = make_context(CkanBackend.info, server.url, client, preview=True)
            records = gather(CkanBackend(), ctx)
        assert len(records) == 120
        assert [q["rows"] for _, q, _ in server.requests] == ["50", "50", "50"]

    def test_redirect_is_reported(self, client: httpx.Client) -> None:
        moved = Canned(301, b"", "text/plain", location="https://elsewhere.example.org/")
        with (
            CkanReplayServer(canned={"package_search": moved, "package_list": moved}) as server,
            pytest.raises(
                SourceInvalid,
                match=r"Redirect \(301\) not allowed: .*package_list -> https://elsewhere",
            ),
        ):
            gather(CkanBackend(), context(server, client))

    def test_site_under_a_path(self, client: httpx.Client) -> None:
        with CkanReplayServer(demo_packages(), prefix="/portal") as server:
            records = gather(CkanBackend(), context(server, client))
        assert len(records) == 3
        assert server.requests[0][0] == "/portal/api/3/action/package_search"

    def test_two_thousand_datasets_cost_two_requests(self, client: httpx.Client) -> None:
        with CkanReplayServer(generated(2000)) as server:
            records = gather(CkanBackend(page_size=1000), context(server, client))
        assert server.counts == {"package_search": 2}
        assert [q["start"] for _, q, _ in server.requests] == ["0", "1000"]
        assert len({r.remote_id for r in records}) == 2000

    def test_server_capping_rows_loses_nothing(self, client: httpx.Client) -> None:
        with CkanReplayServer(generated(2000), rows_max=300) as server:
            records = gather(CkanBackend(page_size=1000), context(server, client))
        assert len({r.remote_id for r in records}) == 2000
        assert server.counts == {"package_search": 7}

    def test_empty_catalog(self, client: httpx.Client) -> None:
        with CkanReplayServer([]) as server:
            assert gather(CkanBackend(), context(server, client)) == []
        assert server.counts == {"package_search": 1}

    def test_server_ignoring_start_fails_the_source(self, client: httpx.Client) -> None:
        page = ok({"count": 5, "results": generated(2)})
        with (
            CkanReplayServer(canned={"package_search": Canned(body=page)}) as server,
            pytest.raises(SourceInvalid, match="does not page with `start`"),
        ):
            gather(CkanBackend(page_size=2), context(server, client))
        assert server.counts == {"package_search": 2}

    def test_search_without_count_fails_the_source(self, client: httpx.Client) -> None:
        with (
            CkanReplayServer(canned={"package_search": Canned(body=ok({"results": []}))}) as srv,
            pytest.raises(SourceInvalid, match="without a count"),
        ):
            gather(CkanBackend(), context(srv, client))

    def test_non_object_result_fails_only_its_record(self, client: httpx.Client) -> None:
        page = ok({"count": 2, "results": ["oops", generated(1)[0]]})
        with CkanReplayServer(canned={"package_search": Canned(body=page)}) as server:
            records = gather(CkanBackend(), context(server, client))
        assert records[0].failure is not None
        assert records[1].remote_id == generated(1)[0]["id"]


class TestFilters:
    def test_fq_translation(self) -> None:
        assert filters_to_fq([]) == ""
        assert filters_to_fq([SourceFilter("organization", "org")]) == 'organization:"org"'
        assert (
            filters_to_fq(
                [SourceFilter("organization", "org"), SourceFilter("tags", 'a "b"', exclude=True)]
            )
            == 'organization:"org" AND -tags:"a \\"b\\""'
        )

    @pytest.mark.parametrize(
        ("filters", "expected_names"),
        [
            ([{"key": "organization", "value": "even"}], {"dataset-0", "dataset-2", "dataset-4"}),
            (
                [{"key": "organization", "value": "even", "type": "exclude"}],
                {"dataset-1", "dataset-3", "dataset-5"},
            ),
            (
                [
                    {"key": "organization", "value": "even"},
                    {"key": "tags", "value": "tag-1", "type": "exclude"},
                ],
                {"dataset-0", "dataset-2"},
            ),
        ],
    )
    def test_filters_reach_the_search(
        self, client: httpx.Client, filters: list[dict[str, str]], expected_names: set[str]
    ) -> None:
        with CkanReplayServer(generated(6)) as server:
            records = gather(CkanBackend(), context(server, client, filters=filters))
        assert {r.payload["name"] for r in records} == expected_names
        assert "fq" in server.requests[0][1]

    def test_no_fallback_with_filters(self, client: httpx.Client) -> None:
        canned = {"package_search": Canned(404, b"Not found", "text/plain")}
        with CkanReplayServer(generated(2), canned=canned) as server:
            ctx = context(server, client, filters=[{"key": "tags", "value": "x"}])
            with pytest.raises(SourceInvalid, match="404 Client Error"):
                gather(CkanBackend(), ctx)
        assert "package_list" not in server.counts


class TestFallback:
    def test_demo_catalog_by_list_and_show(self, client: httpx.Client) -> None:
        canned = {"package_search": Canned(404, b"<html>no search</html>", "text/html")}
        names = json.loads((DEMO / "package_list.json").read_text())["result"]
        with CkanReplayServer(names=names, show=demo_show_answers(), canned=canned) as server:
            ctx = context(server, client)
            backend = CkanBackend()
            records = gather(backend, ctx)
            drafts = [backend.map(record, ctx) for record in records]
        assert server.counts == {"package_search": 1, "package_list": 1, "package_show": 3}
        assert [r.payload["name"] for r in records] == names
        assert records[0].remote_id == "62513382-3b26-4bc8-9096-40b6ce8383c0"
        assert all(isinstance(d, DatasetDraft) for d in drafts)
        assert drafts[2].title == "2016 Regione Asia Est Oceania * Classi di età"

    def test_search_error_envelope_falls_back(self, client: httpx.Client) -> None:
        envelope = {"success": False, "error": {"message": "Search is disabled"}}
        canned = {"package_search": Canned(200, envelope)}
        with CkanReplayServer(generated(3), canned=canned) as server:
            records = gather(CkanBackend(), context(server, client))
        assert len(records) == 3
        assert server.counts["package_show"] == 3

    def test_bounded_concurrency_in_list_order(self, client: httpx.Client) -> None:
        canned = {"package_search": Canned(404, b"", "text/plain")}
        with CkanReplayServer(generated(24), canned=canned, show_delay=0.03) as server:
            records = gather(CkanBackend(show_concurrency=4), context(server, client))
        assert [r.payload["name"] for r in records] == [f"dataset-{n}" for n in range(24)]
        assert 2 <= server.max_in_flight <= 4

    def test_stopping_early_stops_fetching(self, client: httpx.Client) -> None:
        canned = {"package_search": Canned(404, b"", "text/plain")}
        with CkanReplayServer(generated(50), canned=canned) as server:
            iterator = CkanBackend(show_concurrency=2).gather(context(server, client))
            first = next(iterator)
            iterator.close()  # what the engine does at max_items
        assert first.payload["name"] == "dataset-0"
        assert server.counts["package_show"] <= 5

    def test_show_failure_fails_only_its_record(self, client: httpx.Client) -> None:
        denied = {"success": False, "error": {"__type": "Authorization Error", "message": "No"}}
        show = {"dataset-1": Canned(403, denied)}
        canned = {"package_search": Canned(404, b"", "text/plain")}
        with CkanReplayServer(generated(3), show=show, canned=canned, names=None) as server:
            records = gather(CkanBackend(), context(server, client))
        assert [r.remote_id for r in records] == [
            generated(3)[0]["id"],
            "dataset-1",
            generated(3)[2]["id"],
        ]
        failed = records[1]
        assert failed.failure is not None
        assert failed.failure.startswith("package_show failed: 403 Client Error")
        assert "Authorization Error: No" in failed.failure

    def test_unknown_name_fails_only_its_record(self, client: httpx.Client) -> None:
        canned = {"package_search": Canned(404, b"", "text/plain")}
        with CkanReplayServer(generated(1), names=["dataset-0", "ghost"], canned=canned) as srv:
            records = gather(CkanBackend(), context(srv, client))
        assert records[0].failure is None
        assert records[1].remote_id == "ghost"
        assert records[1].failure is not None
        assert "Not Found Error: Not found" in records[1].failure


def envelope(name: str) -> Canned:
    return Canned(200, (VARIANTS / name).read_bytes())


class TestListingErrors:
    """Listing errors fail the source with the remote message
    (docs/udata-backends.md §6.1 and §8.3)."""

    @pytest.mark.parametrize(
        ("answer", "expected"),
        [
            (envelope("error-string.json"), "an error"),
            (envelope("error-message.json"), "an error"),
            (envelope("error-typed.json"), "Authorization Error: Access denied"),
            (Canned(200, b'"Some error"', "text/plain"), "Some error"),
            (Canned(200, (VARIANTS / "error.html").read_bytes(), "text/html"), "returned HTML"),
            (
                Canned(400, (VARIANTS / "error.html").read_bytes(), "text/html"),
                "400 Client Error: Bad Request for url: ",
            ),
        ],
    )
    def test_package_list(self, client: httpx.Client, answer: Canned, expected: str) -> None:
        canned = {"package_search": Canned(404, b"", "text/plain"), "package_list": answer}
        with (
            CkanReplayServer(canned=canned) as server,
            pytest.raises(SourceInvalid) as error,
        ):
            gather(CkanBackend(), context(server, client))
        assert expected in str(error.value)
        assert "Oops" not in str(error.value)  # an HTML body never leaks into the message
        assert "package_show" not in server.counts

    def test_exact_envelope_message(self, client: httpx.Client) -> None:
        canned = {
            "package_search": Canned(404, b"", "text/plain"),
            "package_list": envelope("error-typed.json"),
        }
        with (
            CkanReplayServer(canned=canned) as server,
            pytest.raises(SourceInvalid) as error,
        ):
            gather(CkanBackend(), context(server, client))
        assert str(error.value) == "Authorization Error: Access denied"

    def test_server_error_on_search_is_transient(self, client: httpx.Client) -> None:
        canned = {"package_search": Canned(503, b"busy", "text/plain")}
        with (
            CkanReplayServer(canned=canned) as server,
            pytest.raises(SourceUnavailable, match="503 Server Error"),
        ):
            gather(CkanBackend(), context(server, client))
        assert "package_list" not in server.counts

    def test_package_list_not_a_list(self, client: httpx.Client) -> None:
        canned = {
            "package_search": Canned(404, b"", "text/plain"),
            "package_list": Canned(200, ok({"names": []})),
        }
        with (
            CkanReplayServer(canned=canned) as server,
            pytest.raises(SourceInvalid, match="did not return a list"),
        ):
            gather(CkanBackend(), context(server, client))

    def test_transport_errors_propagate(self, client: httpx.Client) -> None:
        with CkanReplayServer() as server:
            url = server.url
        # The server is gone: the connection is refused.
        ctx = make_context(CkanBackend.info, url, client)
        with pytest.raises(httpx.TransportError):
            gather(CkanBackend(), ctx)


def test_registered() -> None:
    from moisson.backends import all_backends

    backends = all_backends()
    assert backends["ckan"] is CkanBackend
    assert CkanBackend.info.as_api()["filters"] == [
        {
            "label": "Organization",
            "key": "organization",
            "type": "string",
            "description": "A CKAN Organization name",
        },
        {"label": "Tag", "key": "tags", "type": "string", "description": "A CKAN tag name"},
    ]
