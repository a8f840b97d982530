"""Status checks of the access and download URLs of harvested distributions (MQA URL metrics).

The MQA's `accessUrlStatusCode` and `downloadUrlStatusCode` metrics ask whether a URL
answers 2xx. A `UrlStatusChecker` asks each URL once, with the project's SSRF-guarded
client (`moisson.http.client.build_client`: every connection and every redirect hop is
checked against the outbound address policy), and:

- sends `HEAD` first; a server that refuses the method (405, 501) gets a `GET` with
  `Range: bytes=0-0` whose body is never read, so a check never downloads a file;
- sends no source credentials (the client is built without any) and no cookies;
- waits at least `per_host_interval` seconds between two requests to one host, so a
  catalog of 10,000 files on one server is not a burst against it;
- asks at most `max_urls` distinct URLs; the rest stay unchecked (`None`), which the MQA
  scores as "not met" and reports in `unchecked`;
- bounds each request by `timeout` seconds; a timeout, a refused address or a transport
  error is `None` (no status), as in the MQA where no answer is not a 2xx.

It does no database work: callers run it outside any transaction (never in previews), and
store what `results` gives.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpx

from moisson.config import Settings
from moisson.http.client import build_client

#: Methods a server may refuse for HEAD while serving GET.
HEAD_REFUSED = frozenset({405, 501})


class UrlStatusChecker:
    def __init__(
        self,
        client: httpx.Client,
        *,
        max_urls: int = 1000,
        per_host_interval: float = 1.0,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.max_urls = max(0, max_urls)
        self.per_host_interval = max(0.0, per_host_interval)
        self.timeout = timeout
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self.results: dict[str, int | None] = {}
        """Status code of each URL asked (None: no answer, refused, or over the limit)."""
        self.requests = 0

    def __enter__(self) -> UrlStatusChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def check_all(self, urls: Iterable[str]) -> dict[str, int | None]:
        for url in urls:
            self.status(url)
        return self.results

    def status(self, url: str) -> int | None:
        """The final status code of `url` (redirects followed by the guarded client)."""
        if url in self.results:
            return self.results[url]
        if len(self.results) >= self.max_urls:
            return None
        code = self._ask(url)
        self.results[url] = code
        return code

    def answered_ok(self, url: str) -> bool | None:
        """The MQA's view (`moisson.quality.mqa.UrlStatus`): True for 2xx, False for another
        answer or none, None when the URL was not checked."""
        if url not in self.results:
            return None
        code = self.results[url]
        return code is not None and 200 <= code < 300

    def _ask(self, url: str) -> int | None:
        host = (urlsplit(url).hostname or "").lower()
        try:
            response = self._request("HEAD", url, host, {})
            if response.status_code in HEAD_REFUSED:
                response = self._request("GET", url, host, {"Range": "bytes=0-0"})
        except (httpx.HTTPError, ValueError):
            return None
        return response.status_code

    def _request(self, method: str, url: str, host: str, headers: dict[str, str]) -> httpx.Response:
        self._wait_for(host)
        self.requests += 1
        with self.client.stream(method, url, headers=headers, timeout=self.timeout) as response:
            return response  # the body is never read: closing the stream drops it

    def _wait_for(self, host: str) -> None:
        """Sleep until `host` may be asked again, and book its next slot."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = start + self.per_host_interval
        if start > now:
            self._sleep(start - now)


#: Redirect hops a check follows (each one SSRF-checked by the guarded transport).
MAX_REDIRECTS = 5


def guarded_client(settings: Settings) -> httpx.Client:
    """The client of URL checks: the outbound one, following a few redirects, without any
    source's credentials."""
    client = build_client(settings, backend_id="url-status", follow_redirects=True)
    client.max_redirects = MAX_REDIRECTS
    return client
