"""Outbound HTTP to remote catalogs: one client factory, an SSRF guard, retries, a size cap.

Every request a backend makes goes through `build_client()`. The layers, outermost first:

    httpx.Client          timeouts, User-Agent, redirect policy (a 3xx is an error unless the
                          backend allows redirects; each followed hop goes through the layers
                          below again, so it is SSRF-checked again)
    OriginBoundTransport  a source's credentials, on requests to its own origin only
                          (`credentials.py`)
    RetryTransport        per-host concurrency limit, retries with backoff (`retry.py`)
    CountingTransport     counts every attempt by backend and status (`metrics.py`)
    GuardedTransport      scheme check, connect-time IP check, size cap (`ssrf.py`)

Errors (`moisson.http.errors`) are httpx exceptions, so a backend needs no special handling:
it lets them propagate and the engine classifies them (`moisson.harvest.engine`).
"""

from moisson.http.client import build_client
from moisson.http.errors import BlockedAddress, RedirectNotAllowed, ResponseTooLarge

__all__ = ["BlockedAddress", "RedirectNotAllowed", "ResponseTooLarge", "build_client"]
