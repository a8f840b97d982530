"""Errors raised by services, carrying the HTTP status the API answers with.

MoissonError (500)
├── InvalidInput (400)      a field or a request is wrong; `field` names it
├── Unauthorized (401)      no identity, or a bad API key
├── Forbidden (403)         the caller may not do this
├── NotFound (404)
├── Conflict (409)          e.g. a job of this source is already running
└── Redirect (308)          a renamed source's old slug; `location` is the new URL path
"""

from __future__ import annotations

#: The answer to a request the database could not serve in time (a lock wait that ran out):
#: 503, this message and `Retry-After: BUSY_RETRY_AFTER` (API and admin alike).
DATABASE_BUSY = "The database is busy; retry in a moment"
BUSY_RETRY_AFTER = 2


class MoissonError(Exception):
    status_code = 500

    def __init__(self, message: str, *, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors

    def __str__(self) -> str:
        return self.message


class InvalidInput(MoissonError):
    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        if field is not None:
            errors = {**(errors or {}), field: message}
        super().__init__(message, errors=errors)
        self.field = field


class Unauthorized(MoissonError):
    status_code = 401


class Forbidden(MoissonError):
    status_code = 403

    def __init__(
        self, message: str = "You do not have the permission to modify that object."
    ) -> None:
        super().__init__(message)


class NotFound(MoissonError):
    status_code = 404

    def __init__(
        self,
        message: str = "The requested URL was not found on the server. If you entered the URL "
        "manually please check your spelling and try again.",
    ) -> None:
        super().__init__(message)


class Conflict(MoissonError):
    status_code = 409


class Redirect(MoissonError):
    status_code = 308

    def __init__(self, location: str) -> None:
        super().__init__(f"Moved permanently to {location}")
        self.location = location
