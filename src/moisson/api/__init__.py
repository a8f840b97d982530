"""The udata-compatible harvest API (FastAPI), mounted under `/api/1`."""

from moisson.api.app import create_app

__all__ = ["create_app"]
