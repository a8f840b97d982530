"""The one factory of outbound HTTP clients (see the package docstring for the layers)."""

from __future__ import annotations

import httpx

from moisson import __version__
from moisson.config import Settings
from moisson.http.credentials import BoundCredentials, OriginBoundTransport
from moisson.http.errors import RedirectNotAllowed
from moisson.http.metrics import CountingTransport
from moisson.http.retry import RetryTransport, host_limiter
from moisson.http.ssrf import GuardedTransport, Resolver, system_resolver


def build_client(
    settings: Settings,
    *,
    backend_id: str,
    follow_redirects: bool = False,
    verify: bool = True,
    resolver: Resolver = system_resolver,
    credentials: BoundCredentials | None = None,
) -> httpx.Client:
    """A client for one backend's requests: SSRF-guarded, timed out, retried, size-capped.

    With `follow_redirects=False` any 3xx answer raises `RedirectNotAllowed`
    (`Redirect (302) not allowed: <url> -> <location>`). With `True`, redirects are followed
    and each hop is SSRF-checked again, since it goes through the guarded transport.
    Environment proxies are ignored (`trust_env=False`): the guard must see the real target.
    `resolver` replaces the system's DNS lookup (tests). `credentials` are sent to their
    own origin only, on every hop and retry (`moisson.http.credentials`).
    """
    http = settings.http
    transport: httpx.BaseTransport = RetryTransport(
        CountingTransport(
            GuardedTransport(
                allow=settings.outbound_allow_networks,
                verify=verify,
                max_response_bytes=http.max_response_bytes,
                max_seconds=http.max_response_seconds,
                resolver=resolver,
            ),
            backend_id,
        ),
        max_retries=http.max_retries,
        backoff_base=http.backoff_base,
        max_retry_after=http.max_retry_after,
        limiter=host_limiter(http.per_host_concurrency),
        slot_timeout=http.read_timeout,
    )
    if credentials is not None:
        transport = OriginBoundTransport(transport, credentials)
    hooks = [] if follow_redirects else [_refuse_redirect]
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(
            connect=http.connect_timeout,
            read=http.read_timeout,
            write=http.read_timeout,
            pool=http.read_timeout,
        ),
        headers={
            "User-Agent": http.user_agent.format(version=__version__, backend=backend_id),
            # Only encodings the guarded transport decodes (and caps) itself.
            "Accept-Encoding": "gzip, deflate",
        },
        follow_redirects=follow_redirects,
        trust_env=False,
        event_hooks={"response": hooks},
    )


def _refuse_redirect(response: httpx.Response) -> None:
    # `is_redirect` is true for every 3xx, including the 304 Not Modified that answers a
    # conditional GET (the DCAT page cache sends them): only a Location makes a redirect.
    if response.has_redirect_location:
        raise RedirectNotAllowed(response)
