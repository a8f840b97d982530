"""Reading harvest jobs and their items (writes belong to the engine)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from moisson.config import Settings
from moisson.domain.enums import ItemStatus
from moisson.domain.json import Json
from moisson.errors import InvalidInput, NotFound
from moisson.services import presenters
from moisson.services.auth import Caller
from moisson.services.paging import Page, PageRequest, make_page
from moisson.services.sources import resolve_source
from moisson.storage.models import HarvestItem, HarvestJob
from moisson.storage.repositories import datasets as datasets_repo
from moisson.storage.repositories import errors as errors_repo
from moisson.storage.repositories import items as items_repo
from moisson.storage.repositories import jobs as jobs_repo
from moisson.storage.repositories.base import is_object_id


def _job(session: Session, job_id: str) -> HarvestJob:
    """Unknown and malformed ids alike are 404 (udata 17.18)."""
    job = jobs_repo.by_id(session, job_id) if is_object_id(job_id) else None
    if job is None:
        raise NotFound()
    return job


def _present_items(
    session: Session, settings: Settings, caller: Caller, items: Sequence[HarvestItem]
) -> list[Json]:
    ids = [i.id for i in items]
    related = presenters.ItemRelations(
        errors=errors_repo.of_items(session, ids),
        logs=items_repo.logs_of(session, ids),
        datasets=datasets_repo.datasets_by_ids(
            session, (i.dataset_id for i in items if i.dataset_id)
        ),
        dataservices=datasets_repo.dataservices_by_ids(
            session, (i.dataservice_id for i in items if i.dataservice_id)
        ),
    )
    return [
        presenters.present_item(i, related, settings, show_details=caller.is_sysadmin)
        for i in items
    ]


def list_jobs(session: Session, caller: Caller, segment: str, paging: PageRequest) -> Page:
    """A source's jobs, newest first, as summaries (counters, no items)."""
    source = resolve_source(session, segment)
    jobs, total = jobs_repo.page_for_source(session, source.id, paging.page, paging.page_size)
    errors = errors_repo.of_jobs(session, (j.id for j in jobs))
    data = [
        presenters.present_job(j, errors.get(j.id, []), show_details=caller.is_sysadmin)
        for j in jobs
    ]
    return make_page(data, total, paging)


def get_job(
    session: Session, settings: Settings, caller: Caller, job_id: str, paging: PageRequest
) -> Json:
    """A job with one page of its items inlined (`page`, `page_size`); a page past the end
    inlines no item rather than hiding the job behind a 404."""
    job = _job(session, job_id)
    items, _ = items_repo.page(session, job.id, None, paging.page, paging.page_size)
    errors = errors_repo.of_jobs(session, [job.id]).get(job.id, [])
    return presenters.present_job(
        job,
        errors,
        show_details=caller.is_sysadmin,
        items=_present_items(session, settings, caller, items),
    )


def list_items(
    session: Session,
    settings: Settings,
    caller: Caller,
    job_id: str,
    status: str | None,
    paging: PageRequest,
) -> Page:
    if status is not None and status not in set(ItemStatus):
        raise InvalidInput(
            f"The value '{status}' is not a valid choice for 'status'.", field="status"
        )
    job = _job(session, job_id)
    items, total = items_repo.page(session, job.id, status, paging.page, paging.page_size)
    return make_page(_present_items(session, settings, caller, items), total, paging)
