"""What the published DCAT catalog reads: public datasets in a stable order, and the
dataservices to put on a page of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Select, func, literal, select, tuple_
from sqlalchemy.orm import Session, selectinload

from moisson.storage.models import ContactPoint, Dataservice, Dataset, Resource
from moisson.storage.repositories.datasets import HarvestedFilters, harvested_conditions

#: Dataservice link lists are scanned this many rows at a time.
SCAN_BATCH = 1000


@dataclass(frozen=True, slots=True)
class CatalogFilters(HarvestedFilters):
    organization_id: str | None = None
    archived: bool | None = False
    """`False` (the default): live objects only; `True`: archived only; `None`: both."""
    modified_since: datetime | None = None
    """Objects Moisson changed at or after this instant (its `last_modified`)."""


def _filtered(
    stmt: Select[Any], model: type[Dataset] | type[Dataservice], filters: CatalogFilters
) -> Select[Any]:
    stmt = stmt.where(*harvested_conditions(model, filters))
    if model is Dataset:
        stmt = stmt.where(Dataset.private.is_(False))
    if filters.organization_id:
        stmt = stmt.where(model.organization_id == filters.organization_id)
    if filters.modified_since is not None:
        stmt = stmt.where(model.last_modified >= filters.modified_since)
    # Oldest first: datasets created while an aggregator walks the pages land on the last
    # page instead of shifting every page it has not read yet.
    return stmt.order_by(model.created_at, model.id)


#: What the catalog publishes of a dataset: read as plain rows (attribute access by these
#: names), which costs a fraction of loading ORM objects (bench/bench_catalog.py).
DATASET_COLUMNS = (
    Dataset.id, Dataset.version, Dataset.title, Dataset.description, Dataset.acronym,
    Dataset.tags, Dataset.license, Dataset.frequency, Dataset.temporal_start,
    Dataset.temporal_end, Dataset.spatial, Dataset.contact_point_ids, Dataset.schema,
    Dataset.extras, Dataset.access_type, Dataset.access_type_reason_category, Dataset.private,
    Dataset.harvest_remote_url, Dataset.harvest_uri, Dataset.harvest_dct_identifier,
    Dataset.harvest_created_at, Dataset.harvest_issued_at, Dataset.harvest_modified_at,
    Dataset.harvest_extra, Dataset.created_at, Dataset.last_modified,
)  # fmt: skip
RESOURCE_COLUMNS = (
    Resource.dataset_id, Resource.url, Resource.title, Resource.description, Resource.format,
    Resource.mime, Resource.filesize, Resource.checksum_type, Resource.checksum_value,
    Resource.type, Resource.filetype, Resource.schema, Resource.extras, Resource.harvest,
)  # fmt: skip
CONTACT_COLUMNS = (
    ContactPoint.id, ContactPoint.name, ContactPoint.email, ContactPoint.contact_form,
    ContactPoint.role,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Position:
    """A place in the catalog order: just after the dataset created at `created_at` with
    this `id` (the order is `created_at`, then `id`)."""

    created_at: datetime
    id: str


def count_datasets(session: Session, filters: CatalogFilters) -> int:
    ids_stmt = _filtered(select(Dataset.id), Dataset, filters).order_by(None)
    return session.scalar(select(func.count()).select_from(ids_stmt.subquery())) or 0


def dataset_rows_page(
    session: Session,
    filters: CatalogFilters,
    page: int,
    page_size: int,
    after: Position | None = None,
) -> tuple[list[Row[Any]], Position | None]:
    """A page of plain rows of `DATASET_COLUMNS` (without resources), and the position the
    next page starts at (None on the last page).

    With `after`, the page is the `page_size` datasets that follow it in the catalog order:
    an index range (`ix_datasets_catalog_order`), as cheap deep in the catalog as at its
    start, and exact while datasets are added or removed elsewhere. Without it, `page`
    counts from the start (an offset). The ids are chosen first, one more than the page to
    know whether another follows, then their rows read by id, so the ordering reads two
    narrow columns rather than every published one.
    """
    columns = cast("Select[Any]", select(Dataset.created_at, Dataset.id))
    ids_stmt = _filtered(columns, Dataset, filters)
    if after is not None:
        ids_stmt = ids_stmt.where(
            tuple_(Dataset.created_at, Dataset.id)
            > tuple_(literal(after.created_at, Dataset.created_at.type), literal(after.id))
        )
    else:
        ids_stmt = ids_stmt.offset((page - 1) * page_size)
    chosen = session.execute(ids_stmt.limit(page_size + 1)).all()
    following = None
    if len(chosen) > page_size:
        chosen = chosen[:page_size]
        following = Position(created_at=chosen[-1].created_at, id=chosen[-1].id)
    ids = [row.id for row in chosen]
    if not ids:
        return [], None
    by_id: dict[str, Any] = {
        row.id: row for row in session.execute(select(*DATASET_COLUMNS).where(Dataset.id.in_(ids)))
    }
    return [by_id[i] for i in ids if i in by_id], following


def resource_rows(session: Session, dataset_ids: Iterable[str]) -> dict[str, list[Row[Any]]]:
    """dataset id -> its resources (rows of `RESOURCE_COLUMNS`, in order): one query."""
    wanted = list(dict.fromkeys(dataset_ids))
    grouped: dict[str, list[Row[Any]]] = {i: [] for i in wanted}
    if not wanted:
        return grouped
    stmt = (
        select(*RESOURCE_COLUMNS)
        .where(Resource.dataset_id.in_(wanted))
        .order_by(Resource.dataset_id, Resource.position)
    )
    for row in session.execute(stmt):
        grouped[row.dataset_id].append(row)
    return grouped


def contact_rows(session: Session, ids: Iterable[str]) -> dict[str, Any]:
    """id -> contact point row (`CONTACT_COLUMNS`), one query."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    stmt = select(*CONTACT_COLUMNS).where(ContactPoint.id.in_(wanted))
    return {row.id: row for row in session.execute(stmt)}


def public_dataset(session: Session, dataset_id: str) -> Dataset | None:
    stmt = _filtered(
        select(Dataset).options(selectinload(Dataset.resources)),
        Dataset,
        CatalogFilters(archived=None),
    )
    return session.scalars(stmt.where(Dataset.id == dataset_id)).first()


def public_dataservice(session: Session, dataservice_id: str) -> Dataservice | None:
    stmt = _filtered(select(Dataservice), Dataservice, CatalogFilters(archived=None))
    return session.scalars(stmt.where(Dataservice.id == dataservice_id)).first()


def dataservices_for_page(
    session: Session, filters: CatalogFilters, dataset_ids: Iterable[str], *, first_page: bool
) -> list[Dataservice]:
    """udata's rule: the dataservices serving a dataset of the page, plus, on the first
    page, those serving none. Links are JSON lists, so they are scanned (ids only, in
    batches) rather than matched in SQL the same way on SQLite and PostgreSQL."""
    wanted = set(dataset_ids)
    chosen: list[str] = []
    columns = cast("Select[Any]", select(Dataservice.id, Dataservice.dataset_ids))
    scan = _filtered(columns, Dataservice, filters)
    for service_id, served in session.execute(scan.execution_options(yield_per=SCAN_BATCH)):
        links = served or []
        if (first_page and not links) or not wanted.isdisjoint(links):
            chosen.append(service_id)
    if not chosen:
        return []
    rows = session.scalars(select(Dataservice).where(Dataservice.id.in_(chosen)))
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in chosen if i in by_id]


def dataset_references(
    session: Session, ids: Iterable[str]
) -> dict[str, tuple[str | None, str | None]]:
    """id -> (harvested URI, harvested dct:identifier) of public datasets."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    stmt = select(Dataset.id, Dataset.harvest_uri, Dataset.harvest_dct_identifier).where(
        Dataset.id.in_(wanted), Dataset.deleted_at.is_(None), Dataset.private.is_(False)
    )
    return {row[0]: (row[1], row[2]) for row in session.execute(stmt)}
