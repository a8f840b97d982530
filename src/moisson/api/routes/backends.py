from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from moisson.api.deps import AppSettings, CurrentCaller, FieldMask, render
from moisson.api.openapi import ref, responses
from moisson.services.sources import list_backends

router = APIRouter(tags=["harvest"])


@router.get(
    "/harvest/backends/",
    operation_id="harvest_backends",
    summary="List the enabled backends",
    responses=responses(200, {"type": "array", "items": ref("HarvestBackend")}),
)
def harvest_backends(settings: AppSettings, caller: CurrentCaller, mask: FieldMask) -> JSONResponse:
    return render(mask, list_backends(settings))
