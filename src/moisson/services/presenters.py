"""ORM objects -> the JSON shapes of udata's harvest API.

Presenters are pure: they read already loaded objects (and the lookup maps a service built
with a handful of batched queries) and never query. Date-times are RFC 3339 with an explicit
`+00:00` offset. udata emits `null` for absent optional fields, and so do we: a key of the
shape is always present, except `items` on job summaries (see `present_job`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from moisson.config import Settings
from moisson.domain.enums import ItemKind, ItemStatus
from moisson.domain.json import Json
from moisson.harvest.results import PreviewResult
from moisson.services.auth import Caller
from moisson.services.permissions import source_permissions
from moisson.services.scheduling import render_schedule
from moisson.storage.models import (
    ContactPoint,
    Dataservice,
    Dataset,
    HarvestErrorRow,
    HarvestItem,
    HarvestJob,
    HarvestLogRow,
    HarvestSource,
    Organization,
    Resource,
    User,
)

# --------------------------------------------------------------------------- scalars


def iso(value: datetime | date | str | None) -> str | None:
    """RFC 3339 in UTC with `+00:00`; a date is midnight UTC; a string is normalised if it
    parses (harvest metadata stored as JSON), else returned untouched."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        value = parsed
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def api_url(settings: Settings, path: str) -> str:
    return settings.public_url.rstrip("/") + "/api/1/" + path.lstrip("/")


# --------------------------------------------------------------------------- references


def user_reference(user: User | None) -> Json | None:
    if user is None:
        return None
    return {
        "id": user.id,
        "class": "User",
        "slug": user.slug,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "avatar": None,
        "avatar_thumbnail": None,
        "uri": None,
        "page": None,
        "deleted": iso(user.deleted_at),
    }


def organization_reference(org: Organization | None, caller: Caller) -> Json | None:
    if org is None:
        return None
    admin = caller.is_sysadmin or caller.is_org_admin(org.id)
    return {
        "id": org.id,
        "class": "Organization",
        "name": org.name,
        "acronym": org.acronym,
        "slug": org.slug,
        "logo": None,
        "logo_thumbnail": None,
        "badges": [],
        "uri": None,
        "page": None,
        "permissions": {
            "edit": admin,
            "delete": admin,
            "members": admin,
            "harvest": admin,
            "private": admin,
        },
    }


def dataset_reference(dataset: Dataset, settings: Settings) -> Json:
    return {
        "id": dataset.id,
        "class": "Dataset",
        "title": dataset.title,
        "acronym": dataset.acronym,
        "uri": api_url(settings, f"datasets/{dataset.id}/"),
        "page": None,
    }


def dataservice_reference(dataservice: Dataservice, settings: Settings) -> Json:
    return {
        "id": dataservice.id,
        "class": "Dataservice",
        "title": dataservice.title,
        "self_api_url": api_url(settings, f"dataservices/{dataservice.id}/"),
        "self_web_url": None,
    }


# --------------------------------------------------------------------------- jobs and items


def present_error(row: HarvestErrorRow, *, show_details: bool) -> Json:
    """`details` (tracebacks, payloads) only for sysadmins, as udata 17 does."""
    return {
        "level": row.level,
        "message": row.message,
        "details": row.details if show_details else None,
        "created_at": iso(row.created_at),
    }


def present_log(row: HarvestLogRow) -> Json:
    return {"level": row.level, "message": row.message}


def item_counters(job: HarvestJob) -> Json:
    """Counters stored on the job row: reading them never loads the items."""
    return {
        "items_total": job.items_total,
        "items_by_status": {
            ItemStatus.PENDING: job.items_pending,
            ItemStatus.STARTED: job.items_started,
            ItemStatus.DONE: job.items_done,
            ItemStatus.FAILED: job.items_failed,
            ItemStatus.SKIPPED: job.items_skipped,
            ItemStatus.ARCHIVED: job.items_archived,
        },
        "items_by_type": {
            ItemKind.DATASET: job.items_datasets,
            ItemKind.DATASERVICE: job.items_dataservices,
        },
        "items_unchanged": job.items_unchanged,
        "quality": {  # an extra field: DCAT-AP validation of the items (docs/quality.md)
            "assessed": job.quality_assessed,
            "nonconforming": job.quality_nonconforming,
            "violations": job.quality_violations,
            "warnings": job.quality_warnings,
        },
    }


def present_job(
    job: HarvestJob,
    errors: list[HarvestErrorRow],
    *,
    show_details: bool,
    items: list[Json] | None = None,
) -> Json:
    """A job. `items` is the page of items of `GET /harvest/job/{id}/`; job summaries
    (listings, `last_job`) leave the key out and carry the counters only, so a listing
    never loads items."""
    shown: Json = {
        "id": job.id,
        "created": iso(job.created),
        "started": iso(job.started),
        "ended": iso(job.ended),
        "status": job.status,
        "errors": [present_error(e, show_details=show_details) for e in errors],
        "source": job.source_id,
        "truncated": job.truncated,
        **item_counters(job),
    }
    if items is not None:
        shown["items"] = items
    return shown


@dataclass
class ItemRelations:
    """What item presenters need, loaded in batches by the calling service."""

    errors: Mapping[str, list[HarvestErrorRow]] = field(default_factory=dict)
    logs: Mapping[str, list[HarvestLogRow]] = field(default_factory=dict)
    datasets: Mapping[str, Dataset] = field(default_factory=dict)
    dataservices: Mapping[str, Dataservice] = field(default_factory=dict)


def present_item(
    item: HarvestItem, related: ItemRelations, settings: Settings, *, show_details: bool
) -> Json:
    dataset = related.datasets.get(item.dataset_id) if item.dataset_id else None
    dataservice = related.dataservices.get(item.dataservice_id) if item.dataservice_id else None
    return {
        "id": item.id,
        "remote_id": item.remote_id,
        "remote_url": item.remote_url,
        "dataset": dataset_reference(dataset, settings) if dataset else None,
        "dataservice": dataservice_reference(dataservice, settings) if dataservice else None,
        "status": item.status,
        "unchanged": item.unchanged,
        "created": iso(item.created),
        "started": iso(item.started),
        "ended": iso(item.ended),
        "errors": [
            present_error(e, show_details=show_details) for e in related.errors.get(item.id, [])
        ],
        "logs": [present_log(log) for log in related.logs.get(item.id, [])],
        "args": [],
        "kwargs": dict(item.kwargs or {}),
        "quality": item.quality,  # an extra field: violations, warnings, MQA score
    }


# --------------------------------------------------------------------------- sources


@dataclass
class SourceRelations:
    users: Mapping[str, User] = field(default_factory=dict)
    organizations: Mapping[str, Organization] = field(default_factory=dict)
    last_jobs: Mapping[str, HarvestJob] = field(default_factory=dict)
    job_errors: Mapping[str, list[HarvestErrorRow]] = field(default_factory=dict)


def present_source(source: HarvestSource, related: SourceRelations, caller: Caller) -> Json:
    last_job = related.last_jobs.get(source.id) if source.id else None
    validator = related.users.get(source.validation_by_id) if source.validation_by_id else None
    return {
        "id": source.id,
        "name": source.name,
        "slug": source.slug,
        "description": source.description,
        "url": source.url,
        "backend": source.backend,
        "config": dict(source.config or {}),
        "active": source.active,
        "autoarchive": source.autoarchive,
        "created_at": iso(source.created_at),
        "deleted": iso(source.deleted_at),
        "validation": {
            "state": source.validation_state,
            "by": user_reference(validator),
            "on": iso(source.validation_on),
            "comment": source.validation_comment,
        },
        "owner": user_reference(related.users.get(source.owner_id) if source.owner_id else None),
        "organization": organization_reference(
            related.organizations.get(source.organization_id) if source.organization_id else None,
            caller,
        ),
        "last_job": (
            present_job(
                last_job,
                list(related.job_errors.get(last_job.id, [])),
                show_details=caller.is_sysadmin,
            )
            if last_job is not None
            else None
        ),
        "permissions": source_permissions(caller, source),
        "schedule": render_schedule(source),
        "next_run_at": iso(source.next_run_at),
        # An extra field: whether credentials are set, never what they are.
        "credentials": {
            "type": source.credentials_kind,
            "set": source.credentials_kind is not None,
        },
    }


# --------------------------------------------------------------------------- datasets


@dataclass
class ObjectRelations:
    """Producers and contact points of datasets and dataservices."""

    users: Mapping[str, User] = field(default_factory=dict)
    organizations: Mapping[str, Organization] = field(default_factory=dict)
    contact_points: Mapping[str, ContactPoint] = field(default_factory=dict)
    quality: Mapping[str, Json] = field(default_factory=dict)
    """Dataset id -> its `quality` object (`services.quality.udata_quality`)."""


def present_contact_point(contact: ContactPoint, related: ObjectRelations, caller: Caller) -> Json:
    return {
        "id": contact.id,
        # `name` is required by the reference: fall back on the address when a catalog
        # named no one.
        "name": contact.name or contact.email or "",
        "email": contact.email,
        "contact_form": contact.contact_form,
        "role": contact.role,
        "owner": user_reference(related.users.get(contact.owner_id) if contact.owner_id else None),
        "organization": organization_reference(
            related.organizations.get(contact.organization_id) if contact.organization_id else None,
            caller,
        ),
    }


def _harvest_metadata(obj: Dataset | Dataservice) -> Json:
    extra = dict(obj.harvest_extra or {})
    shown: Json = {
        "backend": obj.harvest_backend,
        "domain": obj.harvest_domain,
        "source_id": obj.harvest_source_id,
        "source_url": obj.harvest_source_url,
        "remote_id": obj.harvest_remote_id,
        "remote_url": obj.harvest_remote_url,
        "uri": obj.harvest_uri,
        "created_at": iso(obj.harvest_created_at),
        "issued_at": iso(obj.harvest_issued_at),
        "modified_at": iso(obj.harvest_modified_at),
        "last_update": iso(obj.harvest_last_update),
        "archived_at": iso(obj.harvest_archived_at),
        # udata 17.18 renamed `archived` to `archived_reason`; the reference still says
        # `archived`: both are given.
        "archived": obj.harvest_archived_reason,
        "archived_reason": obj.harvest_archived_reason,
    }
    if isinstance(obj, Dataset):
        shown["dct_identifier"] = obj.harvest_dct_identifier
    for key, value in extra.items():
        shown.setdefault(key, value)
    return shown


def _checksum(resource: Resource) -> Json | None:
    if not resource.checksum_value:
        return None
    return {"type": resource.checksum_type or "sha1", "value": resource.checksum_value}


def _resource_harvest(resource: Resource) -> Json | None:
    meta = dict(resource.harvest or {})
    if not meta:
        return None
    for key in ("issued_at", "modified_at", "last_update"):
        if key in meta:
            meta[key] = iso(meta[key])
    return meta


def present_resource(resource: Resource) -> Json:
    return {
        "id": resource.id,
        "title": resource.title,
        "description": resource.description,
        "url": resource.url,
        # The permanent URL of a remote file is the file's own URL.
        "latest": resource.url,
        # `format` is required by the reference; unknown is the empty string.
        "format": resource.format or "",
        "mime": resource.mime,
        "filesize": resource.filesize,
        "checksum": _checksum(resource),
        "type": resource.type,
        "filetype": resource.filetype,
        "schema": dict(resource.schema) if resource.schema else None,
        "extras": dict(resource.extras or {}),
        "harvest": _resource_harvest(resource),
        "created_at": iso(resource.created_at),
        "last_modified": iso(resource.last_modified),
        "internal": {
            "created_at_internal": iso(resource.created_at),
            "last_modified_internal": iso(resource.last_modified),
        },
        "metrics": {},
        "preview_url": None,
    }


def _temporal(dataset: Dataset) -> Json | None:
    if dataset.temporal_start is None:
        return None
    return {"start": iso(dataset.temporal_start), "end": iso(dataset.temporal_end)}


def _spatial(dataset: Dataset) -> Json | None:
    spatial = dict(dataset.spatial or {})
    if not spatial:
        return None
    return {
        "geom": spatial.get("geom"),
        "zones": list(spatial.get("zones") or []),
        "granularity": spatial.get("granularity") or "other",
    }


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def present_dataset(
    dataset: Dataset,
    related: ObjectRelations,
    settings: Settings,
    caller: Caller,
    *,
    preview: bool = False,
) -> Json:
    """udata's dataset representation (`DatasetPreview`); `resources` must be loaded.
    In a preview the dataset exists nowhere, so `uri` and `page` are null."""
    resources = list(dataset.resources)
    last_modified = dataset.harvest_modified_at or dataset.last_modified
    can_edit = (
        caller.is_sysadmin
        or (caller.user_id is not None and dataset.owner_id == caller.user_id)
        or caller.is_org_member(dataset.organization_id)
    )
    return {
        "id": dataset.id,
        "title": dataset.title,
        "acronym": dataset.acronym,
        "slug": dataset.slug,
        "description": dataset.description,
        "description_short": dataset.description[:200],
        "created_at": iso(dataset.harvest_created_at or dataset.created_at),
        "last_modified": iso(last_modified),
        "last_update": iso(
            _latest(last_modified, *(r.last_modified for r in resources)) or last_modified
        ),
        "deleted": iso(dataset.deleted_at),
        "archived": iso(dataset.archived_at),
        "private": dataset.private,
        "featured": False,
        "tags": list(dataset.tags or []),
        "license": dataset.license or "notspecified",
        "frequency": dataset.frequency or "unknown",
        "frequency_date": None,
        "temporal_coverage": _temporal(dataset),
        "spatial": _spatial(dataset),
        "schema": dict(dataset.schema) if dataset.schema else None,
        "extras": dict(dataset.extras or {}),
        "resources": [present_resource(r) for r in resources],
        "community_resources": [],
        "contact_points": [
            present_contact_point(related.contact_points[cid], related, caller)
            for cid in dataset.contact_point_ids or []
            if cid in related.contact_points
        ],
        "owner": user_reference(related.users.get(dataset.owner_id) if dataset.owner_id else None),
        "organization": organization_reference(
            related.organizations.get(dataset.organization_id) if dataset.organization_id else None,
            caller,
        ),
        "harvest": _harvest_metadata(dataset),
        "internal": {
            "created_at_internal": iso(dataset.created_at),
            "last_modified_internal": iso(dataset.last_modified),
        },
        "access_type": dataset.access_type,
        "access_type_reason": None,
        "access_type_reason_category": dataset.access_type_reason_category,
        "access_audiences": [],
        "authorization_request_url": None,
        "badges": [],
        "metrics": {},
        "quality": dict(related.quality.get(dataset.id, {})),
        "permissions": {"edit": can_edit, "delete": can_edit, "edit_resources": can_edit},
        "uri": None if preview else api_url(settings, f"datasets/{dataset.id}/"),
        "page": None,
    }


def present_dataservice(
    dataservice: Dataservice,
    related: ObjectRelations,
    datasets: Mapping[str, Dataset],
    settings: Settings,
    caller: Caller,
    *,
    preview: bool = False,
) -> Json:
    """A udata-like dataservice: `DataservicePreview`'s fields plus the descriptive ones."""
    return {
        "id": dataservice.id,
        "title": dataservice.title,
        "slug": dataservice.slug,
        "description": dataservice.description,
        "base_api_url": dataservice.base_api_url,
        "endpoint_description_url": dataservice.endpoint_description_url,
        "machine_documentation_url": dataservice.machine_documentation_url,
        "technical_documentation_url": dataservice.technical_documentation_url,
        "license": dataservice.license,
        "format": dataservice.format,
        "access_type": dataservice.access_type,
        "tags": list(dataservice.tags or []),
        "extras": dict(dataservice.extras or {}),
        "created_at": iso(dataservice.harvest_created_at or dataservice.created_at),
        "metadata_modified_at": iso(dataservice.last_modified),
        "archived_at": iso(dataservice.archived_at),
        "deleted_at": iso(dataservice.deleted_at),
        "contact_points": [
            present_contact_point(related.contact_points[cid], related, caller)
            for cid in dataservice.contact_point_ids or []
            if cid in related.contact_points
        ],
        "owner": user_reference(
            related.users.get(dataservice.owner_id) if dataservice.owner_id else None
        ),
        "organization": organization_reference(
            related.organizations.get(dataservice.organization_id)
            if dataservice.organization_id
            else None,
            caller,
        ),
        "datasets": [
            dataset_reference(datasets[did], settings)
            for did in dataservice.dataset_ids or []
            if did in datasets
        ],
        "harvest": _harvest_metadata(dataservice),
        "self_api_url": (None if preview else api_url(settings, f"dataservices/{dataservice.id}/")),
        "self_web_url": None,
    }


# --------------------------------------------------------------------------- preview


def present_preview(
    result: PreviewResult,
    related: ObjectRelations,
    settings: Settings,
    caller: Caller,
    *,
    source_id: str | None,
) -> Json:
    """A `HarvestJobPreview`: the job as it would have been (never saved, so `id` is null),
    items inlined with the full representation of what they would have produced."""
    show_details = caller.is_sysadmin
    items = []
    for entry in result.items:
        item = entry.item
        items.append(
            {
                "remote_id": item.remote_id,
                "remote_url": item.remote_url,
                "dataset": (
                    present_dataset(entry.dataset, related, settings, caller, preview=True)
                    if entry.dataset is not None
                    else None
                ),
                "dataservice": (
                    present_dataservice(
                        entry.dataservice, related, {}, settings, caller, preview=True
                    )
                    if entry.dataservice is not None
                    else None
                ),
                "status": item.status,
                "created": iso(item.created),
                "started": iso(item.started),
                "ended": iso(item.ended),
                "errors": [present_error(e, show_details=show_details) for e in entry.errors],
                "logs": [present_log(log) for log in entry.logs],
                "args": [],
                "kwargs": dict(item.kwargs or {}),
            }
        )
    job = result.job
    return {
        "id": None,
        "created": iso(job.created),
        "started": iso(job.started),
        "ended": iso(job.ended),
        "status": job.status,
        "errors": [present_error(e, show_details=show_details) for e in result.errors],
        "source": source_id,
        "items": items,
    }
