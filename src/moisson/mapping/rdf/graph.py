"""An immutable, indexed, document-ordered view of one RDF graph.

Why not a `pyoxigraph.Store`: the mapping needs *document order* (udata's "first object",
contact points "in graph order") and many tiny lookups per node. A store sorts by internal
ids and each lookup crosses into Rust; two plain dict indexes built once from the parser's
triple stream keep the order and make every lookup O(1) (spo and reverse op).
Terms are pyoxigraph's own `NamedNode` / `BlankNode` / `Literal` (hashable, comparable).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pyoxigraph import BlankNode, Literal, NamedNode

from moisson.mapping.rdf.namespaces import RDF

Node = NamedNode | BlankNode
Term = NamedNode | BlankNode | Literal
Triple = tuple[Node, NamedNode, Term]

_RDF_TYPE = RDF.type
_EMPTY: dict[NamedNode, list[Term]] = {}


class RdfGraph:
    """Triples indexed by subject (then predicate) and by object, in the order parsed.

    Duplicate triples are dropped, as RDF graphs are sets.
    """

    __slots__ = ("_in", "_out", "_size")

    def __init__(self, triples: Iterable[Triple] = ()) -> None:
        self._out: dict[Term, dict[NamedNode, list[Term]]] = {}
        self._in: dict[Term, list[tuple[Node, NamedNode]]] = {}
        self._size = 0
        for s, p, o in triples:
            self.add(s, p, o)

    def add(self, s: Node, p: NamedNode, o: Term) -> None:
        by_predicate = self._out.get(s)
        if by_predicate is None:
            by_predicate = self._out[s] = {}
        objects = by_predicate.get(p)
        if objects is None:
            by_predicate[p] = [o]
        elif o in objects:
            return
        else:
            objects.append(o)
        self._size += 1
        if not isinstance(o, Literal):
            self._in.setdefault(o, []).append((s, p))

    def __len__(self) -> int:
        return self._size

    def __contains__(self, node: object) -> bool:
        return node in self._out

    def objects(self, s: Term, p: NamedNode) -> list[Term]:
        """Objects of (s, p) in document order (a shared list: do not mutate)."""
        return self._out.get(s, _EMPTY).get(p) or []

    def value(self, s: Term, p: NamedNode) -> Term | None:
        objects = self.objects(s, p)
        return objects[0] if objects else None

    def predicate_objects(self, s: Term) -> dict[NamedNode, list[Term]]:
        return self._out.get(s, _EMPTY)

    def incoming(self, o: Term) -> list[tuple[Node, NamedNode]]:
        """(subject, predicate) pairs pointing at `o`."""
        return self._in.get(o) or []

    def subjects(self, p: NamedNode, o: Term) -> list[Node]:
        return [s for s, pred in self.incoming(o) if pred == p]

    def subjects_of_type(self, rdf_type: NamedNode) -> list[Node]:
        return self.subjects(_RDF_TYPE, rdf_type)

    def has_type(self, node: Term, rdf_type: NamedNode) -> bool:
        return rdf_type in self.objects(node, _RDF_TYPE)

    def triples(self) -> Iterator[tuple[Term, NamedNode, Term]]:
        for s, by_predicate in self._out.items():
            for p, objects in by_predicate.items():
                for o in objects:
                    yield s, p, o
