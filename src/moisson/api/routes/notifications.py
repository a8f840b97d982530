"""Notification subscriptions of a source or an organization (extra endpoints, not in
udata's API): who is told of which harvest events, and what was delivered."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from moisson.api.deps import AppSettings, JsonBody, SecuredCaller, Work
from moisson.api.openapi import json_request_body, responses
from moisson.domain.notifications import CHANNELS, THRESHOLDS, Event
from moisson.errors import InvalidInput
from moisson.services import notifications

router = APIRouter(tags=["notifications"])

_NULLABLE_STRING = {"type": ["string", "null"]}
SUBSCRIPTION_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["channel", "target", "events"],
    "properties": {
        "channel": {"type": "string", "enum": list(CHANNELS)},
        "target": {"type": "string", "description": "An e-mail address or a webhook URL"},
        "events": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": [event.value for event in Event]},
        },
        "thresholds": {
            "type": "object",
            "description": "Counted events fire only above these (default 0)",
            "properties": {key: {"type": "integer", "minimum": 0} for key in THRESHOLDS.values()},
            "additionalProperties": False,
        },
        "digest": {"type": "boolean", "description": "E-mail: one message a day"},
        "secret": {
            "type": "string",
            "minLength": 16,
            "description": "Webhook signing secret; generated (and returned once) if absent",
        },
    },
}
SUBSCRIPTION: dict[str, Any] = {
    "type": "object",
    "required": ["id", "channel", "target", "events", "thresholds", "digest", "secret"],
    "properties": {
        "id": {"type": "string"},
        "source": _NULLABLE_STRING,
        "organization": _NULLABLE_STRING,
        "channel": {"type": "string", "enum": list(CHANNELS)},
        "target": {"type": "string"},
        "events": {"type": "array", "items": {"type": "string"}},
        "thresholds": {"type": "object"},
        "digest": {"type": "boolean"},
        "secret": {
            "type": "object",
            "required": ["set"],
            "properties": {"set": {"type": "boolean"}, "value": {"type": "string"}},
        },
        "created_at": {"type": "string", "format": "date-time"},
    },
}
DELIVERY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "subscription", "event", "status", "attempts"],
    "properties": {
        "id": {"type": "string"},
        "subscription": {"type": "string"},
        "event": {"type": "string"},
        "job": _NULLABLE_STRING,
        "status": {"type": "string", "enum": ["pending", "sent", "failed"]},
        "attempts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["at", "ok"],
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "ok": {"type": "boolean"},
                    "status_code": {"type": ["integer", "null"]},
                    "error": _NULLABLE_STRING,
                },
            },
        },
        "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
        "created_at": {"type": "string", "format": "date-time"},
        "sent_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
SUBSCRIPTIONS = {"type": "array", "items": SUBSCRIPTION}
DELIVERIES = {"type": "array", "items": DELIVERY}
BODY = json_request_body(SUBSCRIPTION_BODY)


# --------------------------------------------------------------------------- per source


@router.get(
    "/harvest/source/{source}/notifications/",
    operation_id="list_source_notifications",
    summary="List the notification subscriptions of a source (owner-admin)",
    responses=responses(200, SUBSCRIPTIONS, 403, 404),
)
def list_source_notifications(source: str, work: Work, caller: SecuredCaller) -> JSONResponse:
    return JSONResponse(notifications.list_subscriptions(work.session, caller, source=source))


@router.post(
    "/harvest/source/{source}/notifications/",
    operation_id="create_source_notification",
    summary="Subscribe an e-mail address or a webhook to events of a source (owner-admin)",
    status_code=201,
    responses=responses(201, SUBSCRIPTION, 403, 404, 415),
    openapi_extra=BODY,
)
def create_source_notification(
    source: str, work: Work, settings: AppSettings, caller: SecuredCaller, body: JsonBody
) -> JSONResponse:
    created = notifications.create_subscription(
        work.session, settings, caller, _object(body), source=source
    )
    return JSONResponse(created, status_code=201)


@router.delete(
    "/harvest/source/{source}/notifications/{subscription}/",
    operation_id="delete_source_notification",
    summary="Remove a notification subscription of a source (owner-admin)",
    status_code=204,
    responses=responses(204, None, 403, 404),
)
def delete_source_notification(
    source: str, subscription: str, work: Work, caller: SecuredCaller
) -> Response:
    notifications.delete_subscription(work.session, caller, subscription, source=source)
    return Response(status_code=204)


@router.get(
    "/harvest/source/{source}/notifications/deliveries/",
    operation_id="list_source_notification_deliveries",
    summary="The latest notification deliveries of a source, with every attempt",
    responses=responses(200, DELIVERIES, 403, 404),
)
def list_source_deliveries(source: str, work: Work, caller: SecuredCaller) -> JSONResponse:
    return JSONResponse(notifications.list_deliveries(work.session, caller, source=source))


# --------------------------------------------------------------------------- per organization


@router.get(
    "/harvest/organization/{org}/notifications/",
    operation_id="list_organization_notifications",
    summary="List the subscriptions to every source of an organization (its admins)",
    responses=responses(200, SUBSCRIPTIONS, 403, 404),
)
def list_org_notifications(org: str, work: Work, caller: SecuredCaller) -> JSONResponse:
    return JSONResponse(notifications.list_subscriptions(work.session, caller, organization=org))


@router.post(
    "/harvest/organization/{org}/notifications/",
    operation_id="create_organization_notification",
    summary="Subscribe to events of every source of an organization (its admins)",
    status_code=201,
    responses=responses(201, SUBSCRIPTION, 403, 404, 415),
    openapi_extra=BODY,
)
def create_org_notification(
    org: str, work: Work, settings: AppSettings, caller: SecuredCaller, body: JsonBody
) -> JSONResponse:
    created = notifications.create_subscription(
        work.session, settings, caller, _object(body), organization=org
    )
    return JSONResponse(created, status_code=201)


@router.delete(
    "/harvest/organization/{org}/notifications/{subscription}/",
    operation_id="delete_organization_notification",
    summary="Remove a subscription of an organization (its admins)",
    status_code=204,
    responses=responses(204, None, 403, 404),
)
def delete_org_notification(
    org: str, subscription: str, work: Work, caller: SecuredCaller
) -> Response:
    notifications.delete_subscription(work.session, caller, subscription, organization=org)
    return Response(status_code=204)


@router.get(
    "/harvest/organization/{org}/notifications/deliveries/",
    operation_id="list_organization_notification_deliveries",
    summary="The latest deliveries of an organization's subscriptions, with every attempt",
    responses=responses(200, DELIVERIES, 403, 404),
)
def list_org_deliveries(org: str, work: Work, caller: SecuredCaller) -> JSONResponse:
    return JSONResponse(notifications.list_deliveries(work.session, caller, organization=org))


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object")
    return body
