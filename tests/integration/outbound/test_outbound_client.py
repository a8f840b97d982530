"""The outbound client against real loopback sockets: SSRF refusals, redirects, timeouts,
retries, size cap. Loopback is allowed only in the tests that must reach the server."""

from __future__ import annotations

import gzip
import ipaddress
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from tests.http_server import Reply, loopback_server

from moisson.config import Settings
from moisson.http import BlockedAddress, RedirectNotAllowed, ResponseTooLarge, build_client

LOOPBACK = [ipaddress.IPv4Network("127.0.0.1/32")]


def tuned(settings: Settings, *, allow_loopback: bool = True, **http: object) -> Settings:
    base = {"backoff_base": 0.01, "max_retries": 2, "connect_timeout": 2.0, "read_timeout": 2.0}
    return settings.model_copy(
        update={
            "http": settings.http.model_copy(update={**base, **http}),
            "outbound_allow_networks": LOOPBACK if allow_loopback else [],
        }
    )


class TestSsrfGuard:
    @pytest.mark.parametrize(
        ("url", "ip", "reason"),
        [
            ("http://10.0.0.1/catalog", "10.0.0.1", "private"),
            ("http://192.168.1.20/", "192.168.1.20", "private"),
            ("http://100.64.0.7/", "100.64.0.7", "shared (CGNAT)"),
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "link-local"),
            ("http://127.0.0.1/", "127.0.0.1", "loopback"),
            ("http://0.0.0.0/", "0.0.0.0", "unspecified"),  # noqa: S104 (the target refused)
            ("http://224.0.0.1/", "224.0.0.1", "multicast"),
            ("http://[::1]/", "::1", "loopback"),
            ("http://[fd00::1]/", "fd00::1", "private"),
            ("http://[fe80::1]/", "fe80::1", "link-local"),
            ("http://[::ffff:10.0.0.1]/", "::ffff:a00:1", "private"),
            ("http://[2002:a00:1::]/", "2002:a00:1::", "private"),
            ("http://[64:ff9b::a00:1]/", "64:ff9b::a00:1", "private"),
        ],
    )
    def test_literal_non_public_addresses_are_refused(
        self, settings: Settings, url: str, ip: str, reason: str
    ) -> None:
        with (
            build_client(tuned(settings, allow_loopback=False), backend_id="dcat") as client,
            pytest.raises(BlockedAddress) as info,
        ):
            client.get(url)
        assert ip in str(info.value)
        assert reason in str(info.value)

    def test_a_name_resolving_to_loopback_is_refused(self, settings: Settings) -> None:
        with loopback_server({"/": Reply(body=b"secret")}) as server:
            url = f"http://localhost:{server.port}/"
            with (
                build_client(tuned(settings, allow_loopback=False), backend_id="dcat") as client,
                pytest.raises(BlockedAddress) as info,
            ):
                client.get(url)
            assert "localhost" in str(info.value)
            assert "127.0.0.1" in str(info.value)
            assert server.requests == []

    def test_allowed_networks_open_the_guard(self, settings: Settings) -> None:
        with (
            loopback_server({"/": Reply(body=b"hello")}) as server,
            build_client(tuned(settings), backend_id="dcat") as client,
        ):
            response = client.get(server.url("/"))
            assert response.text == "hello"
            assert server.requests[0].headers["User-Agent"].endswith("dcat)")

    def test_multicast_stays_refused_even_if_allowed(self, settings: Settings) -> None:
        opened = settings.model_copy(
            update={"outbound_allow_networks": [ipaddress.IPv4Network("224.0.0.0/4")]}
        )
        with build_client(opened, backend_id="dcat") as client, pytest.raises(BlockedAddress):
            client.get("http://224.0.0.1/")

    def test_other_schemes_are_refused(self, settings: Settings) -> None:
        with (
            build_client(tuned(settings), backend_id="dcat") as client,
            pytest.raises(httpx.UnsupportedProtocol),
        ):
            client.get("ftp://127.0.0.1/file")


class TestRedirects:
    def test_a_redirect_is_an_error_by_default(self, settings: Settings) -> None:
        routes = {"/old": Reply(status=302, headers={"Location": "/new"}), "/new": Reply()}
        with loopback_server(routes) as server:
            with (
                build_client(tuned(settings), backend_id="dcat") as client,
                pytest.raises(RedirectNotAllowed) as info,
            ):
                client.get(server.url("/old"))
            assert str(info.value) == f"Redirect (302) not allowed: {server.url('/old')} -> /new"

    def test_not_modified_is_an_answer_not_a_redirect(self, settings: Settings) -> None:
        with loopback_server({"/page": Reply(status=304)}) as server:
            with build_client(tuned(settings), backend_id="dcat") as client:
                response = client.get(server.url("/page"), headers={"If-None-Match": '"v1"'})
            assert response.status_code == 304

    def test_a_followed_redirect_to_a_private_address_is_refused(self, settings: Settings) -> None:
        routes = {"/go": Reply(status=302, headers={"Location": "http://10.1.2.3/internal"})}
        with loopback_server(routes) as server:
            client = build_client(tuned(settings), backend_id="dcat", follow_redirects=True)
            with client, pytest.raises(BlockedAddress) as info:
                client.get(server.url("/go"))
            assert "10.1.2.3" in str(info.value)

    def test_allowed_redirects_are_followed(self, settings: Settings) -> None:
        routes = {"/a": Reply(status=301, headers={"Location": "/b"}), "/b": Reply(body=b"B")}
        with loopback_server(routes) as server:
            client = build_client(tuned(settings), backend_id="dcat", follow_redirects=True)
            with client:
                assert client.get(server.url("/a")).text == "B"


class TestTimeoutsAndRetries:
    def test_a_silent_server_times_out(self, settings: Settings) -> None:
        with loopback_server({"/": Reply(delay=5)}) as server:
            slow = tuned(settings, read_timeout=0.2, max_retries=0)
            with build_client(slow, backend_id="dcat") as client, pytest.raises(httpx.ReadTimeout):
                client.get(server.url("/"))

    def test_a_timeout_is_retried(self, settings: Settings) -> None:
        replies = [Reply(delay=5), Reply(body=b"late but fine")]
        with loopback_server({"/": replies}) as server:
            slow = tuned(settings, read_timeout=0.2, max_retries=1)
            with build_client(slow, backend_id="dcat") as client:
                assert client.get(server.url("/")).text == "late but fine"
            assert len(server.requests) == 2

    def test_5xx_then_success_is_retried_with_backoff(self, settings: Settings) -> None:
        replies = [Reply(status=503), Reply(status=502), Reply(body=b"ok")]
        with (
            loopback_server({"/": replies}) as server,
            build_client(tuned(settings), backend_id="dcat") as client,
        ):
            response = client.get(server.url("/"))
            assert response.status_code == 200
            assert len(server.requests) == 3

    def test_retries_are_bounded(self, settings: Settings) -> None:
        with (
            loopback_server({"/": Reply(status=500)}) as server,
            build_client(tuned(settings, max_retries=2), backend_id="dcat") as client,
        ):
            assert client.get(server.url("/")).status_code == 500
            assert len(server.requests) == 3

    def test_a_404_is_not_retried(self, settings: Settings) -> None:
        with (
            loopback_server({"/": Reply(status=404)}) as server,
            build_client(tuned(settings), backend_id="dcat") as client,
        ):
            assert client.get(server.url("/")).status_code == 404
            assert len(server.requests) == 1

    def test_retry_after_seconds_is_honoured(self, settings: Settings) -> None:
        replies = [Reply(status=429, headers={"Retry-After": "1"}), Reply(body=b"ok")]
        with (
            loopback_server({"/": replies}) as server,
            build_client(tuned(settings), backend_id="dcat") as client,
        ):
            started = time.monotonic()
            assert client.get(server.url("/")).text == "ok"
            assert time.monotonic() - started >= 0.9

    def test_retry_after_as_http_date_is_honoured(self, settings: Settings) -> None:
        when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
        replies = [Reply(status=503, headers={"Retry-After": when}), Reply(body=b"ok")]
        with (
            loopback_server({"/": replies}) as server,
            build_client(tuned(settings), backend_id="dcat") as client,
        ):
            started = time.monotonic()
            assert client.get(server.url("/")).text == "ok"
            assert time.monotonic() - started >= 0.5

    def test_a_too_long_retry_after_is_not_waited_for(self, settings: Settings) -> None:
        replies = [Reply(status=429, headers={"Retry-After": "3600"}), Reply(body=b"ok")]
        with (
            loopback_server({"/": replies}) as server,
            build_client(tuned(settings), backend_id="dcat") as client,
        ):
            started = time.monotonic()
            assert client.get(server.url("/")).status_code == 429
            assert time.monotonic() - started < 1
            assert len(server.requests) == 1

    def test_a_reset_connection_is_retried(self, settings: Settings) -> None:
        with (
            loopback_server({"/": [Reply(reset=True), Reply(body=b"ok")]}) as server,
            build_client(tuned(settings), backend_id="dcat") as client,
        ):
            assert client.get(server.url("/")).text == "ok"

    def test_a_refused_connection_fails_after_retries(self, settings: Settings) -> None:
        with loopback_server({}) as server:
            port = server.port
        with (
            build_client(tuned(settings, max_retries=1), backend_id="dcat") as client,
            pytest.raises(httpx.ConnectError),
        ):
            client.get(f"http://127.0.0.1:{port}/")


class TestSizeCap:
    def test_a_declared_oversized_body_is_refused(self, settings: Settings) -> None:
        capped = tuned(settings, max_response_bytes=1000)
        with (
            loopback_server({"/": Reply(body=b"x" * 5000)}) as server,
            build_client(capped, backend_id="dcat") as client,
            pytest.raises(ResponseTooLarge) as info,
        ):
            client.get(server.url("/"))
        assert "1000 bytes" in str(info.value)

    def test_a_page_that_never_ends_is_cut(self, settings: Settings) -> None:
        capped = tuned(settings, max_response_bytes=1_000_000)
        with (
            loopback_server({"/": Reply(endless=True)}) as server,
            build_client(capped, backend_id="dcat") as client,
            pytest.raises(ResponseTooLarge),
        ):
            client.get(server.url("/"))

    def test_a_compression_bomb_is_cut_on_its_decoded_size(self, settings: Settings) -> None:
        bomb = gzip.compress(b"\0" * 5_000_000)
        assert len(bomb) < 100_000
        reply = Reply(body=bomb, headers={"Content-Encoding": "gzip"})
        capped = tuned(settings, max_response_bytes=1_000_000)
        with (
            loopback_server({"/": reply}) as server,
            build_client(capped, backend_id="dcat") as client,
            pytest.raises(ResponseTooLarge),
        ):
            client.get(server.url("/"))

    def test_compressed_bodies_under_the_cap_are_decoded(self, settings: Settings) -> None:
        reply = Reply(body=gzip.compress(b"hello " * 100), headers={"Content-Encoding": "gzip"})
        with (
            loopback_server({"/": reply}) as server,
            build_client(tuned(settings), backend_id="dcat") as client,
        ):
            assert client.get(server.url("/")).text == "hello " * 100

    def test_a_slow_drip_within_the_cap_is_read(self, settings: Settings) -> None:
        reply = Reply(body=b"abcdef", drip=0.01, chunk_size=2)
        with (
            loopback_server({"/": reply}) as server,
            build_client(tuned(settings), backend_id="dcat") as client,
        ):
            assert client.get(server.url("/")).content == b"abcdef"
