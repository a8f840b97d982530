"""Bodies of source writes. They check shapes only (types); the rules (required fields,
URL policy, backends, producers) are the service's, so that the CLI shares them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, StrictBool


class SourceBody(BaseModel):
    """Create, update and preview bodies. Only the keys sent count (`model_fields_set`)."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    description: str | None = None
    url: str | None = None
    backend: str | None = None
    config: Any = None
    active: StrictBool = True
    autoarchive: StrictBool = True
    owner: str | None = None
    organization: str | None = None
    credentials: Any = None
    """Write-only (an extra field): `{"type": "basic", "username", "password"}`,
    `{"type": "bearer", "token"}` or `{"type": "headers", "headers": {...}}`; null removes
    them. Reads only say `{"type": ..., "set": true}`, and sending that back keeps them."""

    def changes(self) -> dict[str, Any]:
        return self.model_dump(include=self.model_fields_set)


class ValidationBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    state: str | None = None
    comment: str | None = None
