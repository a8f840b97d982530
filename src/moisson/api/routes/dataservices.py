from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from moisson.api.deps import AppSettings, CurrentCaller, FieldMask, Work, render
from moisson.api.openapi import ref, responses
from moisson.api.pagination import ListRequest
from moisson.api.routes.datasets import Query_
from moisson.services import datasets

router = APIRouter(tags=["dataservices"])


@router.get(
    "/dataservices/",
    operation_id="list_dataservices",
    summary="List harvested dataservices",
    responses=responses(200, ref("DataservicePage"), 404),
)
def list_dataservices(
    work: Work, settings: AppSettings, caller: CurrentCaller, listing: ListRequest, query: Query_
) -> JSONResponse:
    return listing.render(
        datasets.list_dataservices(work.session, settings, caller, query, listing.paging)
    )


@router.get(
    "/dataservices/{dataservice}/",
    operation_id="get_dataservice",
    summary="Get a harvested dataservice",
    responses=responses(200, ref("Dataservice"), 404),
)
def get_dataservice(
    dataservice: str, work: Work, settings: AppSettings, caller: CurrentCaller, mask: FieldMask
) -> JSONResponse:
    return render(mask, datasets.get_dataservice(work.session, settings, caller, dataservice))
