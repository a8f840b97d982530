"""SSRF refusals the first outbound tests do not cover: other spellings of loopback and
private addresses, DNS rebinding, redirects to internal targets, other schemes, and the
engine failing such a source. Each target is a live loopback server that must see nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.http_server import Reply, loopback_server
from tests.integration.harvest.conftest import load_run, make_source
from tests.integration.outbound.test_outbound_client import tuned

from moisson.config import Settings
from moisson.harvest.engine import run_job
from moisson.http import BlockedAddress, build_client
from moisson.http.ssrf import system_resolver
from moisson.services.runs import create_pending_job


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("2130706433", "loopback"),  # decimal 127.0.0.1
        ("0x7f.0.0.1", "loopback"),  # hex
        ("0x7f000001", "loopback"),  # one hex number
        ("127.1", "loopback"),  # short form
        ("017700000001", "loopback"),  # one octal number
        ("[::ffff:127.0.0.1]", "loopback"),  # IPv4-mapped IPv6
        ("[::ffff:7f00:1]", "loopback"),  # the same, hex words
        ("[0:0:0:0:0:0:0:1]", "loopback"),  # ::1 spelled out
        ("[::ffff:192.168.0.1]", "private"),
        ("[fc00::1]", "private"),
        ("[::]", "unspecified"),
        ("0", "unspecified"),
        ("169.254.169.254", "link-local"),
        ("[fe80::a9fe:a9fe]", "link-local"),
    ],
)
def test_encoded_addresses_are_refused(settings: Settings, host: str, reason: str) -> None:
    with loopback_server({"/": Reply(body=b"internal secret")}) as server:
        url = f"http://{host}:{server.port}/"
        with (
            build_client(tuned(settings, allow_loopback=False), backend_id="dcat") as client,
            pytest.raises(BlockedAddress) as info,
        ):
            client.get(url)
        assert reason in str(info.value)
        assert server.requests == []


def test_an_octal_dotted_address_is_refused_before_any_lookup(settings: Settings) -> None:
    with loopback_server({"/": Reply(body=b"internal secret")}) as server:
        client = build_client(tuned(settings, allow_loopback=False), backend_id="dcat")
        with client, pytest.raises(httpx.InvalidURL, match="Invalid IPv4 address"):
            client.get(f"http://0177.0.0.1:{server.port}/")
        assert server.requests == []


class TestRebinding:
    def test_the_vetted_address_is_the_one_connected_to(self, settings: Settings) -> None:
        """One lookup per connection: a second answer (loopback) is never consulted between
        the check and the connect."""
        answers = [["127.0.0.1"], ["10.0.0.1"]]
        asked: list[str] = []

        def rebinding(host: str, port: int) -> list[str]:
            asked.append(host)
            return answers[min(len(asked), len(answers)) - 1]

        with loopback_server({"/": Reply(body=b"public data")}) as server:
            client = build_client(tuned(settings), backend_id="dcat", resolver=rebinding)
            with client:
                assert client.get(f"http://catalog.test:{server.port}/").text == "public data"
                assert asked == ["catalog.test"]
                # A new connection looks up again, and gets the rebound private answer.
                client.get(f"http://catalog.test:{server.port}/", headers={"Connection": "close"})
                with pytest.raises(BlockedAddress) as info:
                    client.get(f"http://other.test:{server.port}/")
            assert "10.0.0.1" in str(info.value)
            assert "private" in str(info.value)
            assert len(server.requests) == 2

    def test_a_name_with_public_and_loopback_answers_never_reaches_loopback(
        self, settings: Settings
    ) -> None:
        def mixed(host: str, port: int) -> list[str]:
            return ["127.0.0.1", "::1"]

        with loopback_server({"/": Reply(body=b"secret")}) as server:
            client = build_client(
                tuned(settings, allow_loopback=False), backend_id="dcat", resolver=mixed
            )
            with client, pytest.raises(BlockedAddress) as info:
                client.get(f"http://rebind.test:{server.port}/")
            assert "127.0.0.1" in str(info.value)
            assert "::1" in str(info.value)
            assert server.requests == []


@pytest.mark.parametrize(
    ("location", "refused"),
    [
        ("http://[::1]:{port}/internal", "::1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::ffff:10.0.0.1]/", "::ffff:a00:1"),
        ("http://0x0a000001/", "10.0.0.1"),
        ("http://internal.test/admin", "10.0.0.2"),
    ],
)
def test_redirects_to_internal_targets_are_refused(
    settings: Settings, location: str, refused: str
) -> None:
    """The remote is on an allowed address (127.0.0.1 only); where it redirects is not."""

    def resolver(host: str, port: int) -> list[str]:
        return ["10.0.0.2"] if host == "internal.test" else system_resolver(host, port)

    with loopback_server({"/go": Reply(status=302)}) as remote:
        target = location.format(port=remote.port)
        remote.script("/go", Reply(status=302, headers={"Location": target}))
        client = build_client(
            tuned(settings), backend_id="dcat", follow_redirects=True, resolver=resolver
        )
        with client, pytest.raises(BlockedAddress) as info:
            client.get(remote.url("/go"))
        assert refused in str(info.value)
        assert len(remote.requests) == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "scheme none (not absolute)"),
        ("file://localhost/etc/passwd", "scheme 'file'"),
        ("ftp://127.0.0.1/x", "scheme 'ftp'"),
        ("gopher://127.0.0.1:70/_x", "scheme 'gopher'"),
        ("dict://127.0.0.1/", "scheme 'dict'"),
    ],
)
def test_other_schemes_are_refused_with_a_message(
    settings: Settings, url: str, message: str
) -> None:
    with (
        build_client(tuned(settings), backend_id="dcat") as client,
        pytest.raises(httpx.UnsupportedProtocol) as info,
    ):
        client.get(url)
    assert message in str(info.value)
    assert "only absolute http and https URLs are fetched" in str(info.value)


@pytest.mark.parametrize(
    ("url", "names"),
    [
        ("http://2130706433/catalog", "127.0.0.1"),
        ("http://[::ffff:169.254.169.254]/latest", "link-local"),
        ("file:///etc/passwd", "only absolute http and https URLs are fetched"),
    ],
)
def test_the_engine_fails_a_source_on_an_internal_target(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, url: str, names: str
) -> None:
    source = make_source(db, url=url, backend="dcat")
    job = create_pending_job(db, source)
    db.commit()
    run_job(session_factory, tuned(settings, allow_loopback=False), job.id)
    db.expire_all()
    result = load_run(db, job.id)
    assert result.job.status == "failed"
    assert names in result.errors[0].message
    assert result.items == []
