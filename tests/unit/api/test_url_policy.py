from __future__ import annotations

import ipaddress
import socket

import pytest

from moisson.services.url_policy import outbound_url_problem


def resolver_to(*addresses: str):  # a DNS answer, as socket.getaddrinfo gives it
    def resolve(host: str, port: object, **kwargs: object) -> list:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in addresses]

    return resolve


def unresolvable(host: str, port: object, **kwargs: object) -> list:
    raise socket.gaierror(-2, "Name or service not known")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://1.1.1.1/catalog", None),
        ("http://[2606:4700::1111]/", None),
        ("ftp://data.example.test/", "Invalid scheme ftp"),
        ("data.example.test/x", "Invalid scheme (none)"),
        ("http:///nohost", 'Invalid URL "http:///nohost"'),
        ("http://127.0.0.2/", "is a local URL"),
        ("http://[::1]/", "is a local URL"),
        ("http://0.0.0.0/", "is a local URL"),
        ("http://192.168.1.1/", "is a private URL"),
        ("http://169.254.169.254/latest", "is a private URL"),
        ("http://[fe80::1]/", "is a private URL"),
        ("http://[::ffff:10.0.0.1]/", "is a private URL"),
        ("http://240.0.0.1/", "is a private URL"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast IP"),
        ("http://x.localhost/", "is a local URL"),
        ("http://host:99999/", "Invalid URL"),
    ],
)
def test_literal_addresses_and_schemes(url: str, reason: str | None) -> None:
    problem = outbound_url_problem(url, resolver=unresolvable)
    if reason is None:
        assert problem is None
    else:
        assert problem is not None
        assert reason in problem


def test_hostnames_resolving_inside_are_refused() -> None:
    problem = outbound_url_problem(
        "https://intranet.example.test/", resolver=resolver_to("8.8.8.8", "10.0.0.5")
    )
    assert problem == 'Invalid URL "https://intranet.example.test/": is a private URL'
    assert outbound_url_problem("https://ok.example.test/", resolver=resolver_to("8.8.8.8")) is None


def test_unresolvable_hostnames_are_accepted_at_write_time() -> None:
    assert outbound_url_problem("https://later.example.test/", resolver=unresolvable) is None


def test_allowed_networks() -> None:
    allow = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.0/8")]
    assert outbound_url_problem("http://10.2.3.4/", allow) is None
    assert outbound_url_problem("http://localhost:8000/", allow) is None
    assert (
        outbound_url_problem("http://intranet.example.test/", allow, resolver_to("10.0.0.5"))
        is None
    )
    assert outbound_url_problem("http://192.168.0.1/", allow) is not None
