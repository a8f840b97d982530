"""The published DCAT catalog: stored rows adapted into publishing views, one page at a time.

A page is read in one short unit of work (its datasets with their resources and contact
points, the dataservices udata puts beside them) and turned into plain views; the response
is serialized from those views after the session is gone, so a slow reader holds no
database transaction. The page's validator (`etag`, `last_modified`) comes from the same
read: the ids and versions of what it lists, so any change to the page changes it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from moisson.config import Settings
from moisson.domain.drafts import (
    Checksum,
    ContactPointDraft,
    DataserviceDraft,
    DatasetDraft,
    HarvestMeta,
    ResourceDraft,
    ResourceHarvestMeta,
    SchemaRef,
    SpatialCoverage,
    TemporalCoverage,
)
from moisson.domain.enums import ChecksumType, ContactRole, Frequency, ResourceType
from moisson.errors import InvalidInput, NotFound
from moisson.publishing.catalog import CatalogInfo, PageLinks
from moisson.publishing.construct import construct
from moisson.publishing.views import Agent, DataserviceView, DatasetView, ServedDataset
from moisson.storage.models import ContactPoint, Dataservice, Dataset, Organization, Resource
from moisson.storage.repositories import catalog as catalog_repo
from moisson.storage.repositories import datasets as datasets_repo
from moisson.storage.repositories import organizations as orgs_repo
from moisson.storage.repositories.base import is_object_id

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class CatalogQuery:
    harvest_source: str | None = None
    organization: str | None = None
    archived: bool | None = False
    q: str | None = None
    modified_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class CatalogPage:
    info: CatalogInfo
    datasets: tuple[DatasetView, ...]
    dataservices: tuple[DataserviceView, ...]
    links: PageLinks | None
    etag: str
    last_modified: datetime | None


def api_base(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + "/api/1"


# --------------------------------------------------------------------------- rows -> views
# Drafts are built with `model_construct`: the rows were validated when the engine wrote
# them, and validating them again cost more than serializing them (the benchmark,
# bench/bench_catalog.py). Enumerations and the resources' JSON dates are still converted.


# Enumerations by value, as dicts: calling the Enum class costs more than the lookup it
# makes (thousands of calls per page).
_ROLES = {m.value: m for m in ContactRole}
_CHECKSUM_TYPES = {m.value: m for m in ChecksumType}
_RESOURCE_TYPES = {m.value: m for m in ResourceType}
_FREQUENCIES = {m.value: m for m in Frequency}


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _contacts(ids: Iterable[str], points: Mapping[str, Any]) -> tuple[ContactPointDraft, ...]:
    drafts = []
    for point_id in ids:
        point = points.get(point_id)
        if point is None:
            continue
        role = _ROLES.get(point.role)
        if role is None:
            continue
        drafts.append(
            construct(
                ContactPointDraft,
                name=point.name,
                email=point.email,
                contact_form=point.contact_form,
                role=role,
            )
        )
    return tuple(drafts)


def _schema(value: dict[str, Any] | None) -> SchemaRef | None:
    if not value:
        return None
    return construct(
        SchemaRef, name=value.get("name"), url=value.get("url"), version=value.get("version")
    )


_RESOURCE_HARVEST_KEYS = frozenset(ResourceHarvestMeta.model_fields)
_NO_HARVEST = ResourceHarvestMeta()


def _resource_harvest(stored: dict[str, Any] | None) -> ResourceHarvestMeta:
    harvest = {k: v for k, v in (stored or {}).items() if k in _RESOURCE_HARVEST_KEYS}
    if not harvest:
        return _NO_HARVEST
    if "issued_at" in harvest or "modified_at" in harvest:
        # JSON holds the dates as text: only then is this small part validated (parsed).
        return ResourceHarvestMeta.model_validate(harvest)
    return construct(ResourceHarvestMeta, **harvest)


def _resource(row: Resource | Row[Any]) -> ResourceDraft:
    checksum = None
    if row.checksum_value:
        kind = _CHECKSUM_TYPES.get(row.checksum_type or "sha1")
        checksum = construct(Checksum, type=kind, value=row.checksum_value) if kind else None
    resource_type = _RESOURCE_TYPES.get(row.type, ResourceType.OTHER)
    return construct(
        ResourceDraft,
        url=row.url,
        title=row.title,
        description=row.description or "",
        format=row.format,
        mime=row.mime,
        filesize=row.filesize,
        checksum=checksum,
        type=resource_type,
        filetype=row.filetype,
        schema_=_schema(row.schema),
        extras=dict(row.extras or {}),
        harvest=_resource_harvest(row.harvest),
    )


def _harvest(row: Dataset | Dataservice | Row[Any]) -> HarvestMeta:
    extra = row.harvest_extra or {}
    return construct(
        HarvestMeta,
        remote_url=row.harvest_remote_url,
        uri=row.harvest_uri,
        dct_identifier=row.harvest_dct_identifier,
        created_at=row.harvest_created_at,
        issued_at=row.harvest_issued_at,
        modified_at=row.harvest_modified_at,
        ckan_name=extra.get("ckan_name"),
        ckan_source=extra.get("ckan_source"),
        doi=extra.get("doi"),
    )


def _frequency(value: str | None) -> Frequency | None:
    return _FREQUENCIES.get(value) if value else None


def _temporal(start: date | None, end: date | None) -> TemporalCoverage | None:
    return construct(TemporalCoverage, start=start, end=end) if start or end else None


def _spatial(value: dict[str, Any] | None) -> SpatialCoverage | None:
    if not value or not value.get("geom"):
        return None
    return construct(
        SpatialCoverage,
        geom=value.get("geom"),
        zones=tuple(value.get("zones") or ()),
        granularity=value.get("granularity"),
    )


def dataset_view(
    row: Dataset | Row[Any],
    points: Mapping[str, Any],
    base_url: str,
    resources: Sequence[Resource | Row[Any]] | None = None,
) -> DatasetView:
    """A stored dataset as the serializer's view: an ORM row with its resources loaded, or
    a plain row of `catalog_repo.DATASET_COLUMNS` with its `resources` rows."""
    if resources is None:
        assert isinstance(row, Dataset)  # noqa: S101 (plain rows come with their resources)
        resources = row.resources
    draft = construct(
        DatasetDraft,
        title=row.title,
        description=row.description or "",
        acronym=row.acronym,
        tags=tuple(row.tags or ()),
        license=row.license,
        frequency=_frequency(row.frequency),
        temporal_coverage=_temporal(row.temporal_start, row.temporal_end),
        spatial=_spatial(row.spatial),
        contact_points=_contacts(row.contact_point_ids or (), points),
        schema_=_schema(row.schema),
        resources=tuple(_resource(r) for r in resources),
        extras=dict(row.extras or {}),
        access_type=row.access_type,
        access_type_reason_category=row.access_type_reason_category,
        private=row.private,
        harvest=_harvest(row),
    )
    return DatasetView(
        id=row.id,
        base_url=base_url,
        draft=draft,
        created_at=_aware(row.created_at),
        last_modified=_aware(row.last_modified),
    )


def dataservice_view(
    row: Dataservice,
    points: Mapping[str, Any],
    references: dict[str, tuple[str | None, str | None]],
    base_url: str,
) -> DataserviceView:
    served = []
    for dataset_id in row.dataset_ids or ():
        if dataset_id not in references:
            continue  # deleted or private: not published, so not linked
        uri, identifier = references[dataset_id]
        reference = DatasetView(
            id=dataset_id,
            base_url=base_url,
            draft=construct(
                DatasetDraft,
                title="",
                harvest=construct(HarvestMeta, uri=uri, dct_identifier=identifier),
            ),
        )
        served.append(ServedDataset(iri=reference.iri, identifier=reference.identifier))
    draft = construct(
        DataserviceDraft,
        title=row.title,
        description=row.description or "",
        base_api_url=row.base_api_url,
        endpoint_description_url=row.endpoint_description_url,
        machine_documentation_url=row.machine_documentation_url,
        technical_documentation_url=row.technical_documentation_url,
        license=row.license,
        tags=tuple(row.tags or ()),
        contact_points=_contacts(row.contact_point_ids or (), points),
        format=row.format,
        access_type=row.access_type,
        extras=dict(row.extras or {}),
        harvest=_harvest(row),
    )
    return DataserviceView(
        id=row.id,
        base_url=base_url,
        draft=draft,
        served=tuple(served),
        created_at=_aware(row.created_at),
        last_modified=_aware(row.last_modified),
    )


# --------------------------------------------------------------------------- queries


def _organization(session: Session, value: str) -> Organization | None:
    value = value.strip()
    if is_object_id(value):
        found = orgs_repo.by_id(session, value)
        if found is not None:
            return found
    return orgs_repo.by_slug(session, value)


def filters_of(session: Session, query: CatalogQuery) -> catalog_repo.CatalogFilters:
    source = query.harvest_source.strip() if query.harvest_source else None
    if source and not is_object_id(source):
        raise InvalidInput("`harvest_source` must be an identifier", field="harvest_source")
    organization_id = None
    if query.organization and query.organization.strip():
        organization = _organization(session, query.organization)
        if organization is None:
            raise InvalidInput("`organization` names no organization", field="organization")
        organization_id = organization.id
    since = query.modified_since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return catalog_repo.CatalogFilters(
        harvest_source_id=source or None,
        organization_id=organization_id,
        archived=query.archived,
        q=query.q.strip() if query.q and query.q.strip() else None,
        modified_since=since,
    )


def site_info(settings: Settings) -> CatalogInfo:
    base = settings.public_url.rstrip("/")
    return CatalogInfo(
        iri=f"{base}/api/1/site/catalog",
        title=settings.catalog.title,
        description=settings.catalog.description,
        publisher=Agent(name=settings.catalog.publisher, iri=f"{base}/"),
        homepage=f"{base}/",
    )


def organization_info(settings: Settings, organization: Organization) -> CatalogInfo:
    base = settings.public_url.rstrip("/")
    return CatalogInfo(
        iri=f"{base}/api/1/organizations/{organization.id}/catalog",
        title=organization.name,
        description=f"Datasets published by {organization.name}",
        publisher=Agent(
            name=organization.name, iri=f"{base}/api/1/organizations/{organization.id}/"
        ),
    )


def find_organization(session: Session, value: str) -> Organization:
    organization = _organization(session, value)
    if organization is None:
        raise NotFound()
    return organization


def _points(session: Session, rows: Sequence[Dataset | Dataservice]) -> dict[str, ContactPoint]:
    return datasets_repo.contact_points_by_ids(
        session, (cid for row in rows for cid in row.contact_point_ids or ())
    )


def _validator(
    salt: str, rows: Sequence[Any], total: int, kinds: Sequence[str] | None = None
) -> tuple[str, datetime | None]:
    """`kinds[i]` names what `rows[i]` is (`Dataset`, `Dataservice`); by default the ORM
    class name, which plain rows do not have."""
    digest = hashlib.sha256(f"{salt}|{total}".encode())
    for position, row in enumerate(rows):
        kind = kinds[position] if kinds is not None else type(row).__name__
        digest.update(f"|{kind}:{row.id}:{row.version}".encode())
    stamps = [_aware(row.last_modified) for row in rows]
    present = [s for s in stamps if s is not None]
    return f'"{digest.hexdigest()[:32]}"', max(present) if present else None


def position_token(position: catalog_repo.Position) -> str:
    """The `after=` value of the page that starts after `position` (opaque to readers)."""
    text = f"{position.created_at.astimezone(UTC).isoformat()}|{position.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def read_position(token: str) -> catalog_repo.Position:
    """The position an `after=` value names; a 400 naming `after` when it names none."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, _, dataset_id = text.partition("|")
        created_at = datetime.fromisoformat(stamp)
    except ValueError:
        created_at, dataset_id = None, ""
    if created_at is None or created_at.tzinfo is None or not is_object_id(dataset_id):
        raise InvalidInput(
            "`after` is not a position this catalog gave: follow the page's `hydra:next` link",
            field="after",
        )
    return catalog_repo.Position(created_at=created_at, id=dataset_id)


def catalog_page(
    session: Session,
    settings: Settings,
    info: CatalogInfo,
    filters: catalog_repo.CatalogFilters,
    links: PageLinks,
    salt: str,
    after: str | None = None,
) -> CatalogPage:
    """One page: `links` carries the page asked for; its total and the position of the next
    page are filled in here. `after` (from a `hydra:next` link) starts the page just after
    a position of the catalog order, else `links.page` counts from the start."""
    start = read_position(after) if after is not None else None
    rows, following = catalog_repo.dataset_rows_page(
        session, filters, links.page, links.page_size, start
    )
    if not rows and links.page > 1:
        raise NotFound()  # past the last page, as the JSON lists answer (page 1 never is)
    total = catalog_repo.count_datasets(session, filters)
    ids = [r.id for r in rows]
    resources = catalog_repo.resource_rows(session, ids)
    services = catalog_repo.dataservices_for_page(session, filters, ids, first_page=links.page == 1)
    listed: list[Any] = [*rows, *services]
    points = catalog_repo.contact_rows(
        session, (cid for row in listed for cid in row.contact_point_ids or ())
    )
    references = catalog_repo.dataset_references(
        session, (i for s in services for i in s.dataset_ids or ())
    )
    base = api_base(settings)
    kinds = ["Dataset"] * len(rows) + ["Dataservice"] * len(services)
    etag, last_modified = _validator(salt, listed, total, kinds)
    return CatalogPage(
        info=info,
        datasets=tuple(dataset_view(r, points, base, resources[r.id]) for r in rows),
        dataservices=tuple(dataservice_view(s, points, references, base) for s in services),
        links=PageLinks(
            base=links.base,
            params=links.params,
            page=links.page,
            page_size=links.page_size,
            total=total,
            more=following is not None,
            following=position_token(following) if following is not None else None,
        ),
        etag=etag,
        last_modified=last_modified,
    )


def dataset_page(session: Session, settings: Settings, dataset_id: str, salt: str) -> CatalogPage:
    """One dataset's own description, as a page of one without paging."""
    row = catalog_repo.public_dataset(session, dataset_id) if is_object_id(dataset_id) else None
    if row is None:
        raise NotFound()
    etag, last_modified = _validator(salt, [row], 1)
    return CatalogPage(
        info=site_info(settings),
        datasets=(dataset_view(row, _points(session, [row]), api_base(settings)),),
        dataservices=(),
        links=None,
        etag=etag,
        last_modified=last_modified,
    )


def dataservice_page(
    session: Session, settings: Settings, dataservice_id: str, salt: str
) -> CatalogPage:
    row = (
        catalog_repo.public_dataservice(session, dataservice_id)
        if is_object_id(dataservice_id)
        else None
    )
    if row is None:
        raise NotFound()
    references = catalog_repo.dataset_references(session, row.dataset_ids or ())
    etag, last_modified = _validator(salt, [row], 1)
    return CatalogPage(
        info=site_info(settings),
        datasets=(),
        dataservices=(
            dataservice_view(row, _points(session, [row]), references, api_base(settings)),
        ),
        links=None,
        etag=etag,
        last_modified=last_modified,
    )
