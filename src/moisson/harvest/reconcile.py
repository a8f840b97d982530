"""From a draft to a local object: matching (get-or-create), ownership, applying, stamping.

Matching (docs/udata-behaviour.md §6.5): a remote id that is itself a public URL is a URI, treated
as globally unique, so it matches an object of the same class from *any* source. Any other id
matches only objects of this source, found by source id (survives a URL change) or by domain
(re-attaches objects to a re-created source for the same portal). The first match wins.

Ownership guard: an object whose producer differs from the source's is never taken over;
the item fails with `Item has another owner: ...` (we name the producer and its id, udata
links to its page, which Moisson does not serve). An object without any producer is adopted.

Applying keeps what udata keeps: resources missing from the draft are not removed, resources
are matched by URL (by URL and title for wms/wfs/wmts, where one URL serves many layers) so
they keep their ids, `frequency=None` and `contact_points=None` keep the old values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from moisson.domain.drafts import (
    ContactPointDraft,
    DataserviceDraft,
    DatasetDraft,
    HarvestMeta,
    ResourceDraft,
)
from moisson.domain.exceptions import InvalidItem
from moisson.http.ssrf import IPNetwork, is_public_url
from moisson.mapping.text import slugify
from moisson.storage.models import Dataservice, Dataset, Resource
from moisson.storage.repositories import harvested
from moisson.storage.repositories.bulk import ContactKey

HarvestedObject = Dataset | Dataservice
LAYER_FORMATS = frozenset({"wms", "wfs", "wmts"})
_SLUG_MAX = 200
_EXTRAS: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


@dataclass(frozen=True, slots=True)
class SourceRef:
    """What the pipeline needs of the source it stamps objects with."""

    id: str | None
    """`None` for the preview of a source that was never saved."""
    url: str
    domain: str
    backend_label: str
    organization_id: str | None
    owner_id: str | None
    autoarchive: bool
    allow_networks: tuple[IPNetwork, ...] = ()


class AnotherOwner(InvalidItem):
    pass


class DuplicateIdentifier(InvalidItem):
    pass


def find_existing(
    session: Session, model: type[HarvestedObject], remote_id: str, source: SourceRef
) -> HarvestedObject | None:
    return harvested.find_by_remote_id(
        session,
        model,
        remote_id,
        anywhere=is_public_url(remote_id, source.allow_networks),
        source_id=source.id,
        domain=source.domain,
    )


def check_owner(session: Session, obj: HarvestedObject, source: SourceRef) -> None:
    """Refuse to take over an object produced by someone else than the source's producer."""
    if obj.organization_id is None and obj.owner_id is None:
        return
    if obj.organization_id is not None:
        mine = obj.organization_id == source.organization_id
    else:
        mine = source.organization_id is None and obj.owner_id == source.owner_id
    if not mine:
        label = harvested.producer_label(session, obj.organization_id, obj.owner_id)
        raise AnotherOwner(f"Item has another owner: {label}")


def new_object(
    session: Session, model: type[HarvestedObject], title: str, source: SourceRef
) -> HarvestedObject:
    obj = model(slug=unique_slug(session, model, title), title=title, **producer_values(source))
    if isinstance(obj, Dataset):
        obj.resources = []  # loaded (empty), so an autoflush cannot make it lazy="raise"
    session.add(obj)
    return obj


def unique_slug(session: Session, model: type[HarvestedObject], title: str) -> str:
    base = base_slug(model, title)
    return first_free_slug(base, harvested.slug_in_use(session, model, base))


def base_slug(model: type[HarvestedObject], title: str) -> str:
    """The slug a title asks for, before any `-N` suffix."""
    return (slugify(title) or model.__tablename__.rstrip("s"))[:_SLUG_MAX].strip("-")


def first_free_slug(base: str, taken: set[str]) -> str:
    """`base` if free, else `base-N` with the smallest free N."""
    if base not in taken:
        return base
    n = 1
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def stamp(obj: HarvestedObject, source: SourceRef, remote_id: str, now: datetime) -> None:
    """The pipeline-owned harvest metadata (docs/udata-behaviour.md §2.7); also un-archives the
    object."""
    _assign(obj, **stamp_values(source, remote_id, now))


def stamp_values(source: SourceRef, remote_id: str, now: datetime) -> dict[str, Any]:
    return {
        "harvest_backend": source.backend_label,
        "harvest_domain": source.domain,
        "harvest_source_id": source.id,
        "harvest_source_url": source.url,
        "harvest_remote_id": remote_id,
        "harvest_last_update": now,
        "harvest_archived_at": None,
        "harvest_archived_reason": None,
        "archived_at": None,
    }


def producer_values(source: SourceRef) -> dict[str, Any]:
    """The producer a new object gets: the source's organization, else its owner."""
    return {
        "organization_id": source.organization_id,
        "owner_id": None if source.organization_id else source.owner_id,
    }


def is_archived(obj: HarvestedObject) -> bool:
    return obj.archived_at is not None or obj.harvest_archived_at is not None


# --------------------------------------------------------------------------- applying drafts


def apply_dataset(session: Session, ds: Dataset, draft: DatasetDraft, now: datetime) -> None:
    values = dataset_values(draft, now, ds.extras)
    if draft.contact_points is not None:
        values["contact_point_ids"] = _contact_point_ids(session, draft.contact_points, ds)
    _assign(ds, **values)
    _apply_resources(ds, draft.resources, now)


def dataset_values(
    draft: DatasetDraft, now: datetime, old_extras: dict[str, Any] | None
) -> dict[str, Any]:
    """The columns a dataset takes from its draft (contact points and resources aside)."""
    values: dict[str, Any] = {
        "title": draft.title,
        "description": draft.description,
        "acronym": draft.acronym,
        "tags": list(draft.tags),
        "license": draft.license,
        "temporal_start": draft.temporal_coverage.start if draft.temporal_coverage else None,
        "temporal_end": draft.temporal_coverage.end if draft.temporal_coverage else None,
        "spatial": draft.spatial.model_dump(mode="json") if draft.spatial else None,
        "schema": _schema(draft.schema_),
        "extras": {**(old_extras or {}), **_json(draft.extras)},
        "private": draft.private,
        "access_type": draft.access_type,
        "access_type_reason_category": draft.access_type_reason_category,
        "last_modified": now,
    }
    if draft.frequency is not None:
        values["frequency"] = str(draft.frequency)
    values.update(_harvest_meta(draft.harvest))
    return values


def apply_dataservice(
    session: Session,
    service: Dataservice,
    draft: DataserviceDraft,
    source: SourceRef,
    now: datetime,
) -> None:
    values: dict[str, Any] = {
        "title": draft.title,
        "description": draft.description,
        "base_api_url": draft.base_api_url,
        "endpoint_description_url": draft.endpoint_description_url,
        "machine_documentation_url": draft.machine_documentation_url,
        "technical_documentation_url": draft.technical_documentation_url,
        "license": draft.license,
        "tags": list(draft.tags),
        "format": draft.format,
        "access_type": draft.access_type,
        "extras": {**(service.extras or {}), **_json(draft.extras)},
        "last_modified": now,
    }
    if draft.contact_points is not None:
        values["contact_point_ids"] = _contact_point_ids(session, draft.contact_points, service)
    linked = harvested.served_dataset_ids(
        session, draft.served_datasets, source_id=source.id, domain=source.domain
    )
    current = list(service.dataset_ids or [])
    values["dataset_ids"] = current + [i for i in linked if i not in current]
    _assign(service, **values, **_harvest_meta(draft.harvest))


def _harvest_meta(meta: HarvestMeta) -> dict[str, Any]:
    extra = {
        key: value
        for key, value in {
            "ckan_name": meta.ckan_name,
            "ckan_source": meta.ckan_source,
            "doi": meta.doi,
        }.items()
        if value is not None
    }
    return {
        "harvest_remote_url": meta.remote_url,
        "harvest_uri": meta.uri,
        "harvest_dct_identifier": meta.dct_identifier,
        "harvest_created_at": _aware(meta.created_at),
        "harvest_issued_at": _aware(meta.issued_at),
        "harvest_modified_at": _aware(meta.modified_at),
        "harvest_extra": extra,
    }


def _contact_point_ids(
    session: Session, drafts: Iterable[ContactPointDraft], obj: HarvestedObject
) -> list[str]:
    ids: list[str] = []
    for draft in drafts:
        point_id = harvested.contact_point(
            session,
            name=draft.name,
            email=draft.email,
            contact_form=draft.contact_form,
            role=str(draft.role),
            organization_id=obj.organization_id,
            owner_id=obj.owner_id,
        )
        if point_id not in ids:
            ids.append(point_id)
    return ids


def contact_keys(
    drafts: Iterable[ContactPointDraft], organization_id: str | None, owner_id: str | None
) -> list[ContactKey]:
    """What identifies each draft's contact point, in order (`harvested.contact_point`)."""
    return [
        (d.name, d.email, d.contact_form, str(d.role), organization_id, owner_id) for d in drafts
    ]


def _resource_key(url: str, title: str, fmt: str | None) -> tuple[str, ...]:
    return (url, title) if (fmt or "").lower() in LAYER_FORMATS else (url,)


def _apply_resources(ds: Dataset, drafts: Iterable[ResourceDraft], now: datetime) -> None:
    existing: dict[tuple[str, ...], list[Resource]] = {}
    for resource in ds.resources:
        existing.setdefault(
            _resource_key(resource.url, resource.title, resource.format), []
        ).append(resource)
    ordered: list[Resource] = []
    for draft in drafts:
        matches = existing.get(_resource_key(draft.url, draft.title, draft.format))
        resource = (
            matches.pop(0) if matches else Resource(created_at=resource_created_at(draft, now))
        )
        _assign(resource, **resource_values(draft, now, resource.last_modified))
        ordered.append(resource)
    kept = [r for r in ds.resources if all(r is not o for o in ordered)]
    for position, resource in enumerate([*ordered, *kept]):
        _assign(resource, position=position)
    if [id(r) for r in ds.resources] != [id(r) for r in [*ordered, *kept]]:
        ds.resources = [*ordered, *kept]


def resource_created_at(draft: ResourceDraft, now: datetime) -> datetime:
    return _aware(draft.created_at) or now


def resource_values(
    draft: ResourceDraft, now: datetime, old_last_modified: datetime | None
) -> dict[str, Any]:
    """The columns a resource takes from its draft (its position aside)."""
    return {
        "url": draft.url,
        "title": draft.title,
        "description": draft.description,
        "format": draft.format,
        "mime": draft.mime,
        "filesize": draft.filesize,
        "checksum_type": str(draft.checksum.type) if draft.checksum else None,
        "checksum_value": draft.checksum.value if draft.checksum else None,
        "type": str(draft.type),
        "filetype": draft.filetype,
        "schema": _schema(draft.schema_),
        "extras": _json(draft.extras),
        "harvest": draft.harvest.model_dump(mode="json", exclude_none=True),
        "last_modified": _aware(draft.last_modified) or old_last_modified or now,
    }


def _schema(schema: Any) -> dict[str, Any] | None:
    return schema.model_dump(mode="json", exclude_none=True) if schema is not None else None


def _json(value: dict[str, Any]) -> dict[str, Any]:
    """Draft extras as JSON-storable values (dates become ISO strings)."""
    dumped: dict[str, Any] = _EXTRAS.dump_python(value, mode="json")
    return dumped


def _aware(value: datetime | None) -> datetime | None:
    """Drafts may carry naive datetimes (UTC by convention); the database wants aware ones."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _assign(obj: object, **values: Any) -> None:
    """Set only what differs, so an identical value never dirties the row."""
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
