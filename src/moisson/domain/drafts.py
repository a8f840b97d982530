"""Typed output of a backend's `map()`: what a remote record says a local object should be.

Drafts are frozen and carry no identity: the engine decides whether a draft creates or
updates a local dataset (docs/udata-behaviour.md §6.5) and stamps the pipeline-owned harvest fields
(`backend`, `domain`, `source_id`, `remote_id`, `last_update`, archive fields) itself.
Only what the *remote* declares lives here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from moisson.domain.enums import ChecksumType, ContactRole, Frequency, ResourceType


class _Draft(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Checksum(_Draft):
    type: ChecksumType = ChecksumType.SHA1
    value: str


class SchemaRef(_Draft):
    """A reference to a data schema (`dct:conformsTo`, CKAN `schema`)."""

    name: str | None = None
    url: str | None = None
    version: str | None = None


class TemporalCoverage(_Draft):
    """Either side may be open (an RDF PeriodOfTime with only an end date is valid)."""

    start: date | None = None
    end: date | None = None


class SpatialCoverage(_Draft):
    geom: dict[str, Any] | None = None
    """A GeoJSON geometry, always normalised to a `MultiPolygon`."""
    zones: tuple[str, ...] = ()
    granularity: str | None = None


class ContactPointDraft(_Draft):
    name: str | None = None
    email: str | None = None
    contact_form: str | None = None
    role: ContactRole = ContactRole.CONTACT


class ResourceHarvestMeta(_Draft):
    uri: str | None = None
    issued_at: datetime | None = None
    modified_at: datetime | None = None
    dct_identifier: str | None = None
    remote_id: str | None = None


class ResourceDraft(_Draft):
    url: str
    title: str
    description: str = ""
    format: str | None = None
    mime: str | None = None
    filesize: int | None = None
    checksum: Checksum | None = None
    type: ResourceType = ResourceType.MAIN
    filetype: str = "remote"
    schema_: SchemaRef | None = Field(default=None, alias="schema")
    extras: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    last_modified: datetime | None = None
    harvest: ResourceHarvestMeta = Field(default_factory=ResourceHarvestMeta)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class HarvestMeta(_Draft):
    """The backend-owned part of a dataset's or dataservice's `harvest` sub-object."""

    remote_url: str | None = None
    uri: str | None = None
    dct_identifier: str | None = None
    created_at: datetime | None = None
    issued_at: datetime | None = None
    modified_at: datetime | None = None
    ckan_name: str | None = None
    ckan_source: str | None = None
    doi: str | None = None


class DatasetDraft(_Draft):
    title: str
    description: str = ""
    acronym: str | None = None
    tags: tuple[str, ...] = ()
    license: str | None = None
    """A licence id of the licence table; `None` means not specified."""
    frequency: Frequency | None = None
    """`None` keeps whatever frequency the local dataset already has
    (docs/udata-backends.md §2.3)."""
    temporal_coverage: TemporalCoverage | None = None
    spatial: SpatialCoverage | None = None
    contact_points: tuple[ContactPointDraft, ...] | None = None
    """`None` keeps the existing contact points; an empty tuple clears them."""
    schema_: SchemaRef | None = Field(default=None, alias="schema")
    resources: tuple[ResourceDraft, ...] = ()
    extras: dict[str, Any] = Field(default_factory=dict)
    access_type: str | None = None
    access_type_reason_category: str | None = None
    private: bool = False
    harvest: HarvestMeta = Field(default_factory=HarvestMeta)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class DataserviceDraft(_Draft):
    title: str
    description: str = ""
    base_api_url: str | None = None
    endpoint_description_url: str | None = None
    machine_documentation_url: str | None = None
    technical_documentation_url: str | None = None
    license: str | None = None
    tags: tuple[str, ...] = ()
    contact_points: tuple[ContactPointDraft, ...] | None = None
    format: str | None = None
    access_type: str | None = None
    extras: dict[str, Any] = Field(default_factory=dict)
    served_datasets: tuple[str, ...] = ()
    """Remote identifiers of the datasets this service serves (`dcat:servesDataset`).
    The engine links each to the dataset of this source with that remote id, or, failing
    that, one whose remote id ends with it (docs/udata-backends.md §2.13)."""
    harvest: HarvestMeta = Field(default_factory=HarvestMeta)


Draft = DatasetDraft | DataserviceDraft
