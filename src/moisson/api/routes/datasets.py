from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from moisson.api.deps import AppSettings, CurrentCaller, FieldMask, Work, render
from moisson.api.openapi import ref, responses
from moisson.api.pagination import ListRequest
from moisson.services import datasets

router = APIRouter(tags=["datasets"])


def harvested_query(
    harvest_source: Annotated[str | None, Query(description="A harvest source id")] = None,
    archived: Annotated[
        bool | None, Query(description="Archived (true) or live (false) only")
    ] = None,
    q: Annotated[str | None, Query(description="Words to find in the title")] = None,
) -> datasets.HarvestedQuery:
    return datasets.HarvestedQuery(harvest_source=harvest_source, archived=archived, q=q)


Query_ = Annotated[datasets.HarvestedQuery, Depends(harvested_query)]


@router.get(
    "/datasets/",
    operation_id="list_datasets",
    summary="List harvested datasets",
    responses=responses(200, ref("DatasetPage"), 404),
)
def list_datasets(
    work: Work, settings: AppSettings, caller: CurrentCaller, listing: ListRequest, query: Query_
) -> JSONResponse:
    return listing.render(
        datasets.list_datasets(work.session, settings, caller, query, listing.paging)
    )


@router.get(
    "/datasets/{dataset}/",
    operation_id="get_dataset",
    summary="Get a harvested dataset",
    responses=responses(200, ref("Dataset"), 404),
)
def get_dataset(
    dataset: str, work: Work, settings: AppSettings, caller: CurrentCaller, mask: FieldMask
) -> JSONResponse:
    return render(mask, datasets.get_dataset(work.session, settings, caller, dataset))
