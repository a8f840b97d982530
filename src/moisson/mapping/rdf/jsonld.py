"""Remote JSON-LD `@context`s: served from local copies, never downloaded.

pyoxigraph refuses to load a remote context by itself (it has no document loader), and
udata's parser fetching them from the network at parse time is an SSRF and offline-CI hazard
(docs/udata-backends.md §10.2, docs/design.md §4). So before parsing, every `@context` that is a URL
is replaced by the local copy of a well-known context (`moisson/data/jsonld/`); any other remote
context fails the page with a message naming it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

_POD_V11 = "pod-v1.1-catalog.jsonld"

#: Well-known remote context URL -> local file under `moisson/data/jsonld/`.
KNOWN_CONTEXTS: dict[str, str] = {
    # Project Open Data (DCAT-US) v1.1, used by ArcGIS Hub and data.json feeds (evian.json).
    "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld": _POD_V11,
    "http://project-open-data.cio.gov/v1.1/schema/catalog.jsonld": _POD_V11,
    # The copy udata substitutes for it (docs/udata-backends.md §3.1), in case a catalog points
    # there directly.
    "https://gist.githubusercontent.com/maudetes/f019586185d6f59dcfb07f97148a1973/raw/"
    "585c3c7bf602b5a4e635b137257d0619792e2c1f/gistfile1.txt": _POD_V11,
}


class UnknownRemoteContext(ValueError):
    """A JSON-LD document refers to a remote `@context` Moisson has no local copy of."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f'JSON-LD remote context "{url}" is not among the contexts shipped with Moisson '
            "and remote contexts are never downloaded; inline the context in the document"
        )
        self.url = url


@cache
def local_context(filename: str) -> Any:
    """The `@context` value of a shipped context file."""
    text = resources.files("moisson").joinpath(f"data/jsonld/{filename}").read_text("utf-8")
    return json.loads(text)["@context"]


def _resolve(context: Any) -> Any:
    if isinstance(context, str):
        filename = KNOWN_CONTEXTS.get(context.strip())
        if filename is None:
            raise UnknownRemoteContext(context)
        return local_context(filename)
    if isinstance(context, list):
        return [_resolve(item) for item in context]
    if isinstance(context, dict):
        return _inline(context)
    return context


def _inline(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _resolve(value) if key == "@context" else _inline(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_inline(item) for item in node]
    return node


def inline_remote_contexts(data: bytes) -> bytes:
    """The document with every remote `@context` replaced by its local copy.

    Raises `UnknownRemoteContext` for a context URL without a local copy and `ValueError`
    for a body that is not JSON. A document without any `@context` is returned untouched.
    """
    if b"@context" not in data:
        return data
    document = json.loads(data)
    inlined = _inline(document)
    if inlined == document:
        return data
    return json.dumps(inlined, ensure_ascii=False).encode("utf-8")
