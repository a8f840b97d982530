"""URL status checks (MQA URL metrics) against real loopback servers."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from pyoxigraph import BlankNode, NamedNode
from tests.http_server import LoopbackServer, Reply, Seen, loopback_server

from moisson.config import HttpSettings, Settings
from moisson.harvest.url_status import UrlStatusChecker, guarded_client
from moisson.mapping.rdf.graph import RdfGraph
from moisson.mapping.rdf.namespaces import DCAT
from moisson.quality.mqa import Facts, score_dataset


def settings(allow: str = "127.0.0.0/8") -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        outbound_allow_networks=allow,  # type: ignore[arg-type]
        http=HttpSettings(max_retries=0),
    )


class FakeClock:
    """Time that passes only when the checker sleeps (the rate limit, without waiting)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    def head_refused(seen: Seen) -> Reply:
        if seen.method == "HEAD":
            return Reply(status=405)
        assert seen.headers.get("Range") == "bytes=0-0"
        return Reply(status=206, body=b"x")

    routes = {
        "/ok.csv": Reply(status=200, body=b"a,b\n1,2\n"),
        "/gone.csv": Reply(status=404),
        "/slow.csv": Reply(status=200, delay=3.0),
        "/private": Reply(status=302, headers={"Location": "http://10.1.2.3/secret"}),
        "/moved": Reply(status=301, headers={"Location": "/ok.csv"}),
        "/get-only": head_refused,
    }
    with loopback_server(routes) as running:
        yield running
    for made in MADE:
        made.close()
    MADE.clear()


MADE: list[UrlStatusChecker] = []


def checker(**options: object) -> UrlStatusChecker:
    clock = FakeClock()
    made = UrlStatusChecker(
        guarded_client(settings()),
        clock=clock,
        sleep=clock.sleep,
        **options,  # type: ignore[arg-type]
    )
    MADE.append(made)
    return made


def test_status_codes_of_live_and_missing_files(server: LoopbackServer) -> None:
    check = checker()
    assert check.status(server.url("/ok.csv")) == 200
    assert check.status(server.url("/gone.csv")) == 404
    assert check.answered_ok(server.url("/ok.csv")) is True
    assert check.answered_ok(server.url("/gone.csv")) is False
    assert check.answered_ok(server.url("/never-asked")) is None
    # HEAD only: no body is asked for.
    assert [r.method for r in server.requests] == ["HEAD", "HEAD"]


def test_head_refused_falls_back_to_a_one_byte_get(server: LoopbackServer) -> None:
    check = checker()
    assert check.status(server.url("/get-only")) == 206
    assert check.answered_ok(server.url("/get-only")) is True
    assert [r.method for r in server.requests] == ["HEAD", "GET"]


def test_a_public_redirect_is_followed(server: LoopbackServer) -> None:
    assert checker().status(server.url("/moved")) == 200


def test_a_redirect_to_a_private_address_is_refused(server: LoopbackServer) -> None:
    check = checker()
    assert check.status(server.url("/private")) is None
    assert check.answered_ok(server.url("/private")) is False


def test_a_loopback_url_is_refused_without_an_allow_list(server: LoopbackServer) -> None:
    with UrlStatusChecker(guarded_client(settings(allow=""))) as check:
        assert check.status(server.url("/ok.csv")) is None
    assert server.requests == []


def test_a_slow_server_is_given_up_on(server: LoopbackServer) -> None:
    check = checker(timeout=0.3)
    started = time.monotonic()
    assert check.status(server.url("/slow.csv")) is None
    assert time.monotonic() - started < 2.5  # a stall guard, not a speed goal


def test_requests_to_one_host_are_spaced(server: LoopbackServer) -> None:
    clock = FakeClock()
    check = UrlStatusChecker(
        guarded_client(settings()), per_host_interval=2.0, clock=clock, sleep=clock.sleep
    )
    MADE.append(check)
    check.check_all([server.url("/ok.csv"), server.url("/gone.csv"), server.url("/moved")])
    assert clock.slept == [2.0, 2.0]
    with loopback_server({"/ok.csv": Reply(status=200)}) as other_port:
        other = other_port.url("/ok.csv").replace("127.0.0.1", "localhost")
        check.status(other)  # another host: no wait
    assert clock.slept == [2.0, 2.0]


def test_each_url_is_asked_once_and_at_most_max_urls(server: LoopbackServer) -> None:
    check = checker(max_urls=1)
    urls = [server.url("/ok.csv"), server.url("/ok.csv"), server.url("/gone.csv")]
    results = check.check_all(urls)
    assert results == {server.url("/ok.csv"): 200}
    assert check.answered_ok(server.url("/gone.csv")) is None
    assert server.seen("/ok.csv") == 1
    assert server.seen("/gone.csv") == 0


def test_no_credentials_or_cookies_are_sent(server: LoopbackServer) -> None:
    check = checker()
    check.status(server.url("/ok.csv"))
    headers = {k.lower() for k in server.requests[0].headers}
    assert "authorization" not in headers
    assert "cookie" not in headers


def test_checked_urls_feed_the_mqa_url_metrics(server: LoopbackServer) -> None:
    live, gone = server.url("/ok.csv"), server.url("/gone.csv")
    dataset = NamedNode("https://example.org/d")
    alive, broken = BlankNode(), BlankNode()
    g = RdfGraph(
        [
            (dataset, DCAT.distribution, alive),
            (alive, DCAT.accessURL, NamedNode(live)),
            (alive, DCAT.downloadURL, NamedNode(live)),
            (dataset, DCAT.distribution, broken),
            (broken, DCAT.accessURL, NamedNode(gone)),
        ]
    )
    check = checker()
    check.check_all([live, gone])
    score = score_dataset(g, dataset, Facts(url_status=check.answered_ok))
    assert {"accessUrlStatusCode", "downloadUrlStatusCode"} <= score.met
    assert not score.unchecked & {"accessUrlStatusCode", "downloadUrlStatusCode"}
    only_gone = RdfGraph(
        [(dataset, DCAT.distribution, broken), (broken, DCAT.accessURL, NamedNode(gone))]
    )
    assert (
        "accessUrlStatusCode"
        not in score_dataset(only_gone, dataset, Facts(url_status=check.answered_ok)).met
    )
