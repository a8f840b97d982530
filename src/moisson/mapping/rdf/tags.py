"""Tag texts from keywords and themes (docs/udata-backends.md §2.5). Normalisation happens once, at
the end (`moisson.mapping.text.normalize_tags`), over every step's contribution."""

from __future__ import annotations

import logging

from pyoxigraph import Literal, NamedNode

from moisson.mapping.hvd import HVD_TAG, HVD_THEMES
from moisson.mapping.inspire import (
    INSPIRE_SCHEME_IRIS,
    INSPIRE_TAG,
    INSPIRE_THEME_BASE,
    INSPIRE_THESAURUS_TITLE,
)
from moisson.mapping.rdf.accessors import single_text
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.namespaces import DCAT, DCT, RDFS, SKOS


def keywords_from_rdf(graph: RdfGraph, node: Term, log: logging.Logger | None = None) -> list[str]:
    keywords: list[str] = []
    for keyword in graph.objects(node, DCAT.keyword):
        if isinstance(keyword, Literal):
            keywords.append(keyword.value)
        elif log:
            log.warning("Keyword %s ignored: keywords must be literals", keyword.value)
    return keywords


def themes_from_rdf(
    graph: RdfGraph, node: Term, language: str | None = None, *, hvd: bool = True
) -> list[str]:
    """Literal themes, theme prefLabels, and HVD categories as French labels plus `hvd`."""
    texts: list[str] = []
    for theme in graph.objects(node, DCAT.theme):
        if isinstance(theme, Literal):
            texts.append(theme.value)
            continue
        if hvd and isinstance(theme, NamedNode) and theme.value in HVD_THEMES:
            texts.extend((HVD_THEMES[theme.value], HVD_TAG))
            continue
        label = single_text(graph, theme, SKOS.prefLabel, language)
        if label:
            texts.append(label)
    return texts


def inspire_tags_from_rdf(graph: RdfGraph, node: Term) -> list[str]:
    """`["inspire"]` when a theme is an INSPIRE theme (by IRI or by its concept scheme)."""
    for theme in graph.objects(node, DCAT.theme):
        if isinstance(theme, Literal):
            continue
        if isinstance(theme, NamedNode) and theme.value.startswith(INSPIRE_THEME_BASE):
            return [INSPIRE_TAG]
        for scheme in graph.objects(theme, SKOS.inScheme):
            if isinstance(scheme, NamedNode) and scheme.value in INSPIRE_SCHEME_IRIS:
                return [INSPIRE_TAG]
            title = (
                single_text(graph, scheme, DCT.title)
                or single_text(graph, scheme, SKOS.prefLabel)
                or single_text(graph, scheme, RDFS.label)
            )
            if title and title.lower() == INSPIRE_THESAURUS_TITLE:
                return [INSPIRE_TAG]
    return []
