"""A real HTTP server on 127.0.0.1 that serves directory trees the way Apache does.

Directories are rendered as "Index of /..." listings (Apache 2.4 `mod_autoindex`: a plain
`<ul>` list, or with `fancy=True` the table with `?C=N;O=D` sort links), with a "Parent
Directory" entry pointing at the parent's absolute path, and relative links to files and
subdirectories. A directory asked for without its trailing slash gets a 301, as from Apache.
In served `.xml` files, `{{BASE}}` is replaced by the server's own base URL (see the MAAF
fixtures' PROVENANCE note).

Tests can replace any path by a hand-written response (`overrides`), add dynamic routes
(`routes`), mount more trees (`mounts`), and read every request received (`requests`).
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, unquote, urlsplit

from tests.http_server import QuietHTTPServer

CONTENT_TYPES = {
    ".xml": "application/xml",
    ".csv": "text/csv; charset=utf-8",
    ".cle": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".pdf": "application/pdf",
}


@dataclass(frozen=True)
class Reply:
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    location: str | None = None


@dataclass(frozen=True)
class Request:
    host: str
    path: str
    """The raw request target (path and query)."""


def apache_listing(path: str, entries: list[tuple[str, bool]], *, fancy: bool = False) -> str:
    """The "Index of" page of directory `path` (ending in `/`) listing (name, is_dir) pairs."""
    title = f"Index of {html.escape(path.rstrip('/') or '/')}"
    parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
    rows = [(quote(parent), "Parent Directory")] if path != "/" else []
    for name, is_dir in sorted(entries):
        shown = f"{name}/" if is_dir else name
        rows.append((quote(shown), shown))
    if fancy:
        body = (
            "<table>\n<tr><th valign='top'><img src='/icons/blank.gif' alt='[ICO]'></th>"
            "<th><a href='?C=N;O=D'>Name</a></th><th><a href='?C=M;O=A'>Last modified</a></th>"
            "<th><a href='?C=S;O=A'>Size</a></th></tr>\n"
            + "".join(
                f"<tr><td valign='top'><img src='/icons/folder.gif' alt='[DIR]'></td>"
                f'<td><a href="{href}">{html.escape(text)}</a></td>'
                f"<td align='right'>2014-04-07 10:00  </td><td align='right'>  - </td></tr>\n"
                for href, text in rows
            )
            + "</table>"
        )
    else:
        body = (
            "<ul>"
            + "".join(
                f'<li><a href="{href}"> {html.escape(text)}</a></li>\n' for href, text in rows
            )
            + "</ul>"
        )
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
        f"<html>\n <head>\n  <title>{title}</title>\n </head>\n <body>\n<h1>{title}</h1>\n"
        f"{body}\n</body></html>\n"
    )


class DirectoryServer:
    def __init__(self, mounts: dict[str, Path], *, fancy: bool = False) -> None:
        self.mounts = dict(mounts)
        """URL prefix (ending in `/`) -> local directory served there."""
        self.fancy = fancy
        self.overrides: dict[str, Reply] = {}
        """Exact request target -> the reply to send instead of the tree's."""
        self.routes: list[Callable[[str], Reply | None]] = []
        """Called with the request target before the tree; the first reply wins."""
        self.requests: list[Request] = []
        self._server = QuietHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def __enter__(self) -> DirectoryServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def reply(self, target: str) -> Reply:
        if target in self.overrides:
            return self.overrides[target]
        for route in self.routes:
            found = route(target)
            if found is not None:
                return found
        return self._from_tree(unquote(urlsplit(target).path))

    def _from_tree(self, path: str) -> Reply:
        for prefix, directory in self.mounts.items():
            if not (path + "/").startswith(prefix):
                continue
            local = (directory / path[len(prefix) :]).resolve()
            if not local.is_relative_to(directory.resolve()) or not local.exists():
                break
            if local.is_dir():
                if not path.endswith("/"):
                    return Reply(301, location=quote(path + "/"))
                entries = [(child.name, child.is_dir()) for child in local.iterdir()]
                page = apache_listing(path, entries, fancy=self.fancy)
                return Reply(body=page.encode("utf-8"))
            data = local.read_bytes()
            if local.suffix == ".xml":
                data = data.replace(b"{{BASE}}", self.base_url.encode("ascii"))
            content_type = CONTENT_TYPES.get(local.suffix, "application/octet-stream")
            return Reply(content_type=content_type, body=data)
        return Reply(404, body=b"<html><body><h1>Not Found</h1></body></html>")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(Request(self.headers.get("Host", ""), self.path))
                reply = server.reply(self.path)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                if reply.location:
                    self.send_header("Location", reply.location)
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                return None  # keep test output quiet

        return Handler
