"""A real HTTP server on 127.0.0.1, in a thread, serving scripted replies.

For tests that must cross real sockets (SSRF guard, timeouts, resets, size caps): a
`MockTransport` would bypass exactly the code under test. Each path has a list of `Reply`s
served in order; the last one repeats. A path may instead map to a function of the request
(`Seen`) returning the `Reply` (paging by query or body). `script()` replaces a path's
replies while the server runs (a remote that starts failing between two runs).
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHTTPServer(ThreadingHTTPServer):
    """A threaded loopback server for tests that does not print a traceback when a client
    hangs up mid-answer: tests cut connections on purpose (size caps, timeouts, resets)."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering at all."""
    drip: float | None = None
    """Send the body one chunk at a time, sleeping this long between chunks."""
    chunk_size: int = 1
    endless: bool = False
    """Stream `body` over and over until the client goes away (no Content-Length)."""
    reset: bool = False
    """Drop the connection with a TCP reset instead of answering."""
    reset_after: int | None = None
    """Send the head and this many body bytes, then drop the connection with a TCP reset."""


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Dynamic = Callable[[Seen], Reply]
Route = Reply | Sequence[Reply] | Dynamic


class LoopbackServer:
    def __init__(self, routes: dict[str, Route], *, host: str = "127.0.0.1") -> None:
        """`host` may be any loopback address (127.0.0.0/8): sources on different hosts
        count as different domains for matching."""
        self.host = host
        self._routes: dict[str, list[Reply] | Dynamic] = {}
        for path, replies in routes.items():
            self._routes[path] = _as_route(replies)
        self._lock = threading.Lock()
        self.requests: list[Seen] = []
        self._stopping = threading.Event()
        self._server = QuietHTTPServer((host, 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def script(self, path: str, replies: Route) -> None:
        """Replace what `path` answers from now on."""
        with self._lock:
            self._routes[path] = _as_route(replies)

    def wrap(self, path: str, change: Callable[[Reply], Reply]) -> None:
        """From now on, `path` answers `change(reply)` for each reply it would have given."""
        with self._lock:
            inner = self._routes.get(path)

        def changed(seen: Seen) -> Reply:
            return change(self._reply_from(inner, seen))

        self.script(path, changed)

    def prepend(self, path: str, replies: Sequence[Reply]) -> None:
        """`path` answers `replies` first, then what it answered before."""
        with self._lock:
            inner = self._routes.get(path)
        queue = list(replies)
        lock = threading.Lock()

        def first(seen: Seen) -> Reply:
            with lock:
                if queue:
                    return queue.pop(0)
            return self._reply_from(inner, seen)

        self.script(path, first)

    def _reply_from(self, route: list[Reply] | Dynamic | None, seen: Seen) -> Reply:
        if route is None:
            return Reply(status=404, body=b"not scripted")
        if callable(route):
            return route(seen)
        with self._lock:
            return route.pop(0) if len(route) > 1 else route[0]

    def received(self) -> list[Seen]:
        """Every request received so far, in order."""
        with self._lock:
            return list(self.requests)

    def seen(self, path: str) -> int:
        """How many requests `path` received (query strings ignored)."""
        with self._lock:
            return sum(1 for r in self.requests if r.path.split("?", 1)[0] == path)

    def _next_reply(self, seen: Seen) -> Reply:
        path = seen.path.split("?", 1)[0]
        with self._lock:
            replies = self._routes.get(path) or self._routes.get("*")
            if not replies:
                return Reply(status=404, body=b"not scripted")
            if callable(replies):
                dynamic = replies
            else:
                return replies.pop(0) if len(replies) > 1 else replies[0]
        return dynamic(seen)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, dict(self.headers.items()), body)
                with server._lock:
                    server.requests.append(seen)
                reply = server._next_reply(seen)
                if reply.delay:
                    server._stopping.wait(reply.delay)
                if reply.reset:
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.endless:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self._stream_forever(reply)
                    return
                if "content-length" not in {k.lower() for k in reply.headers}:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.reset_after is not None:
                    self.wfile.write(reply.body[: reply.reset_after])
                    self.wfile.flush()
                    # Let the client read the head first: the reset must hit the body.
                    server._stopping.wait(0.1)
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    return
                if reply.drip is None:
                    self.wfile.write(reply.body)
                    return
                for start in range(0, len(reply.body), reply.chunk_size):
                    if server._stopping.wait(reply.drip):
                        return
                    self.wfile.write(reply.body[start : start + reply.chunk_size])
                    self.wfile.flush()

            def _stream_forever(self, reply: Reply) -> None:
                self.close_connection = True
                try:
                    while not server._stopping.is_set():
                        self.wfile.write(reply.body or b"x" * 65536)
                        if reply.drip:
                            time.sleep(reply.drip)
                except OSError:  # the client hung up, as expected
                    return

            do_GET = _serve
            do_POST = _serve
            do_HEAD = _serve

        return Handler

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _as_route(replies: Route) -> list[Reply] | Dynamic:
    if isinstance(replies, Reply):
        return [replies]
    if callable(replies):
        return replies
    return list(replies)


@contextmanager
def loopback_server(routes: dict[str, Route]) -> Iterator[LoopbackServer]:
    server = LoopbackServer(routes).start()
    try:
        yield server
    finally:
        server.stop()
