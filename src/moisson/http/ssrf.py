"""The SSRF guard: a transport that decides, at connect time, which addresses may be reached.

Why at connect time: checking a URL's host when a source is saved proves nothing, since DNS
can answer differently a second later (rebinding). `GuardedNetworkBackend` resolves the host
itself, classifies **every** candidate address, and connects to a vetted address, never to the
name again. TLS still verifies the certificate against the host name (httpcore passes the
original host as SNI), so connecting by IP loses nothing.

Refused unless inside `settings.outbound_allow_networks`: loopback, private, shared (CGNAT,
100.64/10), link-local (cloud metadata), reserved, IPv6 site-local and any other non-global
address. Always refused: multicast and the unspecified address. IPv6 addresses embedding an
IPv4 one (mapped `::ffff:a.b.c.d`, 6to4 `2002::/16`, NAT64 `64:ff9b::/96`, Teredo) are
classified by the embedded address, so `::ffff:10.0.0.1` is as private as `10.0.0.1`.

When a host has several addresses, refused ones are skipped and the others tried in order; a
connection error on an allowed address is reported in preference to the refusal (it is the
more useful message). Only `http` and `https` are fetched, and no proxy is ever used (the
guard could not see the final address).

`GuardedTransport` also caps response bodies while they stream (`ResponseTooLarge`). It
decodes gzip/deflate itself so that the cap applies to the decoded size too: a small
compressed body cannot expand into gigabytes.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import httpcore
import httpx

from moisson.http.errors import BlockedAddress, ResponseTooLarge

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})

Resolver = Callable[[str, int], Sequence[str]]
"""`(host, port) -> IP address strings`; raises `OSError` (e.g. `socket.gaierror`) when the
name does not resolve. A seam so that tests can play DNS (rebinding, failing lookups) without
a real resolver."""


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer (`getaddrinfo`), scope ids dropped."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]).split("%", 1)[0] for *_rest, sockaddr in infos]


_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, Teredo), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def blocked_reason(ip: IPAddress, allow: Sequence[IPNetwork] = ()) -> str | None:
    """Why `ip` may not be reached (`"private"`, `"loopback"`...), or `None` if it may."""
    candidates: list[IPAddress] = [ip]
    inner = embedded_ipv4(ip)
    if inner is not None:
        candidates.append(inner)
    for address in candidates:
        if address.is_multicast:
            return "multicast"
        if address.is_unspecified:
            return "unspecified"
    if any(address in network for address in candidates for network in allow):
        return None
    # A wrapper prefix (NAT64, 6to4...) is not public by itself: judge what it carries.
    return _non_public_reason(inner if inner is not None else ip)


def _non_public_reason(ip: IPAddress) -> str | None:
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "shared (CGNAT)"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "site-local"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-global"
    return None


def is_public_url(url: str, allow: Sequence[IPNetwork] = ()) -> bool:
    """Whether `url` is an http(s) URL with a public-looking host (no DNS lookup).

    Used to decide whether a remote id is a URI (matching rule of docs/udata-behaviour.md §6.5): the
    host must be a dotted name ending with an alphabetic TLD, or a public IP literal.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return False
    if parsed.scheme not in ALLOWED_SCHEMES or not parsed.host:
        return False
    host = parsed.host
    try:
        return blocked_reason(ipaddress.ip_address(host), allow) is None
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    tld = labels[-1]
    return len(labels) >= 2 and all(labels) and (tld.isalpha() or tld.startswith("xn--"))


class GuardedNetworkBackend(httpcore.SyncBackend):
    """An httpcore network backend that only connects to addresses the guard accepts."""

    def __init__(
        self, allow: Sequence[IPNetwork] = (), *, resolver: Resolver = system_resolver
    ) -> None:
        self.allow = tuple(allow)
        self.resolver = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        refused: list[tuple[str, str]] = []
        connect_error: Exception | None = None
        for ip in self._resolve(host, port):
            reason = blocked_reason(ip, self.allow)
            if reason is not None:
                refused.append((str(ip), reason))
                continue
            try:
                return super().connect_tcp(
                    str(ip), port, timeout, local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                connect_error = exc
        if connect_error is not None:
            raise connect_error
        raise BlockedAddress(host, refused)

    def _resolve(self, host: str, port: int) -> list[IPAddress]:
        # Resolved exactly once per connection, and the vetted address is what we connect
        # to: there is no second lookup a rebinding DNS server could answer differently.
        try:
            answers = self.resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"Cannot resolve host {host}: {exc}") from exc
        addresses: list[IPAddress] = []
        for answer in answers:
            ip = ipaddress.ip_address(answer)
            if ip not in addresses:
                addresses.append(ip)
        return addresses


_HTTPCORE_TO_HTTPX: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.NetworkError, httpx.NetworkError),
)


def _to_httpx(exc: Exception, request: httpx.Request) -> Exception:
    for core_type, httpx_type in _HTTPCORE_TO_HTTPX:
        if isinstance(exc, core_type):
            return httpx_type(str(exc) or core_type.__name__, request=request)
    return exc


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool whose every connection is SSRF-checked."""

    def __init__(
        self,
        *,
        allow: Sequence[IPNetwork] = (),
        verify: bool = True,
        max_response_bytes: int,
        max_seconds: float | None = None,
        max_connections: int = 20,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.max_response_bytes = max_response_bytes
        self.max_seconds = max_seconds
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            max_connections=max_connections,
            network_backend=GuardedNetworkBackend(allow, resolver=resolver),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in ALLOWED_SCHEMES:
            # httpx reads `file:///x` as a relative URL (no host) and drops its scheme: say
            # what is wrong rather than quote an empty scheme.
            scheme = repr(request.url.scheme) if request.url.scheme else "none (not absolute)"
            raise httpx.UnsupportedProtocol(
                f"URL {str(request.url)!r} refused: scheme {scheme}; "
                "only absolute http and https URLs are fetched",
                request=request,
            )
        started = time.monotonic()
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,  # a sync byte stream
            extensions=request.extensions,
        )
        try:
            core_response = self._pool.handle_request(core_request)
        except Exception as exc:
            mapped = _to_httpx(exc, request)
            if mapped is exc:
                raise
            raise mapped from exc
        headers = httpx.Headers(core_response.headers)
        url = str(request.url)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            core_response.close()
            raise ResponseTooLarge(url, self.max_response_bytes)
        encoding = headers.get("content-encoding", "").strip().lower()
        decoder = _decoder_for(encoding)
        if decoder is not None:
            # Decoded here so the cap sees decoded bytes; httpx must not decode again.
            del headers["content-encoding"]
            headers.pop("content-length", None)
        deadline = None if self.max_seconds is None else started + self.max_seconds
        stream = _CappedStream(
            core_response,
            request,
            self.max_response_bytes,
            decoder=decoder,
            url=url,
            deadline=deadline,
            max_seconds=self.max_seconds,
        )
        return httpx.Response(
            core_response.status,
            headers=headers,
            stream=stream,
            extensions=core_response.extensions,
            request=request,
        )

    def close(self) -> None:
        self._pool.close()


def _decoder_for(encoding: str) -> _Inflater | None:
    if encoding in ("gzip", "x-gzip"):
        return _Inflater(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _Inflater(zlib.MAX_WBITS, raw_fallback=True)
    return None


class _Inflater:
    """gzip/deflate decoding with a bound on the output of each step."""

    def __init__(self, wbits: int, *, raw_fallback: bool = False) -> None:
        self._obj = zlib.decompressobj(wbits)
        self._raw_fallback = raw_fallback
        self._started = False

    def feed(self, data: bytes, budget: int) -> Iterator[bytes]:
        """Decoded pieces of `data`; stops (leaving input unread) once `budget` is exceeded."""
        try:
            first = self._obj.decompress(data, budget + 1)
        except zlib.error:
            if not (self._raw_fallback and not self._started):
                raise
            # Some servers send raw deflate without the zlib header.
            self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
            first = self._obj.decompress(data, budget + 1)
        self._started = True
        yield first
        budget -= len(first)
        while self._obj.unconsumed_tail and budget >= 0:
            piece = self._obj.decompress(self._obj.unconsumed_tail, budget + 1)
            budget -= len(piece)
            yield piece

    def flush(self) -> bytes:
        return self._obj.flush()


class _CappedStream(httpx.SyncByteStream):
    def __init__(
        self,
        response: httpcore.Response,
        request: httpx.Request,
        limit: int,
        *,
        decoder: _Inflater | None,
        url: str,
        deadline: float | None = None,
        max_seconds: float | None = None,
    ) -> None:
        self._response = response
        self._request = request
        self._limit = limit
        self._decoder = decoder
        self._url = url
        self._deadline = deadline
        self._max_seconds = max_seconds

    def __iter__(self) -> Iterator[bytes]:
        raw_total = 0
        total = 0
        try:
            for chunk in self._response.iter_stream():
                # The read timeout bounds each wait, not the whole body: a server dripping a
                # byte just before every timeout would otherwise hold the worker for ever
                # (its heartbeat keeps going, so the watchdog never steps in).
                if self._deadline is not None and time.monotonic() > self._deadline:
                    raise httpx.ReadTimeout(
                        f"Response from {self._url} took longer than {self._max_seconds:g}s "
                        "(MOISSON_HTTP__MAX_RESPONSE_SECONDS); reading stopped",
                        request=self._request,
                    )
                raw_total += len(chunk)
                if raw_total > self._limit:
                    raise ResponseTooLarge(self._url, self._limit)
                pieces = (
                    [chunk]
                    if self._decoder is None
                    else self._decoder.feed(chunk, self._limit - total)
                )
                for piece in pieces:
                    total += len(piece)
                    if total > self._limit:
                        raise ResponseTooLarge(self._url, self._limit)
                    if piece:
                        yield piece
            if self._decoder is not None:
                tail = self._decoder.flush()
                if total + len(tail) > self._limit:
                    raise ResponseTooLarge(self._url, self._limit)
                if tail:
                    yield tail
        except zlib.error as exc:
            raise httpx.DecodingError(
                f"Cannot decode the compressed body of {self._url}: {exc}", request=self._request
            ) from exc
        except Exception as exc:
            mapped = _to_httpx(exc, self._request)
            if mapped is exc:
                raise
            raise mapped from exc

    def close(self) -> None:
        self._response.close()
