"""Credentials sent only to the source's own origin (scheme, host and port).

`OriginBoundTransport` is the outermost transport of a source's client, so it sees every
request the client really sends: each followed redirect hop and each retry. For a request to
the bound origin it sets the credential headers; for any other request it removes them.
httpx itself drops `Authorization` on a cross-origin redirect but copies every other header,
an API-key header included: removing them here is what keeps a redirect to another host, a
Hydra next page on a mirror, or a linked document from receiving the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: httpx.URL | str) -> tuple[str, str, int]:
    """`(scheme, host, port)` with the default port made explicit."""
    parsed = httpx.URL(url)
    scheme = parsed.scheme.lower()
    return scheme, parsed.host.lower(), parsed.port or _DEFAULT_PORTS.get(scheme, 0)


@dataclass(frozen=True, slots=True)
class BoundCredentials:
    """Headers to send, and the one origin they may be sent to."""

    origin: tuple[str, str, int]
    headers: Mapping[str, str] = field(repr=False)

    @classmethod
    def for_url(cls, url: str, headers: Mapping[str, str]) -> BoundCredentials:
        return cls(origin=origin_of(url), headers=dict(headers))

    def __repr__(self) -> str:
        scheme, host, port = self.origin
        return f"BoundCredentials(origin='{scheme}://{host}:{port}', headers=<hidden>)"


class OriginBoundTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, credentials: BoundCredentials) -> None:
        self.inner = inner
        self.credentials = credentials

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for name in self.credentials.headers:
            request.headers.pop(name, None)
        if origin_of(request.url) == self.credentials.origin:
            request.headers.update(self.credentials.headers)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
