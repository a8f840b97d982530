"""The notifications page of a source: its subscribers (and its organization's), the
latest deliveries with every attempt, and forms to subscribe and unsubscribe."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from moisson.admin.views import path, redirect, render, signed_in, state_of
from moisson.domain.notifications import THRESHOLDS, Event
from moisson.errors import InvalidInput
from moisson.services import notifications, sources

router = APIRouter()


def _context(request: Request, segment: str, errors: dict[str, str] | None = None) -> Any:
    with signed_in(request) as (session, caller):
        shown = sources.get_source(session, caller, segment)
        subscribed = notifications.list_subscriptions(session, caller, source=shown["id"])
        organization = (shown.get("organization") or {}).get("id")
        inherited = []
        if organization and (caller.is_sysadmin or caller.is_org_admin(organization)):
            inherited = notifications.list_subscriptions(session, caller, organization=organization)
        deliveries = notifications.list_deliveries(session, caller, source=shown["id"])
    context = {
        "source": shown,
        "subscriptions": subscribed,
        "inherited": inherited,
        "deliveries": deliveries,
        "events": [event.value for event in Event],
        "thresholds": list(THRESHOLDS.values()),
        "errors": errors or {},
    }
    return context, caller


@router.get("/sources/{source}/notifications", name="source_notifications")
def source_notifications(request: Request, source: str) -> HTMLResponse:
    context, caller = _context(request, source)
    return render(request, "notifications.html", context, caller=caller)


@router.post("/sources/{source}/notifications", name="add_source_notification")
async def add_source_notification(request: Request, source: str) -> Response:
    form = await request.form()
    body: dict[str, Any] = {
        "channel": form.get("channel"),
        "target": form.get("target"),
        "events": [str(value) for value in form.getlist("events")],
        "digest": form.get("digest") == "on",
        "thresholds": {
            key: int(str(value))
            for key in THRESHOLDS.values()
            if (value := form.get(key)) not in (None, "") and str(value).isdigit()
        },
    }
    secret = form.get("secret")
    if isinstance(secret, str) and secret:
        body["secret"] = secret
    settings = state_of(request).settings

    def perform() -> Response:
        try:
            with signed_in(request) as (session, caller):
                notifications.create_subscription(session, settings, caller, body, source=source)
        except InvalidInput as exc:
            context, caller = _context(request, source, exc.errors or {"form": exc.message})
            return render(request, "notifications.html", context, status_code=400, caller=caller)
        return redirect(path(request, "source_notifications", source=source))

    return await run_in_threadpool(perform)


@router.post(
    "/sources/{source}/notifications/{subscription}/delete", name="delete_source_notification"
)
def delete_source_notification(request: Request, source: str, subscription: str) -> Response:
    with signed_in(request) as (session, caller):
        notifications.delete_subscription(session, caller, subscription, source=source)
    return redirect(path(request, "source_notifications", source=source))
