"""The admin sub-application, mounted at `/admin` by `moisson.api.create_app`.

Server-rendered Jinja2 pages with htmx for the partial updates (filter box, backend fields,
preview, job progress); no JavaScript build step. Identity and CSRF live in
`moisson.admin.sessions`; the pages themselves in `moisson.admin.views`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from moisson.admin import notification_views, views
from moisson.admin.markdown import render_markdown
from moisson.admin.payloads import pretty_payload
from moisson.admin.sessions import AdminSession, AdminSessionMiddleware, SessionCodec
from moisson.config import Settings
from moisson.domain.enums import FINAL_JOB_STATUSES
from moisson.errors import BUSY_RETRY_AFTER, DATABASE_BUSY, MoissonError, NotFound, Unauthorized
from moisson.services.presenters import iso
from moisson.services.runs import JobRunner
from moisson.storage.session import is_database_busy

HERE = Path(__file__).resolve().parent

#: Scripts and styles come from /admin/static only; nothing may frame the admin.
SECURITY_HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)


@dataclass(frozen=True)
class AdminState:
    settings: Settings
    session_factory: sessionmaker[Session]
    runner: JobRunner | None
    templates: Jinja2Templates


def _when(value: str | None) -> str:
    """An RFC 3339 string as `2026-03-04 10:00 UTC`."""
    shown = iso(value)
    if not shown:
        return "—"
    return shown[:16].replace("T", " ") + " UTC"


def _href(value: str | None) -> str:
    """Harvested URLs are links only when http(s): never `javascript:` or `data:`."""
    if value and value.strip().lower().startswith(("http://", "https://")):
        return value.strip()
    return "#"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["when"] = _when
    templates.env.filters["href"] = _href
    templates.env.filters["pretty"] = pretty_payload
    templates.env.filters["markdown"] = render_markdown
    templates.env.globals["final_statuses"] = FINAL_JOB_STATUSES
    return templates


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + list(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


def _on_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MoissonError)  # noqa: S101 (registered for this class only)
    if isinstance(exc, Unauthorized):
        # The key behind the session stopped working (revoked, expired): sign in again.
        session: AdminSession = request.scope["admin_session"]
        session.sign_out()
        return views.to_sign_in(request)
    return views.error_page(request, exc.status_code, exc.message)


def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    message = NotFound().message if exc.status_code == 404 else str(exc.detail)
    return views.error_page(request, exc.status_code, message)


def _on_database_error(request: Request, exc: Exception) -> Response:
    if not is_database_busy(exc):
        raise exc
    page = views.error_page(request, 503, DATABASE_BUSY)
    page.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
    return page


def create_admin_app(
    settings: Settings, session_factory: sessionmaker[Session], runner: JobRunner | None
) -> FastAPI:
    """The admin UI. Jobs it starts are handed to `runner` once committed (or stay `pending`
    for a worker to pick up when there is none)."""
    app = FastAPI(title="Moisson admin", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.admin = AdminState(settings, session_factory, runner, make_templates())
    app.add_exception_handler(MoissonError, _on_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(PoolTimeout, _on_database_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.include_router(notification_views.router)
    app.include_router(views.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(
        AdminSessionMiddleware,
        codec=SessionCodec(settings.secret_key),
        secure=settings.public_url.lower().startswith("https://"),
    )
    app.add_middleware(SecurityHeaders)
    return app
