"""Crawl of an HTML directory listing (Apache "Index of /...", nginx autoindex and the like).

The crawl is breadth-first from a root directory URL and stays inside it. Rules, each one
closing a way out or a way round:
- a directory link is followed only when it is strictly below the directory whose listing
  holds it: the "Parent Directory" entry, `../`, `./`, absolute paths elsewhere and links back
  to an ancestor are never followed, so the crawl cannot climb above the root nor go round
  in circles;
- same scheme, host and port as the root only: another host, or `https` from an `http` root,
  is another server;
- a link with a query string is not a file or a directory (Apache's `?C=N;O=D` sort links);
- dot segments and encoded slashes hidden behind percent-encoding (`%2e%2e/`, `%2f`) are
  refused, since a server may decode them after our check;
- a server-side symlink loop makes ever deeper distinct URLs: the crawl stops descending at
  `max_depth` levels below the root and at `max_directories` listings, with a warning.
Every file link inside the root that matches the caller's predicate is yielded once, in
listing order (breadth-first, document order): the order is stable for a stable tree.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from urllib.parse import SplitResult, unquote, urljoin, urlsplit, urlunsplit

import httpx
from lxml import etree

from moisson.domain.exceptions import SourceInvalid

MAX_DEPTH = 16
MAX_DIRECTORIES = 5_000
_DEFAULT_PORTS = {"http": 80, "https": 443}


def as_directory_url(url: str) -> str:
    """The URL with its path ending in `/`, query and fragment dropped.

    A listing's relative links resolve against a directory URL only; a server asked for the
    directory without its slash answers with a redirect, which the harvest client refuses.
    """
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else f"{parts.path}/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def listing_links(html: str, page_url: str) -> list[str]:
    """Absolute URLs of every `<a href>` of a listing page, fragments dropped, in order."""
    if not html.strip():
        return []
    # As UTF-8 bytes with the encoding forced: lxml refuses text that carries an XML
    # declaration (XHTML listings), and the text is already decoded anyway.
    parser = etree.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True)
    root = etree.fromstring(html.encode("utf-8"), parser)
    if root is None:
        return []
    links = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href and not href.startswith("#"):
            links.append(urljoin(page_url, href).split("#", 1)[0])
    return links


def is_inside(url: str, directory: str, *, strictly: bool = False) -> bool:
    """Whether `url` lies in the tree of `directory` (a URL ending in `/`), same origin."""
    target, base = urlsplit(url), urlsplit(directory)
    if target.query or target.username or target.password:
        return False
    if _origin(target) != _origin(base):
        return False
    if "%2f" in target.path.lower() or "%5c" in target.path.lower():
        return False
    segments = unquote(target.path).split("/")
    if any(segment in (".", "..") for segment in segments):
        return False
    if not target.path.startswith(base.path):
        return False
    return not strictly or target.path != base.path


def _origin(parts: SplitResult) -> tuple[str, str, int | None]:
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


class DirectoryCrawler:
    """Walks a directory listing tree over one HTTP client; see the module docstring."""

    def __init__(
        self,
        http: httpx.Client,
        root_url: str,
        *,
        log: logging.Logger,
        max_depth: int = MAX_DEPTH,
        max_directories: int = MAX_DIRECTORIES,
    ) -> None:
        self.http = http
        self.root = as_directory_url(root_url)
        self.log = log
        self.max_depth = max_depth
        self.max_directories = max_directories

    def files(self, wanted: Callable[[str], bool]) -> Iterator[str]:
        """Yield, once each, the URLs of files inside the root for which `wanted` is true.

        HTTP errors propagate (a listing that cannot be read makes the crawl incomplete, and
        an incomplete crawl must not pass for a complete one); a listing page that is not
        HTML raises `SourceInvalid`.
        """
        queue: deque[tuple[str, int]] = deque([(self.root, 0)])
        queued = {self.root}
        seen_files: set[str] = set()
        listed = 0
        warned = False
        while queue:
            directory, depth = queue.popleft()
            listed += 1
            for link in listing_links(self._fetch_listing(directory), directory):
                if urlsplit(link).path.endswith("/"):
                    if link in queued or not is_inside(link, directory, strictly=True):
                        continue
                    if depth + 1 > self.max_depth or len(queued) >= self.max_directories:
                        if not warned:
                            warned = True
                            self.log.warning(
                                "Not descending into %s (nor any further directory past the "
                                "limit): the crawl stops at %d levels and %d directories "
                                "below %s",
                                link,
                                self.max_depth,
                                self.max_directories,
                                self.root,
                            )
                        continue
                    queued.add(link)
                    queue.append((link, depth + 1))
                elif link not in seen_files and is_inside(link, self.root) and wanted(link):
                    seen_files.add(link)
                    yield link
        self.log.info("Crawled %d directory listings below %s", listed, self.root)

    def _fetch_listing(self, url: str) -> str:
        response = self.http.get(url)
        response.raise_for_status()
        content_type = response.headers.get("content-type", "")
        if content_type and "html" not in content_type.lower():
            raise SourceInvalid(
                f"{url} is not an HTML directory listing (Content-Type: {content_type})"
            )
        return response.text
