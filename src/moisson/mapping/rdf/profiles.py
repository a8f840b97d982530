"""Mapping profiles: ordered steps that fill a dataset's fields from its RDF node.

A step reads the graph and writes into a `DatasetFields` accumulator; a profile is a tuple of
steps; the default profile is DCAT-AP, then GeoDCAT-AP, then the local (data.gouv.fr)
extensions, composed in that order (ckanext-dcat's base → v2 → v3 idea). Later steps may rely
on what earlier ones set (licences need the resources; INSPIRE restrictions need the rights).
Steps are pure: graph and options in, fields out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode

from moisson.domain.drafts import (
    ContactPointDraft,
    ResourceDraft,
    SchemaRef,
    SpatialCoverage,
    TemporalCoverage,
)
from moisson.domain.enums import Frequency
from moisson.domain.exceptions import SkipItem
from moisson.mapping.inspire import ACCESS_TYPE_RESTRICTED
from moisson.mapping.rdf.accessors import (
    datetime_value,
    modified_datetime,
    single_text,
    unique_values,
    url_value,
)
from moisson.mapping.rdf.contacts import (
    DCAT_ROLE_PREDICATES,
    GEODCAT_ROLE_PREDICATES,
    contact_points_from_rdf,
)
from moisson.mapping.rdf.distributions import resources_from_rdf
from moisson.mapping.rdf.frequency import frequency_from_rdf
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.namespaces import ADMS, DCAT, DCT, FOAF, OWL, SKOS, XSD
from moisson.mapping.rdf.options import RdfOptions
from moisson.mapping.rdf.resolution import spatial_resolution_from_rdf
from moisson.mapping.rdf.rights import inspire_restriction, license_from_rdf, rights_from_rdf
from moisson.mapping.rdf.schemas import schema_from_rdf
from moisson.mapping.rdf.spatial import spatial_from_rdf
from moisson.mapping.rdf.tags import inspire_tags_from_rdf, keywords_from_rdf, themes_from_rdf
from moisson.mapping.rdf.temporal import temporal_from_rdf
from moisson.mapping.rdf.urls import is_valid_url
from moisson.mapping.text import sanitize_description


@dataclass
class DatasetFields:
    """What the steps accumulate before `datasets.py` freezes it into a `DatasetDraft`."""

    title: str = ""
    description: str = ""
    acronym: str | None = None
    tag_texts: list[str] = field(default_factory=list)
    license: str | None = None
    frequency: Frequency | None = None
    temporal_coverage: TemporalCoverage | None = None
    spatial: SpatialCoverage | None = None
    contact_points: list[ContactPointDraft] = field(default_factory=list)
    schema: SchemaRef | None = None
    resources: list[ResourceDraft] = field(default_factory=list)
    dcat_extras: dict[str, Any] = field(default_factory=dict)
    access_type: str | None = None
    access_type_reason_category: str | None = None
    harvest: dict[str, Any] = field(default_factory=dict)


Step = Callable[[RdfGraph, Term, RdfOptions, DatasetFields], None]


# --- DCAT-AP ------------------------------------------------------------------------------


def core_step(graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields) -> None:
    title = single_text(graph, node, DCT.title, options.language)
    if not title:
        raise SkipItem("missing title on dataset")
    fields.title = title
    fields.description = description_from_rdf(graph, node, options.language)
    fields.acronym = single_text(graph, node, SKOS.altLabel, options.language)


def harvest_step(graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields) -> None:
    fields.harvest.update(
        dct_identifier=single_text(graph, node, DCT.identifier),
        uri=node.value if isinstance(node, NamedNode) else None,
        remote_url=remote_url_from_rdf(graph, node, options),
        created_at=datetime_value(graph, node, DCT.created),
        issued_at=datetime_value(graph, node, DCT.issued),
        modified_at=modified_datetime(graph, node, DCT.modified, options.now),
    )


def tags_step(graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields) -> None:
    fields.tag_texts += keywords_from_rdf(graph, node, options.log)
    fields.tag_texts += themes_from_rdf(graph, node, options.language, hvd=options.hvd)


def frequency_step(graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields) -> None:
    fields.frequency = frequency_from_rdf(graph, node)


def temporal_step(graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields) -> None:
    fields.temporal_coverage = temporal_from_rdf(graph, node)


def dcat_contacts_step(
    graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields
) -> None:
    fields.contact_points += contact_points_from_rdf(
        graph, node, DCAT_ROLE_PREDICATES, options.language, options.log
    )


def schema_step(graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields) -> None:
    fields.schema = schema_from_rdf(graph, node, options.schemas)


def resources_step(graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields) -> None:
    fields.resources = resources_from_rdf(graph, node, options)


def rights_step(graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields) -> None:
    """Rights extras, provenance, then the licence guessed from all of them
    (docs/udata-backends.md §2.4)."""
    rights = rights_from_rdf(graph, node, fields.resources)
    fields.dcat_extras.update(rights)
    provenance = unique_values(graph, node, DCT.provenance)
    if provenance:
        fields.dcat_extras["provenance"] = provenance
    fields.license = license_from_rdf(
        options.licenses,
        unique_values(graph, node, DCT.license),
        unique_values(graph, node, DCT.rights),
        fields.resources,
    )


DCAT_AP: tuple[Step, ...] = (
    core_step,
    harvest_step,
    tags_step,
    frequency_step,
    temporal_step,
    dcat_contacts_step,
    schema_step,
    resources_step,
    rights_step,
)


# --- GeoDCAT-AP ---------------------------------------------------------------------------


def spatial_step(graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields) -> None:
    fields.spatial = spatial_from_rdf(graph, node)
    resolution = spatial_resolution_from_rdf(graph, node)
    if resolution:
        fields.dcat_extras["spatial_resolution"] = resolution


def geodcat_contacts_step(
    graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields
) -> None:
    fields.contact_points += contact_points_from_rdf(
        graph, node, GEODCAT_ROLE_PREDICATES, options.language, options.log
    )


def inspire_step(graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields) -> None:
    """The `inspire` tag, and INSPIRE article 13.1 limitations as a restricted access."""
    if not options.inspire:
        return
    fields.tag_texts += inspire_tags_from_rdf(graph, node)
    texts = [*fields.dcat_extras.get("accessRights", ()), *fields.dcat_extras.get("rights", ())]
    category = inspire_restriction(texts)
    if category:
        fields.access_type = ACCESS_TYPE_RESTRICTED
        fields.access_type_reason_category = category


GEODCAT_AP: tuple[Step, ...] = (spatial_step, geodcat_contacts_step, inspire_step)


# --- Local extensions ---------------------------------------------------------------------

_DOI = re.compile(r"(?:^|doi:|doi\.org/)(10\.\d{4,9}/\S+)$", re.IGNORECASE)


def doi_step(graph: RdfGraph, node: Term, options: RdfOptions, fields: DatasetFields) -> None:
    """The DOI declared by the dataset (dct:identifier, adms:identifier, owl:sameAs).
    Two different DOIs cannot both be right: none is recorded and the conflict is logged."""
    texts = [o.value for o in graph.objects(node, DCT.identifier) if not isinstance(o, BlankNode)]
    for identifier in graph.objects(node, ADMS.identifier):
        texts += [n.value for n in graph.objects(identifier, SKOS.notation)]
    texts += [o.value for o in graph.objects(node, OWL.sameAs) if not isinstance(o, BlankNode)]
    dois: dict[str, str] = {}
    for text in texts:
        match = _DOI.search(text.strip())
        if match:
            dois.setdefault(match.group(1).lower(), match.group(1))
    if len(dois) == 1:
        fields.harvest["doi"] = next(iter(dois.values()))
    elif len(dois) > 1:
        options.log.warning("Conflicting DOIs, none recorded: %s", ", ".join(dois.values()))


LOCAL: tuple[Step, ...] = (doi_step,)

DEFAULT_PROFILE: tuple[Step, ...] = DCAT_AP + GEODCAT_AP + LOCAL


# --- Shared readers -----------------------------------------------------------------------


def description_from_rdf(graph: RdfGraph, node: Term, language: str | None) -> str:
    text = single_text(graph, node, DCT.description, language) or single_text(
        graph, node, DCT.abstract, language
    )
    return sanitize_description(text)


def remote_url_from_rdf(graph: RdfGraph, node: Term, options: RdfOptions) -> str | None:
    """Spec 2.3.1: CatalogRecord identifier under `remote_url_prefix` (CSW), else the first
    valid of (landing page, node IRI)."""
    if options.remote_url_prefix:
        identifier = catalog_record_identifier(graph, node)
        if identifier:
            return f"{options.remote_url_prefix.rstrip('/')}/{identifier}"
    candidates = [url_value(graph, node, DCAT.landingPage)]
    if isinstance(node, NamedNode):
        candidates.append(node.value)
    for candidate in candidates:
        if candidate and is_valid_url(candidate, allow_private=options.allow_private_urls):
            return candidate
    return None


def catalog_record_identifier(graph: RdfGraph, node: Term) -> str | None:
    records = list(graph.objects(node, FOAF.isPrimaryTopicOf))
    records += graph.subjects(FOAF.primaryTopic, node)
    for record in records:
        identifier = graph.value(record, DCT.identifier)
        if not isinstance(identifier, Literal) or not identifier.value.strip():
            continue
        text = identifier.value.strip()
        # ISO 19115-3 codeSpace: only an xsd:anyURI `urn:uuid:` loses its prefix.
        if identifier.datatype == XSD.anyURI and text.startswith("urn:uuid:"):
            text = text[len("urn:uuid:") :]
        return text
    return None


def run_profile(
    graph: RdfGraph, node: Term, options: RdfOptions, profile: tuple[Step, ...]
) -> DatasetFields:
    fields = DatasetFields()
    for step in profile:
        step(graph, node, options, fields)
    return fields
