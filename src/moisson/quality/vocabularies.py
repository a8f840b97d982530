"""Background knowledge about controlled vocabulary terms, so that using them is not a fault.

A harvested record names an EU authority table term (`.../authority/file-type/CSV`) by IRI
only: it does not restate that the term is a `skos:Concept` in the `file-type` scheme, nor that
it is a `dct:MediaTypeOrExtent`. The shapes check exactly that (`mdr-vocabularies.shape.ttl`
wants `skos:inScheme <table>`, `range.ttl` wants the range class), so without the tables'
own descriptions every controlled term would fail. Loading the published tables (tens of
megabytes) for that is out of proportion; what the shapes need of them is what the IRI shape
already says. So `background_triples` adds, for every IRI of a known table used in a record:
its scheme, `skos:Concept`, and the classes the range shapes expect of that table's terms,
as the tables themselves declare them. A term is recognised by its IRI, not looked up: an IRI
of a known table with a code that the table does not have is typed all the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from pyoxigraph import NamedNode

from moisson.mapping.rdf.graph import Term, Triple
from moisson.mapping.rdf.namespaces import DCT, FOAF, RDF, SKOS, SPDX

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"


@dataclass(frozen=True, slots=True)
class Vocabulary:
    prefix: str
    """IRIs starting with this are terms of the vocabulary."""
    scheme: str | None
    """The `skos:ConceptScheme` the terms are in (None: not a SKOS scheme)."""
    classes: tuple[NamedNode, ...]


def _eu(table: str, *classes: NamedNode) -> Vocabulary:
    return Vocabulary(f"{EU_AUTHORITY}{table}/", f"{EU_AUTHORITY}{table}", (SKOS.Concept, *classes))


VOCABULARIES: tuple[Vocabulary, ...] = (
    _eu("file-type", DCT.MediaTypeOrExtent),
    _eu("language", DCT.LinguisticSystem),
    _eu("frequency", DCT.Frequency),
    _eu("access-right", DCT.RightsStatement),
    _eu("licence", DCT.LicenseDocument),
    _eu("country", DCT.Location),
    _eu("continent", DCT.Location),
    _eu("place", DCT.Location),
    _eu("atu", DCT.Location),
    _eu("corporate-body", FOAF.Agent, FOAF.Organization),
    _eu("data-theme"),
    _eu("dataset-type"),
    _eu("distribution-status"),
    _eu("planned-availability"),
    Vocabulary(
        "http://purl.org/adms/licencetype/", "http://purl.org/adms/licencetype/1.0", (SKOS.Concept,)
    ),
    Vocabulary(
        "http://purl.org/adms/publishertype/",
        "http://purl.org/adms/publishertype/1.0",
        (SKOS.Concept,),
    ),
    Vocabulary(
        "http://www.iana.org/assignments/media-types/", None, (DCT.MediaType, DCT.MediaTypeOrExtent)
    ),
    Vocabulary(
        "https://www.iana.org/assignments/media-types/",
        None,
        (DCT.MediaType, DCT.MediaTypeOrExtent),
    ),
    Vocabulary("https://sws.geonames.org/", None, (DCT.Location,)),
    Vocabulary("http://sws.geonames.org/", None, (DCT.Location,)),
    Vocabulary("http://spdx.org/rdf/terms#checksumAlgorithm_", None, (SPDX.ChecksumAlgorithm,)),
)


@lru_cache(maxsize=8192)
def vocabulary_of(iri: str) -> Vocabulary | None:
    for vocabulary in VOCABULARIES:
        if iri.startswith(vocabulary.prefix) and len(iri) > len(vocabulary.prefix):
            return vocabulary
    return None


def background_triples(triples: Iterable[tuple[Term, NamedNode, Term]]) -> Iterator[Triple]:
    """The typing triples of every known vocabulary term used as an object in `triples`
    (each term once; nothing for terms the record does not use)."""
    seen: set[str] = set()
    schemes: set[str] = set()
    for _, _, o in triples:
        if not isinstance(o, NamedNode) or o.value in seen:
            continue
        seen.add(o.value)
        vocabulary = vocabulary_of(o.value)
        if vocabulary is None:
            continue
        for cls in vocabulary.classes:
            yield o, RDF.type, cls
        if vocabulary.scheme is not None:
            scheme = NamedNode(vocabulary.scheme)
            yield o, SKOS.inScheme, scheme
            if vocabulary.scheme not in schemes:
                schemes.add(vocabulary.scheme)
                yield scheme, RDF.type, SKOS.ConceptScheme
