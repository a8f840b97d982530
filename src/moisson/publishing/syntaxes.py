"""The RDF syntaxes of the catalog, content negotiation, and streaming serialization.

`stream(triples, syntax)` serializes lazily: pyoxigraph's serializer runs in a thread and
writes into a small bounded queue the response reads from, so the triples are produced
(and the bytes sent) as the client reads; memory holds a few chunks, never the document.
A consumer that stops reading (client gone) stops the serializer at its next write.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, cast

import pyoxigraph
from pyoxigraph import RdfFormat, Triple


@dataclass(frozen=True, slots=True)
class Syntax:
    name: str
    format: RdfFormat
    media_type: str
    extension: str
    """The extension a catalog URL of this syntax carries (`catalog.ttl`)."""


JSON_LD = Syntax("json-ld", RdfFormat.JSON_LD, "application/ld+json", "jsonld")
RDF_XML = Syntax("xml", RdfFormat.RDF_XML, "application/rdf+xml", "rdf")
TURTLE = Syntax("turtle", RdfFormat.TURTLE, "text/turtle", "ttl")
N_TRIPLES = Syntax("nt", RdfFormat.N_TRIPLES, "application/n-triples", "nt")
N3 = Syntax("n3", RdfFormat.N3, "text/n3", "n3")
TRIG = Syntax("trig", RdfFormat.TRIG, "application/trig", "trig")

#: URL extensions, as udata accepts them.
EXTENSIONS: dict[str, Syntax] = {
    "json": JSON_LD,
    "jsonld": JSON_LD,
    "xml": RDF_XML,
    "rdf": RDF_XML,
    "ttl": TURTLE,
    "nt": N_TRIPLES,
    "n3": N3,
    "trig": TRIG,
}
#: Media types of an `Accept` header.
MEDIA_TYPES: dict[str, Syntax] = {
    "application/ld+json": JSON_LD,
    "application/json": JSON_LD,
    "application/rdf+xml": RDF_XML,
    "application/xml": RDF_XML,
    "text/xml": RDF_XML,
    "text/turtle": TURTLE,
    "application/x-turtle": TURTLE,
    "application/n-triples": N_TRIPLES,
    "text/n3": N3,
    "application/trig": TRIG,
}
DEFAULT = JSON_LD

PREFIXES = {
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcatap": "http://data.europa.eu/r5r/",
    "dct": "http://purl.org/dc/terms/",
    "dqv": "http://www.w3.org/ns/dqv#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "geodcatap": "http://data.europa.eu/930/",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "locn": "http://www.w3.org/ns/locn#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def negotiate(accept: str | None) -> Syntax:
    """The syntax an `Accept` header prefers (q-values honoured); JSON-LD by default."""
    best: tuple[float, int, Syntax] | None = None
    for position, part in enumerate((accept or "").split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        syntax = MEDIA_TYPES.get(media.lower())
        if syntax is None:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and (best is None or (quality, -position) > (best[0], best[1])):
            best = (quality, -position, syntax)
    return best[2] if best else DEFAULT


CHUNK_BYTES = 64 * 1024
QUEUE_CHUNKS = 8
_DONE = object()


class _Stopped(Exception):
    """The reader went away: the serializer thread gives up."""


class _QueueSink:
    """A binary file object pyoxigraph writes into; full chunks go to the queue."""

    def __init__(self, chunks: queue.Queue[object], stopped: threading.Event) -> None:
        self._chunks = chunks
        self._stopped = stopped
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= CHUNK_BYTES:
            self._put(bytes(self._buffer))
            self._buffer.clear()
        return len(data)

    def flush(self) -> None:
        """pyoxigraph flushes at its own pace: chunks are sent when full or at the end."""

    def close_stream(self) -> None:
        if self._buffer:
            self._put(bytes(self._buffer))
            self._buffer.clear()

    def _put(self, item: object) -> None:
        while True:
            if self._stopped.is_set():
                raise _Stopped
            try:
                self._chunks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue


def stream(triples: Iterable[Triple], syntax: Syntax) -> Iterator[bytes]:
    """The serialization of `triples` in `syntax`, chunk by chunk (see the module docstring)."""
    chunks: queue.Queue[object] = queue.Queue(maxsize=QUEUE_CHUNKS)
    stopped = threading.Event()
    sink = _QueueSink(chunks, stopped)

    def serialize() -> None:
        try:
            pyoxigraph.serialize(triples, sink, syntax.format, prefixes=PREFIXES)  # type: ignore[arg-type]
            sink.close_stream()
            sink._put(_DONE)
        except _Stopped:
            return
        except BaseException as exc:  # handed to the reading side, which raises it
            try:
                sink._put(exc)
            except _Stopped:
                return

    worker = threading.Thread(target=serialize, name="rdf-serializer", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)  # noqa: S101 (the queue holds nothing else)
            yield item
    finally:
        stopped.set()
        worker.join(timeout=5)


class _TextReader:
    """A binary file object over N-Triples text items, read lazily by pyoxigraph's parser."""

    def __init__(self, texts: Iterable[str]) -> None:
        self._texts = iter(texts)
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._pending) < size:
            text = next(self._texts, None)
            if text is None:
                break
            self._pending += text.encode()
        if size < 0:
            size = len(self._pending)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data


def stream_ntriples(texts: Iterable[str], syntax: Syntax) -> Iterator[bytes]:
    """The serialization in `syntax` of a graph given as N-Triples text (`texts`, each a
    run of whole lines), chunk by chunk. N-Triples is sent as it is; every other syntax is
    parsed and serialized by pyoxigraph, streaming too."""
    if syntax is N_TRIPLES:
        buffer: list[bytes] = []
        size = 0
        for text in texts:
            data = text.encode()
            buffer.append(data)
            size += len(data)
            if size >= CHUNK_BYTES:
                yield b"".join(buffer)
                buffer, size = [], 0
        if buffer:
            yield b"".join(buffer)
        return
    reader = cast("IO[bytes]", _TextReader(texts))  # all the parser calls is `read`
    yield from stream(pyoxigraph.parse(reader, RdfFormat.N_TRIPLES), syntax)


def serialize(triples: Iterable[Triple], syntax: Syntax) -> bytes:
    """The whole document at once (small documents: one dataset's description)."""
    document = pyoxigraph.serialize(triples, None, syntax.format, prefixes=PREFIXES)
    assert document is not None  # noqa: S101 (no output given: bytes are returned)
    return document
