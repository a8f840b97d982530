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
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import cast

import pyoxigraph
from pyoxigraph import BlankNode, Literal, NamedNode

from moisson.mapping.rdf.graph import Node, RdfGraph, Term, Triple
from moisson.mapping.rdf.namespaces import DCAT, DCT, FOAF, HYDRA, RDF, SKOS

ROOT_HEADER = "# root: "

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


def invalid_language_tag(triples: Iterable[tuple[Term, NamedNode, Term]]) -> str | None:
    """The first language tag of a literal that a payload could not carry, else `None`.

    The lenient RDF/XML parser accepts `xml:lang="***"`, but N-Triples does not: such a
    record would serialise and then fail to parse back, so callers refuse it up front.
    """
    checked: set[str] = set()
    for _, _, o in triples:
        language = o.language if isinstance(o, Literal) else None
        if language is None or language in checked:
            continue
        try:
            Literal("", language=language)
        except ValueError:
            return language
        checked.add(language)
    return None


def _is_boundary(graph: RdfGraph, node: Node) -> bool:
    return any(t in BOUNDARY_TYPES for t in graph.objects(node, RDF.type))


def serialize_record(root: Node, triples: Iterable[Triple]) -> str:
    """Canonical N-Triples of a record (see the module docstring)."""
    labels: dict[BlankNode, str] = {}

    def text(term: Term) -> str:
        if isinstance(term, BlankNode):
            label = labels.get(term)
            if label is None:
                label = labels[term] = f"_:b{len(labels)}"
            return label
        return str(term)

    root_text = text(root)
    lines = sorted({f"{text(s)} {text(p)} {text(o)} ." for s, p, o in triples})
    return "\n".join([ROOT_HEADER + root_text, *lines]) + "\n"


@dataclass(frozen=True, slots=True)
class ServiceSubgraph:
    """A dataservice's subgraph, kept aside until every dataset of the run has been seen.

    GeoDCAT-AP writes a served dataset as a bare IRI (`dcat:servesDataset <iri>`), without
    the `dct:identifier` the link needs (spec 2.13); that identifier is on the dataset's own
    description, maybe on another page or another CSW record. `payload` adds it back.
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
