"""Harvested datasets and dataservices, their resources and contact points."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.orm import Session, selectinload

from moisson.storage.models import ContactPoint, Dataservice, Dataset
from moisson.storage.repositories.base import all_words_match, paginate


@dataclass(frozen=True, slots=True)
class HarvestedFilters:
    harvest_source_id: str | None = None
    archived: bool | None = None
    """`True`: archived only; `False`: live only; `None`: both."""
    q: str | None = None


def harvested_conditions(
    model: type[Dataset] | type[Dataservice], filters: HarvestedFilters
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the filters every listing of harvested objects shares (the JSON
    lists here, the published catalog in `catalog`)."""
    conditions: list[ColumnElement[bool]] = [model.deleted_at.is_(None)]
    if filters.harvest_source_id:
        conditions.append(model.harvest_source_id == filters.harvest_source_id)
    if filters.archived is True:
        conditions.append(model.archived_at.is_not(None))
    elif filters.archived is False:
        conditions.append(model.archived_at.is_(None))
    if filters.q:
        conditions.extend(all_words_match(filters.q, [model.title]))
    return conditions


def _filtered(
    stmt: Select[Any], model: type[Dataset] | type[Dataservice], filters: HarvestedFilters
) -> Select[Any]:
    stmt = stmt.where(*harvested_conditions(model, filters))
    return stmt.order_by(model.created_at.desc(), model.id.desc())


def datasets_page(
    session: Session, filters: HarvestedFilters, page_number: int, page_size: int
) -> tuple[list[Dataset], int]:
    stmt = select(Dataset).options(selectinload(Dataset.resources))
    return paginate(session, _filtered(stmt, Dataset, filters), page_number, page_size)


def dataset_by_id(session: Session, dataset_id: str) -> Dataset | None:
    return session.scalars(
        select(Dataset)
        .options(selectinload(Dataset.resources))
        .where(Dataset.id == dataset_id, Dataset.deleted_at.is_(None))
    ).first()


def dataset_by_slug(session: Session, slug: str) -> Dataset | None:
    return session.scalars(
        select(Dataset)
        .options(selectinload(Dataset.resources))
        .where(Dataset.slug == slug, Dataset.deleted_at.is_(None))
    ).first()


def datasets_bound_to(session: Session, domain: str, remote_id: str) -> list[Dataset]:
    """Datasets whose harvest metadata names this remote record of this domain."""
    return list(
        session.scalars(
            select(Dataset).where(
                Dataset.harvest_domain == domain, Dataset.harvest_remote_id == remote_id
            )
        )
    )


def datasets_of_source(session: Session, source_id: str) -> list[Dataset]:
    """Every dataset harvested by this source (archived and deleted ones too), resources loaded."""
    return list(
        session.scalars(
            select(Dataset)
            .options(selectinload(Dataset.resources))
            .where(Dataset.harvest_source_id == source_id)
        )
    )


def datasets_by_ids(session: Session, ids: Iterable[str]) -> dict[str, Dataset]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {d.id: d for d in session.scalars(select(Dataset).where(Dataset.id.in_(wanted)))}


def dataservices_page(
    session: Session, filters: HarvestedFilters, page_number: int, page_size: int
) -> tuple[list[Dataservice], int]:
    return paginate(
        session, _filtered(select(Dataservice), Dataservice, filters), page_number, page_size
    )


def dataservice_by_id(session: Session, dataservice_id: str) -> Dataservice | None:
    return session.scalars(
        select(Dataservice).where(
            Dataservice.id == dataservice_id, Dataservice.deleted_at.is_(None)
        )
    ).first()


def dataservices_by_ids(session: Session, ids: Iterable[str]) -> dict[str, Dataservice]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {d.id: d for d in session.scalars(select(Dataservice).where(Dataservice.id.in_(wanted)))}


def contact_points_by_ids(session: Session, ids: Iterable[str]) -> dict[str, ContactPoint]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {
        c.id: c for c in session.scalars(select(ContactPoint).where(ContactPoint.id.in_(wanted)))
    }


def archive_all_of_sources(
    session: Session, source_ids: list[str], *, now: datetime, reason: str
) -> None:
    """Archive every dataset and dataservice harvested from these sources (each row's
    version bumped, as any other change of a harvested object)."""
    for model in (Dataset, Dataservice):
        session.execute(
            update(model)
            .where(model.harvest_source_id.in_(source_ids))
            .values(
                archived_at=now,
                harvest_archived_at=now,
                harvest_archived_reason=reason,
                version=model.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
