"""Fixtures for backend integration tests: fake remote catalogs on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.conftest import SHARED_FIXTURES
from tests.integration.backends.directory_server import DirectoryServer


@pytest.fixture
def maaf_server() -> Iterator[DirectoryServer]:
    """The shared MAAF tree as Apache listings under `/maaf/`, the negative samples under
    `/negative/`."""
    mounts = {
        "/maaf/": SHARED_FIXTURES / "maaf" / "tree",
        "/negative/": SHARED_FIXTURES / "maaf" / "negative",
    }
    with DirectoryServer(mounts) as server:
        yield server


@pytest.fixture
def http_client() -> Iterator[httpx.Client]:
    """A plain client: the engine's guarded client is built elsewhere; the backend only
    needs an `httpx.Client`."""
    with httpx.Client(timeout=5) as client:
        yield client
