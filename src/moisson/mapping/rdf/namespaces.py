"""RDF vocabularies used by the DCAT mapping (docs/udata-backends.md §2.1), as pyoxigraph
`NamedNode`s.

`DCAT.title` is `NamedNode("http://www.w3.org/ns/dcat#title")`; terms are built once and
cached on the namespace object, so lookups in hot loops cost a dict access.
"""

from __future__ import annotations

from pyoxigraph import NamedNode


class Namespace:
    """A vocabulary base IRI; attribute or item access gives the term as a `NamedNode`."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._terms: dict[str, NamedNode] = {}

    def __getitem__(self, name: str) -> NamedNode:
        term = self._terms.get(name)
        if term is None:
            term = self._terms[name] = NamedNode(self.base + name)
        return term

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("_"):
            raise AttributeError(name)
        term = self[name]
        # Kept as an instance attribute: the next `DCAT.title` is found without this call.
        self.__dict__[name] = term
        return term

    def __contains__(self, iri: str) -> bool:
        return iri.startswith(self.base)


RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
ORG = Namespace("http://www.w3.org/ns/org#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SCHEMA = Namespace("http://schema.org/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
FREQ = Namespace("http://purl.org/cld/freq/")
EUFREQ = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EUFORMAT = Namespace("http://publications.europa.eu/resource/authority/file-type/")
IANAFORMAT = Namespace("https://www.iana.org/assignments/media-types/")
GEODCATAP = Namespace("http://data.europa.eu/930/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
OGC_RDF = Namespace("http://www.opengis.net/rdf#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
OGC_STANDARDS = Namespace("http://www.opengeospatial.org/standards/")
DQV = Namespace("http://www.w3.org/ns/dqv#")
SDMX_ATTR = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
QUDT_UNIT = Namespace("http://www.qudt.org/vocab/unit/")
SCOVO = Namespace("http://purl.org/NET/scovo#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
