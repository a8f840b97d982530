from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from moisson.api.deps import AppSettings, CurrentCaller, FieldMask, Work, render
from moisson.api.openapi import ref, responses
from moisson.api.pagination import envelope, page_request
from moisson.api.routes.datasets import Query_
from moisson.services import datasets
from moisson.services.paging import PageRequest

router = APIRouter(tags=["dataservices"])

Paging = Annotated[PageRequest, Depends(page_request)]


@router.get(
    "/dataservices/",
    operation_id="list_dataservices",
    summary="List harvested dataservices",
    responses=responses(200, ref("DataservicePage"), 404),
)
def list_dataservices(
    request: Request,
    work: Work,
    settings: AppSettings,
    caller: CurrentCaller,
    mask: FieldMask,
    paging: Paging,
    query: Query_,
) -> JSONResponse:
    page = datasets.list_dataservices(work.session, settings, caller, query, paging)
    return render(mask, envelope(request, page))


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
