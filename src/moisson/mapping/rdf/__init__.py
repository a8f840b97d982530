"""RDF → drafts: parsing, format detection and the listing of dataset nodes.

Parsing policy (docs/udata-backends.md §3.1 and §10.3):
- Relative IRIs are *kept relative*, as udata (rdflib without a base IRI) does: pyoxigraph is
  run without `base_iri` and in lenient mode, which stores `rdf:about="dataset-3"` as the IRI
  `dataset-3` instead of resolving it against the page URL. catalog.xml dataset 4 and the
  `harvest.uri` values of bnodes.xml depend on it. Lenient mode also accepts the IRIs with a
  space that GeoNetwork emits (geonetwork.xml), which rdflib keeps with a warning.
- RDF/XML property elements carrying both `rdf:resource` and text are invalid; rdflib ignores
  the text, pyoxigraph refuses the document. Such a document is repaired (text dropped) and
  parsed again: see `_repair_rdfxml`.
- JSON-LD remote contexts are never fetched (`jsonld.py`).
Every failure surfaces as one exception, `RdfParseError`, with a message for the operator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pyoxigraph
from lxml import etree

from moisson.mapping.rdf.graph import Node, RdfGraph, Term
from moisson.mapping.rdf.jsonld import UnknownRemoteContext, inline_remote_contexts
from moisson.mapping.rdf.namespaces import DCAT, DCT

__all__ = [
    "RdfFormatError",
    "RdfGraph",
    "RdfParseError",
    "detect_format",
    "iter_dataset_nodes",
    "parse_graph",
]


class RdfParseError(ValueError):
    """The document is not RDF Moisson can read (syntax, unsupported format, remote context)."""


class RdfFormatError(RdfParseError):
    """The RDF syntax of a document could not be determined or is not supported."""


#: Media type -> format name (docs/udata-backends.md §3.1 step 1a).
MIME_FORMATS: dict[str, str] = {
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/n3": "n3",
    "application/x-turtle": "turtle",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}

#: File extension -> format name (docs/udata-backends.md §3.1 step 1b).
EXTENSION_FORMATS: dict[str, str] = {
    "xml": "xml",
    "rdf": "xml",
    "owl": "xml",
    "n3": "n3",
    "ttl": "turtle",
    "nt": "nt",
    "trix": "trix",
    "nq": "nquads",
    "nquads": "nquads",
    "trig": "trig",
    "json": "json-ld",
    "jsonld": "json-ld",
    "json-ld": "json-ld",
    "xhtml": "rdfa",
    "html": "rdfa",
    "svg": "rdfa",
}

_PYOXIGRAPH_FORMATS: dict[str, pyoxigraph.RdfFormat] = {
    "xml": pyoxigraph.RdfFormat.RDF_XML,
    "n3": pyoxigraph.RdfFormat.N3,
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "nt": pyoxigraph.RdfFormat.N_TRIPLES,
    "nquads": pyoxigraph.RdfFormat.N_QUADS,
    "trig": pyoxigraph.RdfFormat.TRIG,
    "json-ld": pyoxigraph.RdfFormat.JSON_LD,
}

# Media types that say nothing about the syntax: the extension or the content decides.
_GENERIC_MIMES = frozenset({"", "text/plain", "application/octet-stream", "binary/octet-stream"})


def detect_format(content_type: str | None, url: str, data: bytes) -> str:
    """The RDF format name of a fetched document.

    Order: the Content-Type (docs/udata-backends.md §3.1 step 1a table), then the extension of the
    URL *path* (udata looks at the whole URL, so `catalog.xml?page=1` defeats it: we do better),
    then sniffing the first bytes. Raises `RdfFormatError` with udata's messages when nothing works.
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in MIME_FORMATS:
        return MIME_FORMATS[mime]
    path = urlsplit(url).path
    if "." in path.rsplit("/", 1)[-1]:
        extension = path.rsplit(".", 1)[-1].lower()
        if extension in EXTENSION_FORMATS:
            return EXTENSION_FORMATS[extension]
    sniffed = _sniff(data)
    if sniffed is not None:
        return sniffed
    if mime not in _GENERIC_MIMES:
        raise RdfFormatError(f'Unsupported mime type "{mime}"')
    raise RdfFormatError("Unable to detect format from extension or mime type")


def _sniff(data: bytes) -> str | None:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    lowered = head.lower()
    if head.startswith(b"<"):
        if b"<html" in lowered or b"<!doctype html" in lowered:
            return None
        if b"rdf-syntax-ns" in head or b"<rdf:rdf" in lowered:
            return "xml"
        return None
    if head.startswith((b"{", b"[")):
        return "json-ld"
    if lowered.startswith((b"@prefix", b"@base", b"prefix", b"base")):
        return "turtle"
    return None


MAX_ENTITY_EXPANSION = 16 * 1024 * 1024
"""Characters the internal entities of an RDF/XML document may expand to, all references
counted. RDF/XML legitimately abbreviates namespace IRIs with entities (`&xsd;string`);
a "billion laughs" document expands a few kB into gigabytes."""

_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.DOTALL)
_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(%\s+)?([^\s\"']+)\s+(?:\"([^\"]*)\"|'([^']*)'|(\S+))")
_ENTITY_REF = re.compile(rb"&([^\s&;#]+);")


def _check_entities(data: bytes) -> None:
    """Refuse an RDF/XML document whose entity declarations could blow up when expanded.

    pyoxigraph's RDF/XML parser expands internal entities without any bound (measured:
    a 1 kB document gave a 380 MB literal and 1.2 GB of memory), so the bound is put here:
    external and parameter entities are refused, and internal ones may not expand, all
    references in the document counted, to more than `MAX_ENTITY_EXPANSION` characters.
    """
    head = data[: 1024 * 1024]
    declared = _DOCTYPE_SUBSET.search(head)
    if declared is None or b"<!ENTITY" not in declared.group(1):
        return
    values: dict[bytes, bytes] = {}
    for match in _ENTITY_DECL.finditer(declared.group(1)):
        percent, name, double, single, _bare = match.groups()
        if percent or (double is None and single is None):
            kind = "parameter" if percent else "external"
            raise RdfParseError(
                f"RDF/XML documents declaring {kind} entities are refused (possible XXE "
                f"attack): {name.decode('utf-8', 'replace')}"
            )
        values[name] = double if double is not None else single
    sizes: dict[bytes, int] = {}

    def expanded(name: bytes, depth: int = 0) -> int:
        if name in sizes:
            return sizes[name]
        if depth > 32:  # a cycle or an absurd chain
            return MAX_ENTITY_EXPANSION + 1
        value = values.get(name, b"")
        size = len(value)
        for ref in _ENTITY_REF.findall(value):
            size += expanded(ref, depth + 1) - len(ref) - 2
            if size > MAX_ENTITY_EXPANSION:
                break
        sizes[name] = size
        return size

    body = data[declared.end() :]
    total = 0
    for name in values:
        references = body.count(b"&" + name + b";")
        if references:
            total += references * expanded(name)
        if total > MAX_ENTITY_EXPANSION:
            raise RdfParseError(
                "RDF/XML document refused: its entities expand to more than "
                f"{MAX_ENTITY_EXPANSION} characters (an entity expansion attack?)"
            )


def _check_depth(data: bytes) -> None:
    """Refuse RDF/XML nested deeper than libxml2's default limit (256 levels).

    pyoxigraph's RDF/XML parser takes time quadratic in the nesting depth (measured: 20,000
    levels 3.7 s, 100,000 levels several minutes), so a few MB of `<a><b><a><b>...` would
    hold a worker for ever. No catalog nests that deep; libxml2 (a C pass, a fraction of
    the RDF parse) tells us cheaply. Other XML errors are left to pyoxigraph's messages.
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        if "Excessive depth" in str(exc):
            raise RdfParseError(
                "The document is not valid xml RDF: it nests elements more than 256 levels deep"
            ) from None


def parse_graph(data: bytes, fmt: str) -> RdfGraph:
    """Parse one RDF document (all its named graphs merged) into an `RdfGraph`.

    Raises `RdfParseError` (or `RdfFormatError`) with a message naming the problem.
    """
    rdf_format = _PYOXIGRAPH_FORMATS.get(fmt)
    if rdf_format is None:
        raise RdfFormatError(f'RDF format "{fmt}" is not supported')
    if fmt == "xml":
        _check_entities(data)
        _check_depth(data)
    if fmt == "json-ld":
        try:
            data = inline_remote_contexts(data)
        except UnknownRemoteContext as exc:
            raise RdfParseError(str(exc)) from exc
        except ValueError as exc:
            raise RdfParseError(f"Invalid JSON-LD document: {exc}") from exc
    try:
        return _parse(data, rdf_format)
    except SyntaxError as exc:
        if fmt == "xml":
            repaired = _repair_rdfxml(data)
            if repaired is not None:
                try:
                    return _parse(repaired, rdf_format)
                except SyntaxError:
                    pass
        raise RdfParseError(_syntax_message(fmt, exc)) from exc
    except ValueError as exc:  # pyoxigraph reports some encoding problems this way
        raise RdfParseError(_syntax_message(fmt, exc)) from exc


def _parse(data: bytes, rdf_format: pyoxigraph.RdfFormat) -> RdfGraph:
    graph = RdfGraph()
    add = graph.add
    for quad in pyoxigraph.parse(data, rdf_format, lenient=True):
        add(quad.subject, quad.predicate, quad.object)
    return graph


def _syntax_message(fmt: str, exc: Exception) -> str:
    detail = str(exc)
    if "LoadDocumentCallback" in detail:
        detail = "it loads a remote JSON-LD context (e.g. @import), which is never downloaded"
    return f"The document is not valid {fmt} RDF: {detail}"


_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_REFERENCE_ATTRIBUTES = (f"{{{_RDF_NS}}}resource", f"{{{_RDF_NS}}}nodeID")


def _repair_rdfxml(data: bytes) -> bytes | None:
    """Drop the text of property elements that also carry `rdf:resource`/`rdf:nodeID`.

    rdflib ignores such text (GeoNetwork writes `<dcat:theme rdf:resource="…">Label</…>`);
    the RDF/XML grammar forbids it. Returns `None` when there is nothing to repair.
    The parser is hardened: no network, no DTD, no entity expansion.
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    changed = False
    for element in root.iter():
        if element.text and any(a in element.attrib for a in _REFERENCE_ATTRIBUTES):
            element.text = None
            changed = True
    return etree.tostring(root, xml_declaration=True, encoding="utf-8") if changed else None


def iter_dataset_nodes(graph: RdfGraph) -> Iterator[Node]:
    """Dataset nodes of a page, each once, in document order (docs/udata-backends.md §3.2).

    Subjects typed dcat:Dataset or dcat:DatasetSeries; a node typed both comes once. Nodes
    with no dct:title whose only incoming link is one dcat:servesDataset or dct:hasPart are
    references from a service or a parent, not datasets of this page: they are left out.
    """
    seen: set[Term] = set()
    for rdf_type in (DCAT.Dataset, DCAT.DatasetSeries):
        for node in graph.subjects_of_type(rdf_type):
            if node in seen:
                continue
            seen.add(node)
            if not _is_reference_only(graph, node):
                yield node


def _is_reference_only(graph: RdfGraph, node: Node) -> bool:
    if graph.objects(node, DCT.title):
        return False
    incoming = graph.incoming(node)
    return len(incoming) == 1 and incoming[0][1] in (DCAT.servesDataset, DCT.hasPart)
