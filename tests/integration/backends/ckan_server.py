"""A CKAN Action API replay server on 127.0.0.1, in a thread, for backend tests.

It serves a list of package dicts at the CKAN paths (`package_search` with `rows`, `start`
and a small `fq` dialect, `package_list`, `package_show?id=`), or recorded bodies verbatim,
and counts every request it answers.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.http_server import QuietHTTPServer

ACTION_PREFIX = "/api/3/action/"
_FQ_TERM = re.compile(r'(-?)(\w+):"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Canned:
    """A fixed answer for one action."""

    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    content_type: str = "application/json"
    location: str | None = None

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


def ok(result: Any) -> dict[str, Any]:
    return {"help": "replay", "success": True, "result": result}


def not_found() -> Canned:
    return Canned(
        404, {"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}
    )


class CkanReplayServer:
    """Use as a context manager; `url` is the site root (with a trailing slash)."""

    def __init__(
        self,
        packages: list[dict[str, Any]] | None = None,
        *,
        names: list[str] | None = None,
        show: dict[str, Canned] | None = None,
        canned: dict[str, Canned] | None = None,
        rows_max: int | None = None,
        show_delay: float = 0.0,
        prefix: str = "",
    ) -> None:
        self.packages = packages or []
        self.names = names
        self.show = show or {}
        self.canned = canned or {}
        self.rows_max = rows_max
        self.show_delay = show_delay
        self.prefix = prefix
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.counts: Counter[str] = Counter()
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._server: QuietHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}/"

    def __enter__(self) -> CkanReplayServer:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                replay._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ handling

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        action_prefix = self.prefix + ACTION_PREFIX
        action = (
            parts.path.removeprefix(action_prefix) if parts.path.startswith(action_prefix) else ""
        )
        with self._lock:
            self.requests.append((parts.path, query, dict(handler.headers.items())))
            self.counts[action or parts.path] += 1
        answer = self._answer(action, query)
        payload = answer.encoded()
        handler.send_response(answer.status)
        handler.send_header("Content-Type", answer.content_type)
        handler.send_header("Content-Length", str(len(payload)))
        if answer.location:
            handler.send_header("Location", answer.location)
        handler.end_headers()
        handler.wfile.write(payload)

    def _answer(self, action: str, query: dict[str, str]) -> Canned:
        if action in self.canned:
            return self.canned[action]
        if action == "package_search":
            return Canned(body=ok(self._search(query)))
        if action == "package_list":
            names = self.names if self.names is not None else [p["name"] for p in self.packages]
            return Canned(body=ok(names))
        if action == "package_show":
            return self._show(query.get("id", ""))
        return not_found()

    def _search(self, query: dict[str, str]) -> dict[str, Any]:
        matching = [p for p in self.packages if _matches(p, query.get("fq", ""))]
        rows = int(query.get("rows", 10))
        if self.rows_max is not None:
            rows = min(rows, self.rows_max)
        start = int(query.get("start", 0))
        return {"count": len(matching), "results": matching[start : start + rows]}

    def _show(self, ident: str) -> Canned:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self.show_delay:
                time.sleep(self.show_delay)
            if ident in self.show:
                return self.show[ident]
            for package in self.packages:
                if ident in (package.get("id"), package.get("name")):
                    return Canned(body=ok(package))
            return not_found()
        finally:
            with self._lock:
                self._in_flight -= 1


def _matches(package: dict[str, Any], fq: str) -> bool:
    for negate, key, raw in _FQ_TERM.findall(fq):
        value = raw.replace('\\"', '"').replace("\\\\", "\\")
        if key == "organization":
            found = (package.get("organization") or {}).get("name") == value
        elif key == "tags":
            found = value in [t.get("name") for t in package.get("tags") or []]
        else:
            found = package.get(key) == value
        if found == bool(negate):
            return False
    return True
