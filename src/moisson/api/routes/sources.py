from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from moisson.api.deps import (
    AppSettings,
    CronBody,
    CurrentCaller,
    FieldMask,
    JsonBody,
    MayEditSource,
    Runner,
    SecuredCaller,
    SysadminOnSource,
    Work,
    render,
    validate_object,
)
from moisson.api.openapi import json_request_body, ref, responses
from moisson.api.pagination import ListRequest
from moisson.api.schemas import SourceBody, ValidationBody
from moisson.services import source_workflow, sources
from moisson.services.runs import hand_over_after_commit

router = APIRouter(tags=["harvest"])

SOURCE_BODY = json_request_body(SourceBody.model_json_schema())
SOURCE = ref("HarvestSource")


def source_changes(body: JsonBody) -> dict[str, Any]:
    """The fields a source body sets; 400 naming the first bad one. Declared last in a
    route, so that it is checked after the caller's rights, as `JsonBody` is."""
    return validate_object(SourceBody, body).changes()


SourceChanges = Annotated[dict[str, Any], Depends(source_changes)]


@router.get(
    "/harvest/sources/",
    operation_id="list_harvest_sources",
    summary="List all harvest sources",
    responses=responses(200, ref("HarvestSourcePage"), 404),
)
def list_harvest_sources(
    work: Work,
    caller: CurrentCaller,
    listing: ListRequest,
    owner: Annotated[str | None, Query(description="A user or an organization id")] = None,
    organization: Annotated[str | None, Query(description="An organization id")] = None,
    deleted: Annotated[bool, Query(description="Include deleted sources")] = False,
    q: Annotated[str | None, Query(description="Words to find in the name or the URL")] = None,
) -> JSONResponse:
    query = sources.SourceQuery(deleted=deleted, owner=owner, organization=organization, q=q)
    return listing.render(sources.list_sources(work.session, caller, query, listing.paging))


@router.post(
    "/harvest/sources/",
    operation_id="create_harvest_source",
    summary="Create a new harvest source",
    status_code=201,
    responses=responses(201, SOURCE, 403, 415),
    openapi_extra=SOURCE_BODY,
)
def create_harvest_source(
    work: Work,
    settings: AppSettings,
    caller: SecuredCaller,
    mask: FieldMask,
    changes: SourceChanges,
) -> JSONResponse:
    created = sources.create_source(work.session, settings, caller, changes)
    return render(mask, created, status_code=201)


@router.post(
    "/harvest/source/preview/",
    operation_id="preview_harvest_source_config",
    summary="Preview an harvesting from a source created with the given parameters",
    responses=responses(200, ref("HarvestJobPreview"), 403, 415),
    openapi_extra=SOURCE_BODY,
)
def preview_harvest_source_config(
    work: Work,
    settings: AppSettings,
    caller: SecuredCaller,
    mask: FieldMask,
    changes: SourceChanges,
) -> JSONResponse:
    preview = source_workflow.preview_new_source(work.session, settings, caller, changes)
    return render(mask, preview)


@router.get(
    "/harvest/source/{source}/",
    operation_id="get_harvest_source",
    summary="Get a single source given an ID or a slug",
    responses=responses(200, SOURCE, 308, 404),
)
def get_harvest_source(
    source: str, work: Work, caller: CurrentCaller, mask: FieldMask
) -> JSONResponse:
    return render(mask, sources.get_source(work.session, caller, source))


@router.put(
    "/harvest/source/{source}/",
    operation_id="update_harvest_source",
    summary="Update a harvest source",
    responses=responses(200, SOURCE, 308, 403, 404, 415),
    openapi_extra=SOURCE_BODY,
)
def update_harvest_source(
    source: str,
    work: Work,
    settings: AppSettings,
    caller: SecuredCaller,
    allowed: MayEditSource,
    mask: FieldMask,
    changes: SourceChanges,
) -> JSONResponse:
    updated = sources.update_source(work.session, settings, caller, source, changes)
    return render(mask, updated)


@router.delete(
    "/harvest/source/{source}/",
    operation_id="delete_harvest_source",
    summary="Delete a harvest source (soft delete)",
    status_code=204,
    responses=responses(204, None, 308, 403, 404),
)
def delete_harvest_source(
    source: str, work: Work, caller: SecuredCaller, mask: FieldMask
) -> Response:
    sources.delete_source(work.session, caller, source)
    return Response(status_code=204)


@router.post(
    "/harvest/source/{source}/run/",
    operation_id="run_harvest_source",
    summary="Run a harvest source",
    responses=responses(200, SOURCE, 308, 403, 404, 409),
)
def run_harvest_source(
    source: str,
    work: Work,
    settings: AppSettings,
    runner: Runner,
    caller: SecuredCaller,
    mask: FieldMask,
) -> JSONResponse:
    launched = source_workflow.run_source(work.session, settings, caller, source)
    hand_over_after_commit(work.session, runner, launched.job_id)
    return render(mask, launched.source)


@router.post(
    "/harvest/source/{source}/validate/",
    operation_id="validate_harvest_source",
    summary="Accept or refuse a harvest source (sysadmins)",
    responses=responses(200, SOURCE, 308, 403, 404, 415),
    openapi_extra=json_request_body(ValidationBody.model_json_schema()),
)
def validate_harvest_source(
    source: str,
    work: Work,
    settings: AppSettings,
    runner: Runner,
    caller: SecuredCaller,
    allowed: SysadminOnSource,
    mask: FieldMask,
    body: JsonBody,
) -> JSONResponse:
    decision = validate_object(ValidationBody, body).model_dump()
    launched = source_workflow.validate_source(work.session, settings, caller, source, decision)
    hand_over_after_commit(work.session, runner, launched.job_id)
    return render(mask, launched.source)


@router.post(
    "/harvest/source/{source}/schedule/",
    operation_id="schedule_harvest_source",
    summary="Schedule a harvest source with a 5-field cron expression, in UTC (sysadmins)",
    responses=responses(200, SOURCE, 308, 403, 404, 415),
    openapi_extra=json_request_body({"type": "string", "examples": ["0 3 * * 1"]}),
)
def schedule_harvest_source(
    source: str,
    work: Work,
    caller: SecuredCaller,
    allowed: SysadminOnSource,
    mask: FieldMask,
    cron: CronBody,
) -> JSONResponse:
    return render(mask, source_workflow.schedule_source(work.session, caller, source, cron))


@router.delete(
    "/harvest/source/{source}/schedule/",
    operation_id="unschedule_harvest_source",
    summary="Unschedule a harvest source (sysadmins)",
    status_code=204,
    responses=responses(204, None, 308, 403, 404),
)
def unschedule_harvest_source(
    source: str, work: Work, caller: SecuredCaller, mask: FieldMask
) -> Response:
    source_workflow.unschedule_source(work.session, caller, source)
    return Response(status_code=204)


@router.get(
    "/harvest/source/{source}/preview/",
    operation_id="preview_harvest_source",
    summary="Preview a single harvest source given an ID or a slug",
    responses=responses(200, ref("HarvestJobPreview"), 308, 403, 404),
)
def preview_harvest_source(
    source: str,
    work: Work,
    settings: AppSettings,
    caller: SecuredCaller,
    mask: FieldMask,
) -> JSONResponse:
    preview = source_workflow.preview_existing_source(work.session, settings, caller, source)
    return render(mask, preview)
