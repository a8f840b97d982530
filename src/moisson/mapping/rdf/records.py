"""One record's subgraph, serialised canonically, and read back.

A catalog page is parsed once; each dataset (or service) becomes a self-contained N-Triples
payload holding what its mapping reads: the node, and everything reachable from it
(distributions, blank nodes, contacts, themes and their schemes, period nodes…), plus the
CatalogRecords pointing at it (`foaf:primaryTopic`, for remote_url). Other datasets and
catalogs reached on the way contribute only their type and identifier (what
`dcat:servesDataset` needs), so one record never drags its neighbours in.

Canonical form: blank nodes are relabelled in traversal order (`_:b0`, `_:b1`…), lines are
sorted, and a first comment line names the root. Identical input gives an identical payload,
hence a stable `content_hash`.

Every payload reads back. The lenient page parsers accept IRIs that N-Triples cannot hold raw
(`>`, a backslash, control characters: `https://example.org/a.csv?a="><script>` in an
`rdf:resource`), so such characters are written as N-Triples `\\uXXXX` escapes, which read
back as the very same IRI: nothing the remote said is lost, and whether the value is usable
is decided later, on the draft (`moisson.harvest.url_checks`). IRIs without such characters
are written as before, so the payloads, hence the content hashes, of ordinary records do not
change. The one thing a payload cannot carry is a language tag that is not one (the lenient
RDF/XML parser accepts `xml:lang="***"`): the literal is kept without it, and a `# dropped:`
comment line after the root says so; `record_notes` reads those lines back for the item's log.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import pyoxigraph
from pyoxigraph import BlankNode, Literal, NamedNode

from moisson.mapping.rdf.graph import Node, RdfGraph, Term, Triple
from moisson.mapping.rdf.namespaces import DCAT, DCT, FOAF, HYDRA, RDF, SKOS

ROOT_HEADER = "# root: "
NOTE_PREFIX = "# dropped: "

#: Typed nodes that are records of their own: only their type and identifier are copied.
BOUNDARY_TYPES = frozenset({DCAT.Dataset, DCAT.DatasetSeries, DCAT.Catalog})
#: Links that lead to whole collections rather than to a description of the record.
SKIPPED_PREDICATES = frozenset(
    {DCAT.dataset, DCAT.service, DCAT.catalog, DCAT.record, HYDRA.member, SKOS.hasTopConcept}
)
#: How far from the root the walk goes (the deepest path the mapping reads is 4 hops:
#: dataset → distribution → accessService → conformsTo); a guard against huge graphs.
MAX_DEPTH = 6
_BOUNDARY_PREDICATES = (RDF.type, DCT.identifier)


class RecordPayloadError(ValueError):
    """A stored payload is not a record serialised by `serialize_record`."""


def record_triples(graph: RdfGraph, root: Node) -> list[Triple]:
    """The triples describing `root`, breadth first, in document order."""
    triples: list[Triple] = []
    seen: set[Term] = {root}
    queue: deque[tuple[Node, int]] = deque([(root, 0)])
    for record, _ in graph.incoming(root):
        if FOAF.primaryTopic in graph.predicate_objects(record) and record not in seen:
            seen.add(record)
            for p, objects in graph.predicate_objects(record).items():
                triples.extend((record, p, o) for o in objects if isinstance(o, Literal))
            triples.append((record, FOAF.primaryTopic, root))
    while queue:
        subject, depth = queue.popleft()
        if subject is not root and _is_boundary(graph, subject):
            for p in _BOUNDARY_PREDICATES:
                triples.extend((subject, p, o) for o in graph.objects(subject, p))
            continue
        for p, objects in graph.predicate_objects(subject).items():
            if p in SKIPPED_PREDICATES:
                continue
            for o in objects:
                triples.append((subject, p, o))
                if (
                    not isinstance(o, Literal)
                    and o not in seen
                    and depth < MAX_DEPTH
                    and o in graph
                ):
                    seen.add(o)
                    queue.append((o, depth + 1))
    return triples


def _is_boundary(graph: RdfGraph, node: Node) -> bool:
    return any(t in BOUNDARY_TYPES for t in graph.objects(node, RDF.type))


def serialize_record(root: Node, triples: Iterable[Triple]) -> str:
    """Canonical N-Triples of a record (see the module docstring)."""
    # Each node's text, worked out once: subjects and predicates recur on many lines.
    written: dict[Term, str] = {}
    blank_nodes = 0
    bad_languages: set[Literal] = set()

    def text(term: Term) -> str:
        nonlocal blank_nodes
        if isinstance(term, Literal):
            literal = str(term)
            if literal[-1] == '"' or _plain_literal(literal):
                return literal
            return _literal_text(term, bad_languages)
        found = written.get(term)
        if found is not None:
            return found
        if isinstance(term, BlankNode):
            found = f"_:b{blank_nodes}"
            blank_nodes += 1
        else:
            found = str(term)
            if _UNSAFE_IN_IRI.search(found, 1, len(found) - 1) is not None:
                found = iri_text(term.value)
        written[term] = found
        return found

    root_text = text(root)  # first: the root is `_:b0` when it is a blank node
    rows = triples if isinstance(triples, list) else list(triples)
    lines = sorted({f"{text(s)} {text(p)} {text(o)} ." for s, p, o in rows})
    notes = sorted(
        {
            f"language tag {o.language!r} of {iri_text(p.value)} {Literal(o.value)} "
            "(not a language tag; the text is kept without it)"
            for _, p, o in (rows if bad_languages else ())
            if isinstance(o, Literal) and o in bad_languages
        }
    )
    header = [ROOT_HEADER + root_text, *(NOTE_PREFIX + note for note in notes)]
    return "\n".join([*header, *lines]) + "\n"


def _literal_text(literal: Literal, bad_languages: set[Literal]) -> str:
    """A literal whose plain N-Triples would not read back: without its invalid language
    tag (noted in `bad_languages`), or with its datatype IRI escaped."""
    language = literal.language
    if language is not None and not _valid_language(language):
        bad_languages.add(literal)
        return str(Literal(literal.value))
    if language is None and _needs_escape(literal.datatype.value):
        return f"{Literal(literal.value)}^^{iri_text(literal.datatype.value)}"
    return str(literal)


def iri_text(iri: str) -> str:
    """`<iri>` in N-Triples, with what cannot stand raw there escaped as `\\uXXXX`."""
    if not _needs_escape(iri):
        return f"<{iri}>"
    return "<" + _UNSAFE_IN_IRI.sub(lambda m: f"\\u{ord(m.group()):04X}", iri) + ">"


#: What the N-Triples reader cannot take raw inside `<...>`, and the line breaks and other
#: control characters that would split or blur a one-triple-per-line payload.
_UNSAFE_IN_IRI = re.compile(r"[>\\\x00-\x1f\x7f]")


def _plain_literal(written: str) -> bool:
    """Whether the N-Triples of a literal reads back as it is: a plain string, a valid
    language tag, or a datatype IRI without a character to escape (the common cases,
    decided on the text alone because this runs for every literal of every record)."""
    end = written.rfind('"')
    tail = written[end + 1 :]
    if not tail:
        return True
    if tail[0] == "@":
        return _valid_language(tail[1:])
    return tail.startswith("^^<") and _UNSAFE_IN_IRI.search(tail, 3, len(tail) - 1) is None


def _needs_escape(iri: str) -> bool:
    return _UNSAFE_IN_IRI.search(iri) is not None


@lru_cache(maxsize=512)
def _valid_language(language: str) -> bool:
    try:
        Literal("", language=language)
    except ValueError:
        return False
    return True


def record_notes(payload: str) -> list[str]:
    """What `serialize_record` could not carry, one message per dropped value."""
    notes = []
    start = payload.find("\n") + 1
    while start and payload.startswith(NOTE_PREFIX, start):
        end = payload.find("\n", start)
        end = len(payload) if end < 0 else end
        notes.append(payload[start + len(NOTE_PREFIX) : end])
        start = end + 1
    return notes


@dataclass(frozen=True, slots=True)
class ServiceSubgraph:
    """A dataservice's subgraph, kept aside until every dataset of the run has been seen.

    GeoDCAT-AP writes a served dataset as a bare IRI (`dcat:servesDataset <iri>`), without
    the `dct:identifier` the link needs (docs/udata-backends.md §2.13); that identifier is on the
    dataset's own description, maybe on another page or another CSW record. `payload` adds it back.
    """

    root: Node
    triples: tuple[Triple, ...]
    unresolved: tuple[NamedNode, ...]
    """Served datasets referenced by IRI only in the service's graph."""

    @classmethod
    def of(cls, graph: RdfGraph, node: Node) -> ServiceSubgraph:
        return cls(
            root=node,
            triples=tuple(record_triples(graph, node)),
            unresolved=tuple(
                served
                for served in graph.objects(node, DCAT.servesDataset)
                if isinstance(served, NamedNode) and not graph.objects(served, DCT.identifier)
            ),
        )

    def payload(self, identifiers_by_iri: Mapping[NamedNode, str]) -> str:
        """The serialised record, with the identifiers of the served datasets that
        `identifiers_by_iri` (dataset IRI -> dct:identifier) knows."""
        triples = list(self.triples)
        for served in self.unresolved:
            identifier = identifiers_by_iri.get(served)
            if identifier is not None:
                triples.append((served, DCT.identifier, Literal(identifier)))
        return serialize_record(self.root, triples)


def parse_record(payload: str) -> tuple[RdfGraph, Node]:
    """The graph and root node of a payload made by `serialize_record`."""
    header, _, body = payload.partition("\n")
    if not header.startswith(ROOT_HEADER):
        raise RecordPayloadError("the payload does not start with its root node")
    root_text = header[len(ROOT_HEADER) :]
    root: Node
    if root_text.startswith("_:"):
        root = BlankNode(root_text[2:])
    elif root_text.startswith("<") and root_text.endswith(">"):
        root = (
            NamedNode(root_text[1:-1]) if _is_absolute(root_text[1:-1]) else _lenient_iri(root_text)
        )
    else:
        raise RecordPayloadError(f"invalid root node {root_text!r}")
    graph = RdfGraph()
    try:
        for triple in pyoxigraph.parse(
            body.encode("utf-8"), pyoxigraph.RdfFormat.N_TRIPLES, lenient=True
        ):
            graph.add(triple.subject, triple.predicate, triple.object)
    except SyntaxError as exc:
        raise RecordPayloadError(f"the payload is not valid N-Triples: {exc}") from exc
    return graph, root


def _is_absolute(iri: str) -> bool:
    try:
        NamedNode(iri)
    except ValueError:
        return False
    return True


def _lenient_iri(root_text: str) -> NamedNode:
    """A relative or space-containing IRI, built the way the lenient parser builds it."""
    quad = next(
        iter(
            pyoxigraph.parse(
                f"{root_text} <urn:x> <urn:x> .", pyoxigraph.RdfFormat.N_TRIPLES, lenient=True
            )
        )
    )
    return cast(NamedNode, quad.subject)
