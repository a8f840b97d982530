"""The application factory: routers under `/api/1`, OpenAPI at `/api/1/openapi.json`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy.orm import Session, sessionmaker

import moisson
from moisson.admin import create_admin_app
from moisson.api import errors, openapi
from moisson.api.limits import RequestLimits
from moisson.api.routes import (
    backends,
    catalog,
    dataservices,
    datasets,
    jobs,
    metrics,
    notifications,
    sources,
)
from moisson.config import Settings
from moisson.services.runs import JobRunner
from moisson.storage.session import make_engine, make_sessionmaker

API_PREFIX = "/api/1"

DESCRIPTION = """\
udata's harvest API, served by Moisson.

Authenticate with an `X-API-KEY: <key>` header. Reads are public; a key that is present but
invalid, revoked or expired is refused (401) everywhere. Every endpoint accepts an optional
`X-Fields` header restricting the response (`id,name,last_job{status}`; on pages
`data{id},total`).

Limits: a request body may not exceed `MOISSON_MAX_REQUEST_BYTES` (1 MiB by default; 413
beyond), JSON bodies may nest at most 64 levels, `page_size` is at most 1000 and `page` at
most 1,000,000,000, an `X-Fields` mask is at most 4096 characters and 10 levels deep.
"""


def create_app(
    settings: Settings,
    *,
    session_factory: sessionmaker[Session] | None = None,
    runner: JobRunner | None = None,
) -> FastAPI:
    """The API app. Without `session_factory`, an engine is made from the settings; without
    `runner`, jobs are created `pending` and wait for a worker to pick them up."""
    app = FastAPI(
        title="Moisson harvest API",
        version=moisson.__version__,
        description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory or make_sessionmaker(make_engine(settings))
    app.state.runner = runner
    errors.install(app)
    app.add_middleware(
        RequestLimits, max_body_bytes=settings.max_request_bytes, prefix=f"{API_PREFIX}/"
    )
    for module in (backends, sources, jobs, datasets, dataservices, catalog, notifications):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(metrics.router)

    def generate_openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=[{"name": "harvest", "description": "Harvest related operations"}],
            )
            app.openapi_schema = openapi.finish(document)
        return app.openapi_schema

    app.openapi = generate_openapi  # type: ignore[method-assign]
    app.mount("/admin", create_admin_app(settings, app.state.session_factory, app.state.runner))
    return app
