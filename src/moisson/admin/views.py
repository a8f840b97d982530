"""The admin pages. Each handler opens one unit of work, calls services, renders a template.

Database work blocks, so it never runs on the event loop: plain handlers run in FastAPI's
thread pool, and handlers that must first await a posted form hand the rest to
`run_in_threadpool`. A job started by a handler is handed to the runner only after the
commit, as the API does. Errors of a form (`InvalidInput.errors`) are shown next to its
fields; other service errors become an error page with their status (`app._on_error`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from moisson.admin import charts, forms
from moisson.admin.sessions import AdminSession
from moisson.domain.enums import FINAL_JOB_STATUSES
from moisson.domain.json import Json
from moisson.errors import Conflict, InvalidInput, NotFound, Unauthorized
from moisson.services import (
    admin_queries,
    datasets,
    jobs,
    presenters,
    quality,
    source_workflow,
    sources,
)
from moisson.services.auth import Caller
from moisson.services.paging import PageRequest
from moisson.services.runs import hand_over_after_commit
from moisson.storage.session import read_only, unit_of_work

if TYPE_CHECKING:
    from moisson.admin.app import AdminState


router = APIRouter()

SOURCES_PER_PAGE = 50
ITEMS_PER_PAGE = 50
JOBS_IN_HISTORY = 20
ITEM_STATUSES = ("pending", "started", "done", "failed", "skipped", "archived")


# --------------------------------------------------------------------------- plumbing


class SignInRequired(Unauthorized):
    """No one is signed in on this browser."""

    def __init__(self) -> None:
        super().__init__("Please sign in")


def state_of(request: Request) -> AdminState:
    state: AdminState = request.app.state.admin
    return state


def session_of(request: Request) -> AdminSession:
    found: AdminSession = request.scope["admin_session"]
    return found


def path(request: Request, name: str, query: dict[str, Any] | None = None, **params: Any) -> str:
    """The path of a named admin route (under the mount point), with an optional query."""
    url = str(request.url_for(name, **params).path)
    shown = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    return f"{url}?{urlencode(shown)}" if shown else url


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    caller: Caller | None = None,
) -> HTMLResponse:
    response: HTMLResponse = state_of(request).templates.TemplateResponse(
        request,
        template,
        {
            "caller": caller,
            "csrf_token": session_of(request).csrf_token,
            "path": lambda name, query=None, **params: path(request, name, query, **params),
            **(context or {}),
        },
        status_code=status_code,
    )
    return response


def redirect(location: str) -> Response:
    """303 for plain forms; htmx requests get `HX-Redirect` so the whole page changes."""
    return RedirectResponse(location, status_code=303)


def to_sign_in(request: Request) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    location = path(request, "sign_in", {"next": target if request.method == "GET" else None})
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return redirect(location)


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"status_code": status_code, "message": message},
        status_code=status_code,
    )


@contextmanager
def signed_in(request: Request) -> Iterator[tuple[Session, Caller]]:
    """One unit of work and the signed-in caller; `SignInRequired` without a session."""
    key_hash = session_of(request).key_hash
    if key_hash is None:
        raise SignInRequired()
    factory = state_of(request).session_factory
    if request.method == "GET":  # a page: reads only, never the write lock
        with unit_of_work(read_only(factory)) as session:
            yield session, admin_queries.caller_for_key_hash(session, key_hash)
        return
    with unit_of_work(factory) as session:
        yield session, admin_queries.caller_for_key_hash(session, key_hash)


async def posted_form(request: Request) -> dict[str, str]:
    """The submitted form as a dict (last value wins). The CSRF token was already checked
    by the session middleware."""
    data = await request.form()
    return {key: value for key, value in data.items() if isinstance(value, str)}


def backends_by_id(request: Request) -> dict[str, Json]:
    return {b["id"]: b for b in sources.list_backends(state_of(request).settings)}


# --------------------------------------------------------------------------- sign in


def _safe_next(request: Request, target: str | None) -> str:
    """Only a path inside the admin: never another site (open redirect)."""
    home = path(request, "sources_page")
    root = request.scope.get("root_path") or ""
    if (
        target
        and target.startswith(root + "/")
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target
    return home


@router.get("/", name="home")
def home(request: Request) -> Response:
    return redirect(path(request, "sources_page"))


@router.get("/sign-in", name="sign_in")
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "sign_in.html", {"next": next or ""})


@router.post("/sign-in", name="sign_in_post")
async def sign_in(request: Request) -> Response:
    form = await posted_form(request)
    token = form.get("api_key", "").strip()
    try:
        key_hash = await run_in_threadpool(_check_key, request, token)
    except Unauthorized as exc:
        return render(
            request,
            "sign_in.html",
            {"next": form.get("next", ""), "error": exc.message},
            status_code=401,
        )
    session_of(request).sign_in(key_hash)
    return redirect(_safe_next(request, form.get("next")))


def _check_key(request: Request, token: str) -> str:
    if not token:
        raise Unauthorized("Enter an API key")
    with unit_of_work(state_of(request).session_factory) as session:
        return admin_queries.key_hash_for_token(session, state_of(request).settings, token)


@router.post("/sign-out", name="sign_out")
def sign_out(request: Request) -> Response:
    session_of(request).sign_out()
    return redirect(path(request, "sign_in"))


# --------------------------------------------------------------------------- sources


@router.get("/sources", name="sources_page")
def sources_page(request: Request, q: str | None = None, page: int = 1) -> HTMLResponse:
    with signed_in(request) as (session, caller):
        listing = sources.list_sources(
            session,
            caller,
            sources.SourceQuery(q=q),
            PageRequest(page=max(page, 1), page_size=SOURCES_PER_PAGE),
        )
        pending = admin_queries.pending_sources_count(session) if caller.is_sysadmin else 0
    return render(
        request,
        "sources.html",
        {
            "listing": listing,
            "q": q or "",
            "pending": pending,
            "last_page": max(1, -(-listing.total // SOURCES_PER_PAGE)),
        },
        caller=caller,
    )


def _form_context(
    request: Request,
    session: Session,
    caller: Caller,
    *,
    values: Json,
    config: Json | None,
    errors: dict[str, str] | None = None,
    source: Json | None = None,
) -> Json:
    backends = backends_by_id(request)
    backend = backends.get(values.get("backend") or "")
    return {
        "backends": list(backends.values()),
        "values": values,
        "config_form": forms.config_form(backend, config),
        "errors": errors or {},
        "organizations": admin_queries.organizations_of(session, caller),
        "source": source,
    }


@router.get("/sources/new", name="new_source")
def new_source_page(request: Request, backend: str | None = None) -> HTMLResponse:
    with signed_in(request) as (session, caller):
        values: Json = {"backend": backend or "", "active": True, "autoarchive": True}
        context = _form_context(request, session, caller, values=values, config={})
    return render(request, "source_form.html", context, caller=caller)


@router.get("/sources/config-fields", name="config_fields")
def config_fields(request: Request, backend: str = "") -> HTMLResponse:
    """The backend-specific part of the source form (swapped in by htmx on backend change)."""
    with signed_in(request) as (_, caller):
        form = forms.config_form(backends_by_id(request).get(backend), {})
    return render(
        request, "_config_fields.html", {"config_form": form, "errors": {}}, caller=caller
    )


@router.post("/sources/new", name="create_source")
async def create_source(request: Request) -> Response:
    form = await posted_form(request)
    changes = forms.source_changes(form, backends_by_id(request), creating=True)
    return await run_in_threadpool(lambda: _create(request, form, changes))


def _create(request: Request, form: dict[str, str], changes: Json) -> Response:
    try:
        with signed_in(request) as (session, caller):
            created = sources.create_source(session, state_of(request).settings, caller, changes)
    except InvalidInput as exc:
        with signed_in(request) as (session, caller):
            context = _form_context(
                request,
                session,
                caller,
                values={**changes, "producer": form.get("producer", "")},
                config=changes["config"],
                errors=exc.errors or {"form": exc.message},
            )
        return render(request, "source_form.html", context, status_code=400, caller=caller)
    return redirect(path(request, "source_page", source=created["id"]))


@router.get("/sources/{source}/edit", name="edit_source")
def edit_source_page(request: Request, source: str) -> HTMLResponse:
    with signed_in(request) as (session, caller):
        shown = sources.get_source(session, caller, source)
        if not shown["permissions"]["edit"]:
            return error_page(request, 403, "You may not edit this source.")
        context = _form_context(
            request, session, caller, values=shown, config=shown["config"], source=shown
        )
    return render(request, "source_form.html", context, caller=caller)


@router.post("/sources/{source}/edit", name="update_source")
async def update_source(request: Request, source: str) -> Response:
    form = await posted_form(request)
    return await run_in_threadpool(lambda: _update(request, source, form))


def _update(request: Request, segment: str, form: dict[str, str]) -> Response:
    backends = backends_by_id(request)
    with signed_in(request) as (session, caller):
        stored = sources.get_source(session, caller, segment)
    changes = forms.source_changes(form, backends, creating=False, stored_config=stored["config"])
    try:
        with signed_in(request) as (session, caller):
            sources.update_source(session, state_of(request).settings, caller, segment, changes)
    except InvalidInput as exc:
        with signed_in(request) as (session, caller):
            context = _form_context(
                request,
                session,
                caller,
                values={**stored, **changes},
                config=changes["config"],
                errors=exc.errors or {"form": exc.message},
                source=stored,
            )
        return render(request, "source_form.html", context, status_code=400, caller=caller)
    return redirect(path(request, "source_page", source=stored["id"]))


def _source_context(request: Request, session: Session, caller: Caller, segment: str) -> Json:
    shown = sources.get_source(session, caller, segment)
    history = jobs.list_jobs(
        session, caller, shown["id"], PageRequest(page=1, page_size=JOBS_IN_HISTORY)
    ).data
    backend = backends_by_id(request).get(shown["backend"])
    return {
        "source": shown,
        "backend": backend,
        "config_form": forms.config_form(backend, shown["config"]),
        "history": history,
        "chart": charts.items_chart(list(reversed(history))),
        "quality": (
            figures := quality.source_quality(session, state_of(request).settings, shown["id"])
        ),
        "quality_chart": charts.bands_chart(figures["bands"]),
        "action_errors": {},
    }


@router.get("/sources/{source}", name="source_page")
def source_page(request: Request, source: str) -> HTMLResponse:
    with signed_in(request) as (session, caller):
        context = _source_context(request, session, caller, source)
    return render(request, "source.html", context, caller=caller)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a source action sends the browser, and the job it started, if any."""

    location: str | None = None
    job_id: str | None = None


def _source_action(
    request: Request,
    segment: str,
    action: str,
    perform: Callable[[Session, Caller], Outcome],
) -> Response:
    """Run one action of the source page: on success go where `perform` says (else back to
    the source); on a refused input, show the source page with the message by the action."""
    try:
        with signed_in(request) as (session, caller):
            outcome = perform(session, caller)
            hand_over_after_commit(session, state_of(request).runner, outcome.job_id)
    except (InvalidInput, Conflict) as exc:
        with signed_in(request) as (session, caller):
            context = _source_context(request, session, caller, segment)
        context["action_errors"] = {action: exc.message}
        return render(request, "source.html", context, status_code=exc.status_code, caller=caller)
    return redirect(outcome.location or path(request, "source_page", source=segment))


@router.post("/sources/{source}/validate", name="validate_source")
async def validate_source(request: Request, source: str) -> Response:
    form = await posted_form(request)
    decision = {"state": form.get("state"), "comment": form.get("comment")}
    settings = state_of(request).settings

    def perform(session: Session, caller: Caller) -> Outcome:
        launched = source_workflow.validate_source(session, settings, caller, source, decision)
        return Outcome(job_id=launched.job_id)

    return await run_in_threadpool(lambda: _source_action(request, source, "validate", perform))


@router.post("/sources/{source}/run", name="run_source")
async def run_source(request: Request, source: str) -> Response:
    settings = state_of(request).settings

    def perform(session: Session, caller: Caller) -> Outcome:
        launched = source_workflow.run_source(session, settings, caller, source)
        location = path(request, "job_page", job=launched.job_id) if launched.job_id else None
        return Outcome(location=location, job_id=launched.job_id)

    return await run_in_threadpool(lambda: _source_action(request, source, "run", perform))


@router.post("/sources/{source}/schedule", name="schedule_source")
async def schedule_source(request: Request, source: str) -> Response:
    form = await posted_form(request)

    def perform(session: Session, caller: Caller) -> Outcome:
        source_workflow.schedule_source(session, caller, source, form.get("cron", ""))
        return Outcome()

    return await run_in_threadpool(lambda: _source_action(request, source, "schedule", perform))


@router.post("/sources/{source}/unschedule", name="unschedule_source")
async def unschedule_source(request: Request, source: str) -> Response:
    def perform(session: Session, caller: Caller) -> Outcome:
        source_workflow.unschedule_source(session, caller, source)
        return Outcome()

    return await run_in_threadpool(lambda: _source_action(request, source, "schedule", perform))


@router.post("/sources/{source}/delete", name="delete_source")
async def delete_source(request: Request, source: str) -> Response:
    def perform(session: Session, caller: Caller) -> Outcome:
        sources.delete_source(session, caller, source)
        return Outcome(location=path(request, "sources_page"))

    return await run_in_threadpool(lambda: _source_action(request, source, "delete", perform))


@router.post("/sources/{source}/preview", name="preview_source")
def preview_source(request: Request, source: str) -> HTMLResponse:
    """A dry run, rendered as a fragment of the source page (htmx swaps it in)."""
    state = state_of(request)
    try:
        with signed_in(request) as (session, caller):
            preview = source_workflow.preview_existing_source(
                session, state.settings, caller, source
            )
            payloads = admin_queries.record_payloads(
                session, preview["source"] or "", (i["remote_id"] for i in preview["items"])
            )
    except InvalidInput as exc:
        return render(request, "_preview.html", {"error": exc.message}, status_code=400)
    return render(
        request, "_preview.html", {"preview": preview, "payloads": payloads}, caller=caller
    )


# --------------------------------------------------------------------------- jobs


def _job_header(session: Session, request: Request, caller: Caller, job_id: str) -> Json:
    # A zero-sized page: the job and its counters, without its items.
    return jobs.get_job(
        session, state_of(request).settings, caller, job_id, PageRequest(page=1, page_size=0)
    )


@router.get("/jobs/{job}", name="job_page")
def job_page(request: Request, job: str, status: str | None = None, page: int = 1) -> HTMLResponse:
    settings = state_of(request).settings
    with signed_in(request) as (session, caller):
        shown = _job_header(session, request, caller, job)
        source = sources.get_source(session, caller, shown["source"])
        items = jobs.list_items(
            session,
            settings,
            caller,
            job,
            status or None,
            PageRequest(page=max(page, 1), page_size=ITEMS_PER_PAGE),
        )
    return render(
        request,
        "job.html",
        {
            "job": shown,
            "source": source,
            "items": items,
            "status": status or "",
            "statuses": ITEM_STATUSES,
            "last_page": max(1, -(-items.total // ITEMS_PER_PAGE)),
        },
        caller=caller,
    )


@router.get("/jobs/{job}/progress", name="job_progress")
def job_progress(request: Request, job: str) -> Response:
    """The progress fragment polled every 2 s while the job runs. Once the job is final the
    whole page is reloaded (`HX-Refresh`), to show its items and errors."""
    with signed_in(request) as (session, caller):
        shown = _job_header(session, request, caller, job)
    if shown["status"] in FINAL_JOB_STATUSES and request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    return render(request, "_job_progress.html", {"job": shown}, caller=caller)


# --------------------------------------------------------------------------- datasets


@router.get("/datasets/{dataset}", name="dataset_page")
def dataset_page(request: Request, dataset: str) -> HTMLResponse:
    with signed_in(request) as (session, caller):
        shown = datasets.get_dataset(session, state_of(request).settings, caller, dataset)
        payload = admin_queries.payload_for_dataset(session, shown["id"])
        assessment = quality.dataset_quality(session, shown["id"])
        findings = list(assessment.results) if assessment is not None else []
        source_id = shown["harvest"].get("source_id")
        try:
            source = sources.get_source(session, caller, source_id) if source_id else None
        except NotFound:
            source = None
    return render(
        request,
        "dataset.html",
        {
            "dataset": shown,
            "payload": payload,
            "source": source,
            "iso": presenters.iso,
            "findings": findings,
        },
        caller=caller,
    )
