"""Is a source URL acceptable at write time (docs/udata-behaviour.md §4.3 and §6.9)?

Only `http`/`https`, and never an address inside the machine or its private networks
(loopback, private, link-local, reserved, multicast, unspecified), whether written as a
literal IP or as a hostname resolving to one, unless it falls inside
`settings.outbound_allow_networks` (an operator harvesting an intranet portal).

A hostname that does not resolve at write time is accepted. The check here is advice to the
person registering the source; the protection is the outbound transport, which checks the
address of every connection it opens. Refusing unresolvable names would make registering a
source depend on the DNS of the moment, and would not make fetching any safer.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from moisson.http.ssrf import blocked_reason

ALLOWED_SCHEMES = ("http", "https")

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list[Any]]


def _forbidden_reason(ip: IpAddress, allow: Sequence[IpNetwork]) -> str | None:
    """udata's wording for the outbound guard's verdict on `ip`."""
    reason = blocked_reason(ip, allow)
    if reason is None:
        return None
    if reason in ("loopback", "unspecified"):
        return "is a local URL"
    if reason == "multicast":
        return f"{ip} is a multicast IP"
    return "is a private URL"


def _resolve(host: str, resolver: Resolver) -> list[IpAddress]:
    try:
        infos = resolver(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []  # unresolvable now: accepted, see the module docstring
    found = []
    for info in infos:
        try:
            found.append(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
        except ValueError:
            continue
    return found


def outbound_url_problem(
    url: str,
    allow_networks: Sequence[IpNetwork] = (),
    resolver: Resolver = socket.getaddrinfo,
) -> str | None:
    """Why Moisson may not call `url` (a source URL or a webhook target), in udata's
    words, or None if it may. Unlike `harvest.url_checks.metadata_url_problem` (may a URL
    stand in harvested metadata, checked offline), this one resolves the host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        return f'Invalid URL "{url}": {exc}'
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return (
            f'Invalid URL "{url}": Invalid scheme {parts.scheme or "(none)"}, '
            f"allowed schemes: {', '.join(ALLOWED_SCHEMES)}"
        )
    if not host:
        return f'Invalid URL "{url}"'
    addresses: list[IpAddress]
    if host == "localhost" or host.endswith(".localhost"):
        addresses = [ipaddress.ip_address("127.0.0.1")]  # whatever the resolver says
    else:
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            addresses = _resolve(host, resolver)
    for ip in addresses:
        reason = _forbidden_reason(ip, allow_networks)
        if reason is not None:
            return f'Invalid URL "{url}": {reason}'
    return None
