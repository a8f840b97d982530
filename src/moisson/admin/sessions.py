"""The admin's session cookie and the CSRF check on every unsafe request.

The session is a small signed object in one cookie (itsdangerous, keyed with
`settings.secret_key`, timestamped so it expires): the CSRF token of the browser and, once
signed in, the hash of the API key used (`services.admin_queries`). The cookie is
`HttpOnly` (scripts never read it), `SameSite=Lax` (other sites cannot send it with a form
POST) and `Secure` when the service is published over https.

Every request other than GET/HEAD/OPTIONS must carry the session's CSRF token, as the form
field `csrf_token` or the `X-CSRF-Token` header (htmx sends it, see `base.html`). The check
sits in a middleware so that no route can forget it. Anonymous visitors get a session too:
the sign-in form is protected like the others (login CSRF), and signing in or out rotates
the token.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "moisson_admin"
SESSION_MAX_AGE = 12 * 3600
"""Seconds a session lasts after it was last written."""
CSRF_FIELD = "csrf_token"
CSRF_HEADER = b"x-csrf-token"
MAX_FORM_BYTES = 1024 * 1024
"""The admin's forms are small; a larger body is refused before it is parsed."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SALT = "moisson.admin.session"

CSRF_FAILED_PAGE = b"""<!doctype html><meta charset="utf-8"><title>Form expired</title>
<h1>This form has expired</h1>
<p>The request did not carry this browser's security token: the page was open for too long,
you signed in or out in another tab, or the form came from another site. Go back, reload the
page and try again.</p>"""


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class AdminSession:
    """What the cookie holds. Views change it through `sign_in`/`sign_out` only."""

    csrf_token: str
    key_hash: str | None = None
    modified: bool = False
    """Whether the cookie must be (re)written with this response."""

    @classmethod
    def fresh(cls) -> AdminSession:
        return cls(csrf_token=new_token(), modified=True)

    def sign_in(self, key_hash: str) -> None:
        self.key_hash = key_hash
        self.csrf_token = new_token()
        self.modified = True

    def sign_out(self) -> None:
        self.key_hash = None
        self.csrf_token = new_token()
        self.modified = True


class SessionCodec:
    """Signs sessions into cookie values and checks them back."""

    def __init__(self, secret_key: str, max_age: int = SESSION_MAX_AGE) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
        self.max_age = max_age

    def dumps(self, session: AdminSession) -> str:
        data = {"csrf": session.csrf_token, "key": session.key_hash}
        value: str = self._serializer.dumps(data)
        return value

    def loads(self, value: str | None) -> AdminSession | None:
        """The session, or None for a missing, forged, expired or malformed cookie."""
        if not value:
            return None
        try:
            data: Any = self._serializer.loads(value, max_age=self.max_age)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        key = data.get("key")
        return AdminSession(csrf_token=data["csrf"], key_hash=key if isinstance(key, str) else None)


def _cookie_value(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookies: SimpleCookie = SimpleCookie()
            try:
                cookies.load(value.decode("latin-1"))
            except Exception:  # noqa: S112 (a malformed Cookie header means no session)
                continue
            if COOKIE_NAME in cookies:
                return cookies[COOKIE_NAME].value
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class AdminSessionMiddleware:
    """Loads the session into `scope["admin_session"]`, refuses unsafe requests without its
    CSRF token (403), and writes the cookie back when the session changed."""

    def __init__(self, app: ASGIApp, *, codec: SessionCodec, secure: bool) -> None:
        self.app = app
        self.codec = codec
        self.secure = secure

    def set_cookie_header(self, session: AdminSession, scope: Scope) -> str:
        path = scope.get("root_path") or "/"
        parts = [
            f"{COOKIE_NAME}={self.codec.dumps(session)}",
            f"Path={path}",
            f"Max-Age={self.codec.max_age}",
            "HttpOnly",
            "SameSite=Lax",
        ]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = self.codec.loads(_cookie_value(scope)) or AdminSession.fresh()
        scope["admin_session"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.modified:
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", self.set_cookie_header(session, scope))
            await send(message)

        if scope["method"] not in SAFE_METHODS:
            body, too_large = await _read_body(receive)
            if too_large:
                await _plain_response(send_with_cookie, 413, b"Request body too large")
                return
            if not _token_matches(session.csrf_token, _submitted_token(scope, body)):
                await _plain_response(send_with_cookie, 403, CSRF_FAILED_PAGE)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send_with_cookie)


def _token_matches(expected: str, submitted: str | None) -> bool:
    return submitted is not None and hmac.compare_digest(expected.encode(), submitted.encode())


def _submitted_token(scope: Scope, body: bytes) -> str | None:
    header = _header(scope, CSRF_HEADER)
    if header:
        return header
    content_type = (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    values = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    found = values.get(CSRF_FIELD)
    return found[0] if found else None


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole request body, and whether it went over `MAX_FORM_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the already read body to the app, then waits as usual."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _plain_response(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
