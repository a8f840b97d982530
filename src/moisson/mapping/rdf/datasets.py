"""A `dcat:Dataset` node → `DatasetDraft` (docs/udata-backends.md §2.3). Works on any graph: a DCAT
page, a record's subgraph, a CSW record converted to DCAT."""

from __future__ import annotations

from moisson.domain.drafts import DatasetDraft, HarvestMeta
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.options import RdfOptions
from moisson.mapping.rdf.profiles import DEFAULT_PROFILE, Step, run_profile
from moisson.mapping.text import normalize_tags

ACCESS_TYPE_OPEN = "open"


def dataset_from_rdf(
    graph: RdfGraph,
    node: Term,
    options: RdfOptions,
    profile: tuple[Step, ...] = DEFAULT_PROFILE,
) -> DatasetDraft:
    """Map one dataset node. Raises `SkipItem("missing title on dataset")` without a title."""
    fields = run_profile(graph, node, options, profile)
    license_id = fields.license
    # udata's dataset validation: a non-open access type forbids a licence
    # (docs/udata-backends.md §2.4).
    if fields.access_type and fields.access_type != ACCESS_TYPE_OPEN:
        license_id = None
    return DatasetDraft(
        title=fields.title,
        description=fields.description,
        acronym=fields.acronym,
        tags=normalize_tags(fields.tag_texts),
        license=license_id,
        frequency=fields.frequency,
        temporal_coverage=fields.temporal_coverage,
        spatial=fields.spatial,
        contact_points=tuple(fields.contact_points) or None,
        schema=fields.schema,
        resources=tuple(fields.resources),
        extras={"dcat": fields.dcat_extras} if fields.dcat_extras else {},
        access_type=fields.access_type,
        access_type_reason_category=fields.access_type_reason_category,
        harvest=HarvestMeta(**fields.harvest),
    )
