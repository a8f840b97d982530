"""How errors become responses: `{"message": ..., "errors": {field: message}}` with a status.

MoissonError            its own status; `errors` only when fields are named
├── SourceMoved (308)   `Location` is the request URL with the source segment replaced
RequestValidationError  400 naming the first offending field (udata's wording)
HTTPException           404/405 from routing, with udata's messages
database busy           503 with `Retry-After`: a lock wait that ran out (the write lock of
                        SQLite, a PostgreSQL row lock: `MOISSON_DATABASE__LOCK_TIMEOUT`), a full
                        connection pool, a database refusing connections
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from moisson.errors import BUSY_RETRY_AFTER, DATABASE_BUSY, MoissonError, NotFound, Redirect
from moisson.services.sources import SourceMoved
from moisson.storage.session import is_database_busy

log = logging.getLogger(__name__)

VALIDATION_FAILED = "Input payload validation failed"

METHOD_NOT_ALLOWED = "The method is not allowed for the requested URL."


def error_body(message: str, errors: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    return body


def _moved_location(request: Request, exc: SourceMoved) -> str:
    old = f"/source/{exc.segment}/"
    path = request.url.path
    if old in path:
        path = path.replace(old, f"/source/{quote(exc.slug, safe='')}/", 1)
    return str(request.url.replace(path=path))


def handle_moisson_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MoissonError)  # noqa: S101 (registered for this class only)
    if isinstance(exc, Redirect):
        location = _moved_location(request, exc) if isinstance(exc, SourceMoved) else exc.location
        return JSONResponse(
            error_body(exc.message), status_code=exc.status_code, headers={"Location": location}
        )
    return JSONResponse(error_body(exc.message, exc.errors), status_code=exc.status_code)


def _field_name(loc: tuple[Any, ...]) -> str:
    # loc is ("query", "page") / ("header", "x-api-key") / ("body", "name", ...)
    parts = [str(p) for p in loc[1:]] or [str(p) for p in loc]
    return ".".join(parts)


def handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    errors: dict[str, str] = {}
    for error in exc.errors():
        errors.setdefault(_field_name(tuple(error.get("loc", ()))), str(error.get("msg", "")))
    return JSONResponse(error_body(VALIDATION_FAILED, errors), status_code=400)


def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    if exc.status_code == 404:
        message = NotFound().message
    elif exc.status_code == 405:
        message = METHOD_NOT_ALLOWED
    else:
        message = str(exc.detail)
    return JSONResponse(
        error_body(message), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


def busy_response(request: Request, exc: Exception) -> Response | None:
    """The 503 answer to a database that is busy, `None` for any other database error."""
    if not is_database_busy(exc):
        return None
    log.warning("%s %s answered 503, database busy: %s", request.method, request.url.path, exc)
    return JSONResponse(
        error_body(DATABASE_BUSY),
        status_code=503,
        headers={"Retry-After": str(BUSY_RETRY_AFTER)},
    )


def handle_database_error(request: Request, exc: Exception) -> Response:
    answer = busy_response(request, exc)
    if answer is None:
        raise exc  # a real bug: the server's 500 and its traceback
    return answer


def install(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, handle_database_error)
    app.add_exception_handler(PoolTimeout, handle_database_error)
    app.add_exception_handler(MoissonError, handle_moisson_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
