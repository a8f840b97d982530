from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from moisson.api.deps import AppSettings, CurrentCaller, FieldMask, Work, render
from moisson.api.openapi import ref, responses
from moisson.api.pagination import ListRequest, Paging
from moisson.domain.enums import ItemStatus
from moisson.services import jobs

router = APIRouter(tags=["harvest"])


@router.get(
    "/harvest/source/{source}/jobs/",
    operation_id="list_harvest_jobs",
    summary="List all jobs for a given source",
    responses=responses(200, ref("HarvestJobPage"), 308, 404),
)
def list_harvest_jobs(
    source: str, work: Work, caller: CurrentCaller, listing: ListRequest
) -> JSONResponse:
    return listing.render(jobs.list_jobs(work.session, caller, source, listing.paging))


@router.get(
    "/harvest/job/{ident}/",
    operation_id="get_harvest_job",
    summary="Get a single job given an ID, with one page of its items",
    responses=responses(200, ref("HarvestJob"), 404),
)
def get_harvest_job(
    ident: str,
    work: Work,
    settings: AppSettings,
    caller: CurrentCaller,
    mask: FieldMask,
    paging: Paging,
) -> JSONResponse:
    return render(mask, jobs.get_job(work.session, settings, caller, ident, paging))


@router.get(
    "/harvest/job/{ident}/items/",
    operation_id="list_harvest_job_items",
    summary="List the items of a job, in processing order",
    responses=responses(200, ref("HarvestItemPage"), 404),
)
def list_harvest_job_items(
    ident: str,
    work: Work,
    settings: AppSettings,
    caller: CurrentCaller,
    listing: ListRequest,
    status: Annotated[
        str | None,
        Query(description="Only items of this status: " + ", ".join(ItemStatus)),
    ] = None,
) -> JSONResponse:
    page = jobs.list_items(work.session, settings, caller, ident, status, listing.paging)
    return listing.render(page)
