"""Errors of the outbound HTTP layer, all httpx exceptions so callers treat them uniformly.

    httpx.HTTPError
    ├── httpx.TransportError
    │   ├── BlockedAddress        the host resolves only to addresses the SSRF guard refuses
    │   └── ResponseTooLarge      a body exceeded `http.max_response_bytes` (raw or decoded)
    └── httpx.HTTPStatusError
        └── RedirectNotAllowed    a 3xx answered a client that does not follow redirects

None of them is retried: they are facts about the target, not transient states.
"""

from __future__ import annotations

import httpx


class BlockedAddress(httpx.TransportError):
    """Raised at connect time; the message names the host and every refused IP."""

    def __init__(self, host: str, refused: list[tuple[str, str]]) -> None:
        listed = ", ".join(f"{reason} address ({ip})" for ip, reason in refused)
        super().__init__(f"{host} resolves to a blocked {listed}")
        self.host = host
        self.refused = refused


class ResponseTooLarge(httpx.TransportError):
    def __init__(self, url: str, limit: int) -> None:
        super().__init__(
            f"Response from {url} is larger than {limit} bytes "
            "(MOISSON_HTTP__MAX_RESPONSE_BYTES); reading stopped"
        )
        self.url = url
        self.limit = limit


class RedirectNotAllowed(httpx.HTTPStatusError):
    def __init__(self, response: httpx.Response) -> None:
        location = response.headers.get("location", "")
        super().__init__(
            f"Redirect ({response.status_code}) not allowed: {response.request.url} -> {location}",
            request=response.request,
            response=response,
        )
