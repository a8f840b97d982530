"""Request-scoped dependencies: settings, the unit of work, the caller, masks, JSON bodies.

A request is one unit of work: its session commits after the handler returns (before the
response is sent) or rolls back if anything raised. Work that must only happen once the
data is committed (handing a job to the runner) is registered with
`moisson.storage.session.after_commit` and runs after the commit, as at every edge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from moisson.api import strict_json
from moisson.api.masks import Mask, apply_mask, parse_mask
from moisson.config import Settings
from moisson.errors import InvalidInput, MoissonError
from moisson.services.auth import Caller, authenticate, require_authenticated
from moisson.services.permissions import require_owner_admin, require_sysadmin
from moisson.services.runs import JobRunner
from moisson.services.sources import resolve_source
from moisson.storage.session import (
    finish_read,
    read_only,
    run_after_commit,
    take_after_commit,
)

if TYPE_CHECKING:
    from moisson.storage.models import HarvestSource

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

UNSUPPORTED_MEDIA_TYPE = (
    "Did not attempt to load JSON data because the request Content-Type was not 'application/json'."
)


class UnsupportedMediaType(MoissonError):
    status_code = 415


class UnitOfWork:
    """The request's session; what must wait for its commit is registered on the session
    (`moisson.storage.session.after_commit`), as at every other edge."""

    def __init__(self, session: Session) -> None:
        self.session = session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def get_runner(request: Request) -> JobRunner | None:
    runner: JobRunner | None = request.app.state.runner
    return runner


#: Requests that only read: their session never takes a write lock (`read_only`).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def read_factory(request: Request) -> sessionmaker[Session]:
    """The read-only variant of the app's session factory, made once per app."""
    state = request.app.state
    factory: sessionmaker[Session] | None = getattr(state, "read_session_factory", None)
    if factory is None or getattr(state, "read_session_source", None) is not state.session_factory:
        factory = read_only(state.session_factory)
        state.read_session_factory = factory
        state.read_session_source = state.session_factory
    return factory


def unit_of_work(request: Request) -> Iterator[UnitOfWork]:
    reading = request.method in READ_METHODS
    session = (read_factory(request) if reading else get_session_factory(request))()
    try:
        yield UnitOfWork(session)
        if reading:
            finish_read(session, get_session_factory(request))
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        actions = take_after_commit(session)  # run only if no exception got past this
        session.close()
    run_after_commit(actions)


# `scope="function"`: the exit code runs when the handler returns, before the response is
# sent, so a client never sees a success whose data is not committed yet.
Work = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings)]
SessionFactory = Annotated[sessionmaker[Session], Depends(get_session_factory)]
Runner = Annotated[JobRunner | None, Depends(get_runner)]


def current_caller(request: Request, work: Work, settings: AppSettings) -> Caller:
    """Anonymous without `X-API-KEY`; a bad key is a 401 on every endpoint (udata)."""
    return authenticate(work.session, settings, request.headers.get("X-API-KEY"))


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def secured_caller(caller: CurrentCaller) -> Caller:
    """The caller of a secured endpoint: 401 for anonymous callers before anything else is
    looked at, the body included (udata's `api.secure` runs first)."""
    require_authenticated(caller)
    return caller


SecuredCaller = Annotated[Caller, Depends(secured_caller)]


def _source_check(
    check: Callable[[Caller, HarvestSource], None],
) -> Callable[[str, UnitOfWork, Caller], None]:
    def checked(source: str, work: Work, caller: SecuredCaller) -> None:
        check(caller, resolve_source(work.session, source))

    return checked


def _sysadmin_only(caller: Caller, source: HarvestSource) -> None:
    require_sysadmin(caller)


# Declared before the body of a write that names a source: a caller without the right gets
# 403 whatever the body holds, as in udata, which checks before it reads the body. The
# service checks again; this only moves the refusal ahead of body parsing.
MayEditSource = Annotated[None, Depends(_source_check(require_owner_admin))]
SysadminOnSource = Annotated[None, Depends(_source_check(_sysadmin_only))]


def field_mask(request: Request) -> Mask | None:
    """Parsed before the handler runs: a malformed mask changes nothing."""
    return parse_mask(request.headers.get("X-Fields"))


FieldMask = Annotated[Mask | None, Depends(field_mask)]


def render(mask: Mask | None, data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(apply_mask(data, mask), status_code=status_code)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def json_body(request: Request) -> Any:
    """The decoded JSON body of a write; 415 unless the body is declared as JSON, 400 for a
    body `strict_json` refuses. Its size was capped by `limits.RequestLimits` as it arrived."""
    if not _is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType(UNSUPPORTED_MEDIA_TYPE)
    return strict_json.decode(await request.body())


JsonBody = Annotated[Any, Depends(json_body)]


async def cron_body(request: Request) -> Any:
    """A cron expression: a JSON string, or raw text declared as JSON (udata accepts both)."""
    if not _is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType(UNSUPPORTED_MEDIA_TYPE)
    raw = await request.body()
    try:
        return strict_json.decode(raw)
    except InvalidInput:
        return raw.decode("utf-8", errors="replace")


CronBody = Annotated[Any, Depends(cron_body)]


def validate_object(model: type[M], data: Any) -> M:
    """`data` checked against a body model; 400 naming the first offending field."""
    if not isinstance(data, dict):
        raise InvalidInput("expecting a JSON object", field="request")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "request"
            errors.setdefault(field, error["msg"])
        first = next(iter(errors.items()))
        raise InvalidInput(f"{first[0]}: {first[1]}", errors=errors) from None
