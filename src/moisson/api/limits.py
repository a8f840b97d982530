"""Limits on what a request to the API may carry, enforced before any handler parses it.

`RequestLimits` is a pure ASGI middleware for the paths under the API prefix (the admin
sub-app has caps of its own):

- a body larger than `max_body_bytes` is refused with 413 `{"message": ...}`: at once when its
  `Content-Length` says so, else as soon as the bytes received pass the cap (a chunked body
  declares no length), and it is never buffered whole;
- a NUL character in the decoded path is a 404 (no object can be named so) and one in a
  query parameter a 400 naming the parameter: PostgreSQL refuses NUL in text, so such a
  value would otherwise reach the database and fail there as a 500.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from moisson.api.errors import VALIDATION_FAILED, error_body
from moisson.errors import MoissonError, NotFound

NUL_REFUSED = "NUL characters are not allowed"


class RequestTooLarge(MoissonError):
    status_code = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body too large: at most {limit} bytes are accepted")


class RequestLimits:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, prefix: str) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, self._capped(receive), send)

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        """The answer to a request refused on its head alone, if it is."""
        if "\x00" in scope["path"]:
            return JSONResponse(error_body(NotFound().message), status_code=404)
        query = scope.get("query_string", b"").decode("latin-1")
        errors = {
            name: NUL_REFUSED
            for name, value in parse_qsl(query, keep_blank_values=True)
            if "\x00" in name or "\x00" in value
        }
        if errors:
            return JSONResponse(error_body(VALIDATION_FAILED, errors), status_code=400)
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            too_large = RequestTooLarge(self.max_body_bytes)
            return JSONResponse(error_body(too_large.message), status_code=413)
        return None

    def _capped(self, receive: Receive) -> Receive:
        """`receive`, raising `RequestTooLarge` (answered 413 by the error handlers) once the
        body received so far passes the cap."""
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise RequestTooLarge(self.max_body_bytes)
            return message

        return capped_receive


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None
