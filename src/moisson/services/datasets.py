"""Reading harvested datasets and dataservices in udata's shapes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from moisson.config import Settings
from moisson.domain.json import Json
from moisson.errors import InvalidInput, NotFound
from moisson.services import presenters
from moisson.services.auth import Caller
from moisson.services.paging import Page, PageRequest, make_page
from moisson.services.quality import udata_quality
from moisson.storage.models import Dataservice, Dataset
from moisson.storage.repositories import datasets as datasets_repo
from moisson.storage.repositories import organizations as orgs_repo
from moisson.storage.repositories import quality as quality_repo
from moisson.storage.repositories import users as users_repo
from moisson.storage.repositories.base import is_object_id


@dataclass(frozen=True, slots=True)
class HarvestedQuery:
    harvest_source: str | None = None
    archived: bool | None = None
    q: str | None = None


def _filters(query: HarvestedQuery) -> datasets_repo.HarvestedFilters:
    source = query.harvest_source.strip() if query.harvest_source else None
    if source and not is_object_id(source):
        raise InvalidInput("`harvest_source` must be an identifier", field="harvest_source")
    return datasets_repo.HarvestedFilters(
        harvest_source_id=source or None,
        archived=query.archived,
        q=query.q.strip() if query.q and query.q.strip() else None,
    )


def _relations(
    session: Session, objects: Sequence[Dataset | Dataservice]
) -> presenters.ObjectRelations:
    return presenters.ObjectRelations(
        users=users_repo.by_ids(session, (o.owner_id for o in objects if o.owner_id)),
        organizations=orgs_repo.by_ids(
            session, (o.organization_id for o in objects if o.organization_id)
        ),
        contact_points=datasets_repo.contact_points_by_ids(
            session, (cid for o in objects for cid in o.contact_point_ids or [])
        ),
        quality={
            dataset_id: udata_quality(assessment)
            for dataset_id, assessment in quality_repo.for_datasets(
                session, (o.id for o in objects if isinstance(o, Dataset))
            ).items()
        },
    )


def list_datasets(
    session: Session, settings: Settings, caller: Caller, query: HarvestedQuery, paging: PageRequest
) -> Page:
    rows, total = datasets_repo.datasets_page(
        session, _filters(query), paging.page, paging.page_size
    )
    related = _relations(session, rows)
    data = [presenters.present_dataset(d, related, settings, caller) for d in rows]
    return make_page(data, total, paging)


def get_dataset(session: Session, settings: Settings, caller: Caller, dataset_id: str) -> Json:
    dataset = datasets_repo.dataset_by_id(session, dataset_id) if is_object_id(dataset_id) else None
    if dataset is None:
        raise NotFound()
    return presenters.present_dataset(dataset, _relations(session, [dataset]), settings, caller)


def _present_dataservices(
    session: Session, settings: Settings, caller: Caller, rows: Sequence[Dataservice]
) -> list[Json]:
    related = _relations(session, rows)
    served = datasets_repo.datasets_by_ids(session, (i for d in rows for i in d.dataset_ids or []))
    return [presenters.present_dataservice(d, related, served, settings, caller) for d in rows]


def list_dataservices(
    session: Session, settings: Settings, caller: Caller, query: HarvestedQuery, paging: PageRequest
) -> Page:
    rows, total = datasets_repo.dataservices_page(
        session, _filters(query), paging.page, paging.page_size
    )
    return make_page(_present_dataservices(session, settings, caller, rows), total, paging)


def get_dataservice(
    session: Session, settings: Settings, caller: Caller, dataservice_id: str
) -> Json:
    found = (
        datasets_repo.dataservice_by_id(session, dataservice_id)
        if is_object_id(dataservice_id)
        else None
    )
    if found is None:
        raise NotFound()
    return _present_dataservices(session, settings, caller, [found])[0]
