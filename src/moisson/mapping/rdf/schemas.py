"""The schema catalog used to clean `dct:conformsTo` references (docs/udata-backends.md §2.11).

udata downloads it from SCHEMA_CATALOG_URL; the mapping only receives it (or an empty one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyoxigraph import BlankNode, Literal

from moisson.domain.drafts import SchemaRef
from moisson.mapping.rdf.accessors import single_text
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.namespaces import DCT


class SchemaCatalog:
    """URL → (schema name, version or None), built from udata's catalog JSON entries."""

    def __init__(self, entries: Iterable[Mapping[str, Any]] = ()) -> None:
        self._by_url: dict[str, tuple[str, str | None]] = {}
        for entry in entries:
            name = entry.get("name")
            if not name:
                continue
            for version in entry.get("versions") or ():
                if version.get("schema_url"):
                    self._by_url[version["schema_url"]] = (name, version.get("version_name"))
            if entry.get("schema_url"):
                self._by_url.setdefault(entry["schema_url"], (name, None))

    def clean(self, schema: SchemaRef) -> SchemaRef:
        """A known URL becomes {name, version} without url; anything else is kept."""
        if schema.url and schema.url in self._by_url:
            name, version = self._by_url[schema.url]
            return SchemaRef(name=name, version=version, url=None)
        return schema


def schema_from_rdf(graph: RdfGraph, node: Term, catalog: SchemaCatalog) -> SchemaRef | None:
    """The first `dct:conformsTo` object as a schema reference, cleaned by the catalog.

    A literal gives `{url}`, an IRI `{url, name: its dct:title}`, a blank node
    `{url: its dct:type, name: its dct:title}` (nothing without a type).
    """
    target = graph.value(node, DCT.conformsTo)
    if target is None:
        return None
    if isinstance(target, Literal):
        url = target.value.strip()
        return catalog.clean(SchemaRef(url=url)) if url else None
    name = single_text(graph, target, DCT.title)
    if isinstance(target, BlankNode):
        kind = graph.value(target, DCT.type)
        if kind is None or isinstance(kind, BlankNode):
            return None
        return catalog.clean(SchemaRef(url=kind.value, name=name))
    return catalog.clean(SchemaRef(url=target.value, name=name))
