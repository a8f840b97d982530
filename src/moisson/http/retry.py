"""Retries of transient failures, and a per-host limit on requests in flight.

Transient (retried with exponential backoff, `http.backoff_base * 2**attempt` seconds):
connect errors and timeouts, read timeouts and read errors before a response arrived (a reset
connection), a dropped pool slot, and the answers 429, 500, 502, 503 and 504. A `Retry-After`
header (seconds or an HTTP date) replaces the backoff delay; one longer than
`http.max_retry_after` is not waited for: the response is handed back as it is, and the caller
sees the 429/503. After `http.max_retries` retries the last response or error is final.

Not retried: SSRF refusals, oversized bodies, TLS failures, other statuses (a 404 will not
change in a second), and failures after the response head arrived (the body was partly read).
Every method is retried: catalog requests, CSW `GetRecords` POSTs included, are reads.

The per-host limit is a process-wide semaphore per host name, so two jobs harvesting the same
portal share it. The slot is held until the response body is closed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    httpx.ReadError,
    httpx.RemoteProtocolError,
    httpx.PoolTimeout,
)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """The delay a `Retry-After` header asks for, or `None` if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HostLimiter:
    """At most `limit` requests in flight per host, process-wide (see `host_limiter`)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}

    def semaphore(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            sem = self._semaphores.get(host)
            if sem is None:
                sem = self._semaphores[host] = threading.BoundedSemaphore(self.limit)
            return sem


_LIMITERS: dict[int, HostLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def host_limiter(limit: int) -> HostLimiter:
    """The process-wide limiter for this limit value (one per configured value)."""
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(limit)
        if limiter is None:
            limiter = _LIMITERS[limit] = HostLimiter(limit)
        return limiter


class RetryTransport(httpx.BaseTransport):
    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        max_retries: int,
        backoff_base: float,
        max_retry_after: float,
        limiter: HostLimiter,
        slot_timeout: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.inner = inner
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.max_retry_after = max_retry_after
        self.limiter = limiter
        self.slot_timeout = slot_timeout
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body must be replayable
        sem = self.limiter.semaphore(request.url.host)
        attempt = 0
        while True:
            if not sem.acquire(timeout=self.slot_timeout):
                raise httpx.PoolTimeout(
                    f"No free slot for {request.url.host} within {self.slot_timeout}s "
                    f"({self.limiter.limit} requests in flight)",
                    request=request,
                )
            try:
                response = self.inner.handle_request(request)
            except TRANSIENT_ERRORS:
                sem.release()
                if attempt >= self.max_retries:
                    raise
                delay = self._backoff(attempt)
            except BaseException:
                sem.release()
                raise
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= self.max_retries:
                    return _release_on_close(response, sem)
                asked = retry_after_seconds(response.headers.get("retry-after"))
                if asked is not None and asked > self.max_retry_after:
                    return _release_on_close(response, sem)
                delay = self._backoff(attempt) if asked is None else asked
                response.close()
                sem.release()
            self._sleep(delay)
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        return float(self.backoff_base * (2**attempt))

    def close(self) -> None:
        self.inner.close()


def _release_on_close(response: httpx.Response, sem: threading.BoundedSemaphore) -> httpx.Response:
    response.stream = _ReleasingStream(response.stream, sem)  # type: ignore[arg-type]
    return response


class _ReleasingStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, sem: threading.BoundedSemaphore) -> None:
        self._inner = inner
        self._sem: threading.BoundedSemaphore | None = sem

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            if self._sem is not None:
                self._sem.release()
                self._sem = None
