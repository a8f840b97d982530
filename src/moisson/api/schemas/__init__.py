"""Pydantic models of request bodies. Unknown and read-only keys are ignored (udata)."""

from moisson.api.schemas.sources import SourceBody, ValidationBody

__all__ = ["SourceBody", "ValidationBody"]
