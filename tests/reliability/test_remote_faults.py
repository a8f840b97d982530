"""The remote fault matrix: every fault a remote catalog can throw at a real job, for every
backend it applies to, over real loopback sockets and the engine's own guarded client.

Each case first harvests the healthy catalog, then makes the remote misbehave and runs a
second job. It asserts the job's final status, that its error names the cause, how many
requests the remote saw (so retries are counted, not assumed), and that no dataset of the
first run was changed or archived because of the fault.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy.orm import Session
from tests.http_server import LoopbackServer, Reply, loopback_server
from tests.reliability.catalogs import CATALOGS, Catalog
from tests.reliability.conftest import Harvester, age_harvest, snapshot

from moisson.config import Settings
from moisson.http import build_client
from moisson.http.ssrf import system_resolver
from moisson.storage.models import HarvestSource

HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>Try again later.</p></body></html>"
)
RETRIES = 2  # `tight()` settings
ATTEMPTS = RETRIES + 1


@dataclass
class Stage:
    """What a fault hands the faulty run: another client or other settings, if any."""

    http: httpx.Client | None = None
    settings: Settings | None = None
    counter: list[str] | None = None
    """Hosts a test resolver was asked for (when the remote cannot count requests)."""


@dataclass(frozen=True)
class Expect:
    status: str
    message: str | None
    """A substring of one job-level error (`None`: no job error at all)."""
    entry_requests: int | None
    """Requests the entry path receives during the faulty run (`None`: not countable)."""


Inject = Callable[[LoopbackServer, Catalog, HarvestSource, Harvester], Stage]


def _move(source: HarvestSource, harvester: Harvester, *, host: str, port: int) -> None:
    parts = urlsplit(source.url)
    source.url = urlunsplit((parts.scheme, f"{host}:{port}", parts.path, parts.query, ""))
    harvester.db.commit()


def _script(build: Callable[[Catalog], Reply | list[Reply]]) -> Inject:
    def inject(server: LoopbackServer, catalog: Catalog, _s: HarvestSource, _h: Harvester) -> Stage:
        server.script(catalog.entry, build(catalog))
        return Stage()

    return inject


def _prepend(build: Callable[[Catalog], list[Reply]]) -> Inject:
    def inject(server: LoopbackServer, catalog: Catalog, _s: HarvestSource, _h: Harvester) -> Stage:
        server.prepend(catalog.entry, build(catalog))
        return Stage()

    return inject


def _headers(change: Callable[[dict[str, str]], dict[str, str]]) -> Inject:
    def inject(server: LoopbackServer, catalog: Catalog, _s: HarvestSource, _h: Harvester) -> Stage:
        server.wrap(
            catalog.entry, lambda reply: replace(reply, headers=change(dict(reply.headers)))
        )
        return Stage()

    return inject


def refused(server: LoopbackServer, _c: Catalog, source: HarvestSource, h: Harvester) -> Stage:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _move(source, h, host="127.0.0.1", port=port)
    return Stage()


def dns_failure(server: LoopbackServer, _c: Catalog, source: HarvestSource, h: Harvester) -> Stage:
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        if host.endswith(".invalid"):  # RFC 6761: never resolves; no DNS server consulted
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return system_resolver(host, port)

    _move(source, h, host="catalog.invalid", port=server.port)
    client = build_client(h.settings, backend_id="test", resolver=resolver)
    return Stage(http=client, counter=asked)


_BLACKHOLES: list[socket.socket] = []


@contextmanager
def blackhole() -> Iterator[int]:
    """A port whose listening socket never accepts and whose backlog is full: the kernel
    drops further SYNs, so a connect hangs until its timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.05)
    try:
        yield port
    finally:
        for sock in [*fillers, listener]:
            sock.close()


def connect_timeout(
    server: LoopbackServer, _c: Catalog, source: HarvestSource, h: Harvester
) -> Stage:
    hole = blackhole()
    port = hole.__enter__()
    _BLACKHOLE_CLOSERS.append(hole)
    _move(source, h, host="127.0.0.1", port=port)
    return Stage()


_BLACKHOLE_CLOSERS: list[object] = []


def _good(catalog: Catalog, **changes: object) -> Reply:
    return Reply(body=catalog.good_body, headers={"Content-Type": catalog.content_type}, **changes)  # type: ignore[arg-type]


FAULTS: dict[str, tuple[Inject, Expect, dict[str, Expect]]] = {
    "connection-refused": (
        refused,
        Expect("failed", "Connection refused", None),
        {},
    ),
    "dns-failure": (
        dns_failure,
        Expect("failed", "Cannot resolve host catalog.invalid", None),
        {},
    ),
    "connect-timeout": (
        connect_timeout,
        Expect("failed", "ConnectTimeout", None),
        {},
    ),
    "read-timeout": (
        _script(lambda c: _good(c, delay=3.0)),
        Expect("failed", "ReadTimeout", ATTEMPTS),
        {},
    ),
    "drip": (
        _script(lambda c: _good(c, drip=0.05, chunk_size=1)),
        Expect("failed", "took longer than 2s", 1),
        {},
    ),
    "reset-mid-body": (
        _script(lambda c: _good(c, reset_after=20)),
        Expect("failed", "without sending complete message body (received 20 bytes", 1),
        {},
    ),
    "truncated-body": (
        _script(
            lambda c: Reply(
                body=c.good_body[: len(c.good_body) // 2],
                headers={
                    "Content-Type": c.content_type,
                    "Content-Length": str(len(c.good_body)),
                    "Connection": "close",
                },
            )
        ),
        Expect("failed", "peer closed connection without sending complete message body", 1),
        {},
    ),
    "429-retry-after-recovers": (
        _prepend(lambda c: [Reply(status=429, headers={"Retry-After": "1"})]),
        Expect("done", None, 2),
        # GetCapabilities (asked twice: the 429 first), then 3 pages; the capabilities
        # answer is a GetRecords page, so udata's request is sent as is.
        {"csw-iso-19139": Expect("done", None, 2 + 3)},
    ),
    "429-retry-after-too-long": (
        _script(lambda c: Reply(status=429, headers={"Retry-After": "3600"})),
        Expect("failed", "429", 1),
        {},
    ),
    "429-no-retry-after": (
        _script(lambda c: Reply(status=429)),
        Expect("failed", "429", ATTEMPTS),
        {},
    ),
    "5xx-burst-recovers": (
        _prepend(lambda c: [Reply(status=503), Reply(status=502)]),
        Expect("done", None, 3),
        {"csw-iso-19139": Expect("done", None, 3 + 3)},  # GetCapabilities x3, 3 pages
    ),
    "5xx-persistent": (
        _script(lambda c: Reply(status=500, body=b"Internal Server Error")),
        Expect("failed", "500", ATTEMPTS),
        {},
    ),
    "html-error-page": (
        _script(lambda c: Reply(body=HTML_ERROR, headers={"Content-Type": "text/html"})),
        Expect("failed", "html", 1),
        {
            # The URL ends in .ttl: the page is read as Turtle, and refused.
            "dcat": Expect("failed", "The document is not valid turtle RDF", 1),
            # package_search answered HTML: CKAN falls back to package_list, which fails.
            "ckan": Expect("failed", "package_list", 1),
            # GetCapabilities answered HTML (unusable, udata's request follows), then
            # GetRecords: refused.
            "csw-iso-19139": Expect("failed", "root element 'html'", 2),
            # An HTML page *is* a directory listing to MAAF: one without links is an empty
            # directory. Nothing is archived: the ratio guard refuses (see empty-catalog).
            "maaf": Expect("done", "Autoarchive skipped", 1),
        },
    ),
    "wrong-content-type": (
        _headers(lambda h: {**h, "Content-Type": "application/rdf+xml"}),
        Expect("done", None, None),
        {
            # The body is byte for byte the one harvested before: the page cache replays it
            # as unchanged without parsing (test_dcat_trusts_the_content_type for a new one).
            "dcat": Expect("done", None, 1),
            "maaf": Expect("failed", "is not an HTML directory listing", 1),
        },
    ),
    "missing-content-type": (
        _headers(lambda h: {k: v for k, v in h.items() if k.lower() != "content-type"}),
        # Every backend copes: DCAT sniffs the syntax, the others do not depend on it.
        Expect("done", None, None),
        {},
    ),
    "endless-body": (
        _script(lambda c: Reply(endless=True)),
        Expect("failed", "larger than 1000000 bytes", 1),
        {},
    ),
    "paging-loops": (
        lambda server, catalog, _s, _h: (catalog.install_loop(server), Stage())[1],  # type: ignore[misc]
        Expect("failed", "loop", None),
        {
            "ckan": Expect("failed", "does not page with `start`", 2),
            "dcat": Expect("failed", "The catalog pages loop", 2),
            # GetCapabilities, then pages 1 and 3: the loop guard stops there.
            "csw-iso-19139": Expect("failed", "nextRecord 1 goes back from position 3, after 4", 3),
        },
    ),
    "empty-catalog": (
        lambda server, catalog, _s, _h: (catalog.install_empty(server), Stage())[1],
        # Every dataset vanished at once: the autoarchive ratio guard refuses and says so.
        Expect("done", "Autoarchive skipped", 1),
        {"csw-iso-19139": Expect("done", "Autoarchive skipped", 2)},  # + GetCapabilities
    ),
}

BACKENDS = ("dcat", "ckan", "csw-iso-19139", "maaf")
CASES = [
    pytest.param(fault, backend, id=f"{fault}-{backend}")
    for fault in FAULTS
    for backend in BACKENDS
    if not (fault == "paging-loops" and CATALOGS[backend].install_loop is None)
]
# DKAN shares CKAN's client code: one case proves the wiring.
CASES.append(pytest.param("5xx-persistent", "dkan", id="5xx-persistent-dkan"))


@pytest.mark.parametrize(("fault", "backend"), CASES)
def test_remote_fault(harvester: Harvester, db: Session, fault: str, backend: str) -> None:
    catalog = CATALOGS[backend]
    inject, default, overrides = FAULTS[fault]
    expect = overrides.get(backend, default)
    with loopback_server({}) as server:
        catalog.install(server)
        source = harvester.source(catalog.source_url(server), catalog.backend)
        first = harvester.run(source)
        assert first.job.status == "done", [e.message for e in first.errors]
        age_harvest(db, source)
        before = snapshot(db, source)
        assert len(before) == catalog.datasets
        already = server.seen(catalog.entry)

        stage = inject(server, catalog, source, harvester)
        started = time.monotonic()
        try:
            result = harvester.run(source, http=stage.http, settings=stage.settings)
        finally:
            if stage.http is not None:
                stage.http.close()
            while _BLACKHOLE_CLOSERS:
                _BLACKHOLE_CLOSERS.pop().__exit__(None, None, None)  # type: ignore[attr-defined]
        elapsed = time.monotonic() - started
        entry_requests = server.seen(catalog.entry) - already

    messages = [error.message for error in result.errors]
    assert result.job.status == expect.status, messages
    if expect.message is None:
        assert messages == []
    else:
        assert any(expect.message in message for message in messages), messages
    if expect.entry_requests is not None:
        assert entry_requests == expect.entry_requests
    if stage.counter is not None:  # the failing lookup was retried like any connect error
        assert stage.counter.count("catalog.invalid") == ATTEMPTS
    assert snapshot(db, source) == before, "a fault changed or archived harvested datasets"
    assert elapsed < 5, f"the fault took {elapsed:.1f}s to surface"


def test_dcat_trusts_the_content_type(harvester: Harvester) -> None:
    """Turtle announced as RDF/XML, on a first run: read as RDF/XML, and refused clearly."""
    body = CATALOGS["dcat"].good_body
    reply = Reply(body=body, headers={"Content-Type": "application/rdf+xml"})
    with loopback_server({"/catalog.ttl": reply}) as server:
        result = harvester.run(harvester.source(server.url("/catalog.ttl"), "dcat"))
    assert result.job.status == "failed"
    assert result.errors[0].message.startswith(
        f'Page "{server.url("/catalog.ttl")}": The document is not valid xml RDF'
    )
