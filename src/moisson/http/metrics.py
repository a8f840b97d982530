"""Counting the requests sent to remote catalogs (Prometheus counter, per process).

Every attempt is counted (a retried request counts once per try), labelled with the
backend and the HTTP status, or the exception class name when no answer came back
(`ConnectError`, `ReadTimeout`, `BlockedAddress`...).

The counter lives in the process that sends the requests: `moisson serve` (its in-process
worker and previews) shows it on `GET /metrics`, a job run in a child process adding its
counts there when it ends (`tasks.job_process`); each `moisson worker` exposes its own with
`--metrics-port` (its pool processes are summed through Prometheus' multiprocess mode).
"""

from __future__ import annotations

import httpx
from prometheus_client import Counter

REMOTE_REQUESTS = Counter(
    "moisson_remote_requests",
    "Requests sent to remote catalogs, by backend and HTTP status (or error class).",
    ["backend", "status"],
)


class CountingTransport(httpx.BaseTransport):
    """Counts each request that goes through `inner`, whatever its outcome."""

    def __init__(self, inner: httpx.BaseTransport, backend_id: str) -> None:
        self.inner = inner
        self.backend_id = backend_id

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self.inner.handle_request(request)
        except Exception as exc:
            REMOTE_REQUESTS.labels(self.backend_id, type(exc).__name__).inc()
            raise
        REMOTE_REQUESTS.labels(self.backend_id, str(response.status_code)).inc()
        return response

    def close(self) -> None:
        self.inner.close()
