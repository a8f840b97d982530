"""Credentials a source needs to be harvested: HTTP headers (an API key), Basic, or bearer.

They are write-only: the API and the admin UI only ever say which kind is set. This module
checks what an operator sends and turns it into the request headers to add; encryption at
rest is `moisson.secrets`, and binding them to the source's origin is
`moisson.http.credentials`. `repr()` never shows a secret, so a stray log line cannot leak one.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("headers", "basic", "bearer")
#: RFC 9110 token characters: what a header name may be made of.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$")
#: Headers the HTTP layer owns: a credential may not replace them.
_RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "accept-encoding",
        "user-agent",
        "cookie",
        "te",
        "upgrade",
        "proxy-authorization",
        "keep-alive",
    }
)
MAX_VALUE_LENGTH = 4096


class InvalidCredentials(ValueError):
    """What is wrong with credentials an operator sent; the message names the key."""


@dataclass(frozen=True, slots=True)
class Credentials:
    kind: str
    secrets: Mapping[str, Any] = field(repr=False)
    """`{"headers": {...}}`, `{"username", "password"}` or `{"token"}`, per kind."""

    def headers(self) -> dict[str, str]:
        """The request headers these credentials add."""
        if self.kind == "basic":
            pair = f"{self.secrets['username']}:{self.secrets['password']}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        if self.kind == "bearer":
            return {"Authorization": f"Bearer {self.secrets['token']}"}
        return {str(name): str(value) for name, value in self.secrets["headers"].items()}

    def as_json(self) -> dict[str, Any]:
        """What is encrypted and stored."""
        return {"type": self.kind, **self.secrets}

    def __repr__(self) -> str:
        return f"Credentials(kind={self.kind!r}, secrets=<hidden>)"


def _text(payload: Mapping[str, Any], key: str, *, allow_colon: bool = True) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidCredentials(f"`credentials.{key}` must be a non-empty string")
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidCredentials(f"`credentials.{key}` is longer than {MAX_VALUE_LENGTH}")
    if any(char in value for char in "\r\n\x00"):
        raise InvalidCredentials(f"`credentials.{key}` may not contain line breaks")
    if not allow_colon and ":" in value:
        raise InvalidCredentials(f"`credentials.{key}` may not contain ':' (HTTP Basic)")
    return value


def parse_credentials(payload: Any) -> Credentials:
    """Credentials from what an operator sent (API body, CLI), or `InvalidCredentials`.

    `{"type": "basic", "username": ..., "password": ...}`, `{"type": "bearer", "token": ...}`
    or `{"type": "headers", "headers": {"X-API-Key": ...}}`.
    """
    if not isinstance(payload, Mapping):
        raise InvalidCredentials("`credentials` must be an object with a `type`, or null")
    kind = payload.get("type")
    if kind not in KINDS:
        raise InvalidCredentials(f"`credentials.type` must be one of {', '.join(KINDS)}")
    allowed = {"basic": {"username", "password"}, "bearer": {"token"}, "headers": {"headers"}}
    unknown = sorted(set(payload) - allowed[kind] - {"type"})
    if unknown:
        raise InvalidCredentials(f"`credentials.{unknown[0]}` is not a field of {kind} credentials")
    if kind == "basic":
        secrets: dict[str, Any] = {
            "username": _text(payload, "username", allow_colon=False),
            "password": _text(payload, "password"),
        }
    elif kind == "bearer":
        secrets = {"token": _text(payload, "token")}
    else:
        secrets = {"headers": _headers(payload.get("headers"))}
    return Credentials(kind=kind, secrets=secrets)


def _headers(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not value:
        raise InvalidCredentials("`credentials.headers` must be a non-empty object")
    headers: dict[str, str] = {}
    for name, header_value in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise InvalidCredentials(f"`credentials.headers`: {name!r} is not a header name")
        if name.lower() in _RESERVED_HEADERS:
            raise InvalidCredentials(f"`credentials.headers`: {name} may not be set")
        headers[name] = _text({name: header_value}, name)
    return headers
