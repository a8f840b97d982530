"""Address classification and the URI test used by matching (no sockets)."""

from __future__ import annotations

import ipaddress

import pytest

from moisson.http.retry import retry_after_seconds
from moisson.http.ssrf import blocked_reason, embedded_ipv4, is_public_url


class TestClassification:
    def test_embedded_ipv4_is_found(self) -> None:
        assert str(embedded_ipv4(ipaddress.ip_address("::ffff:10.0.0.1"))) == "10.0.0.1"
        assert str(embedded_ipv4(ipaddress.ip_address("64:ff9b::808:808"))) == "8.8.8.8"
        assert embedded_ipv4(ipaddress.ip_address("2001:db8::1")) is None

    def test_public_addresses_pass(self) -> None:
        assert blocked_reason(ipaddress.ip_address("8.8.8.8")) is None
        assert blocked_reason(ipaddress.ip_address("64:ff9b::808:808")) is None
        assert blocked_reason(ipaddress.ip_address("2a00:1450:4007:80e::200e")) is None

    def test_documentation_ranges_are_not_public(self) -> None:
        assert blocked_reason(ipaddress.ip_address("2001:db8::1")) is not None

    def test_allow_list_covers_embedded_addresses(self) -> None:
        allow = [ipaddress.IPv4Network("10.0.0.0/8")]
        assert blocked_reason(ipaddress.ip_address("::ffff:10.0.0.1"), allow) is None


class TestPublicUrl:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("https://data.example.org/dataset/1", True),
            ("http://8.8.8.8/x", True),
            ("http://10.0.0.1/x", False),
            ("http://localhost/x", False),
            ("ftp://data.example.org/x", False),
            ("urn:uuid:1234", False),
            ("dataset-42", False),
            ("http://example/x", False),
        ],
    )
    def test_is_public_url(self, url: str, expected: bool) -> None:
        assert is_public_url(url) is expected


class TestRetryAfter:
    def test_values(self) -> None:
        assert retry_after_seconds("12") == 12.0
        assert retry_after_seconds(None) is None
        assert retry_after_seconds("soon") is None
        assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
