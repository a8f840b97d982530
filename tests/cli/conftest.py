"""Fixtures of the CLI tests: the `moisson` app wired to the test database, and loopback
DCAT catalogs for the commands that harvest."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import LOCAL_FIXTURES
from tests.http_server import LoopbackServer, Reply, loopback_server
from typer.testing import CliRunner, Result

from moisson.cli import app
from moisson.cli.state import CliState
from moisson.config import Settings
from moisson.storage.models import User

CATALOGS = LOCAL_FIXTURES / "cli"
OWNER = "ops@example.test"
"""The user the tests' sources belong to (a source has exactly one producer)."""

Invoke = Callable[..., Result]


def invoke_with(state: CliState) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), obj=state, catch_exceptions=False)

    return invoke


@pytest.fixture
def opened_settings(settings: Settings) -> Settings:
    """The test settings with loopback exempt from the SSRF guard (the fake catalogs)."""
    return settings.model_copy(
        update={"outbound_allow_networks": [ipaddress.IPv4Network("127.0.0.0/8")]}
    )


def add_owner(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        session.add(User(email=OWNER, slug="ops", first_name="Ops"))
        session.commit()


@pytest.fixture
def cli(opened_settings: Settings, session_factory: sessionmaker[Session]) -> Invoke:
    """`cli("harvest", "sources")` runs the command on the test database (rolled back),
    where the user `OWNER` exists."""
    add_owner(session_factory)
    return invoke_with(CliState(opened_settings, session_factory))


def created_source(cli: Invoke, url: str, name: str) -> dict[str, Any]:
    """Create a DCAT source of `OWNER` (not accepted yet); returns the `--json` output."""
    created = cli("harvest", "create", "dcat", url, name, "--owner", OWNER, "--json")
    assert created.exit_code == 0, created.output
    source: dict[str, Any] = json.loads(created.stdout)
    return source


def accepted_source(cli: Invoke, url: str, name: str) -> str:
    """Create and accept a source; returns its slug (its first job waits, pending)."""
    slug: str = created_source(cli, url, name)["slug"]
    assert cli("harvest", "validate", slug).exit_code == 0
    return slug


@dataclass
class Catalogs:
    """A loopback server of the DCAT catalogs in `tests/fixtures/cli/`; any other path
    answers 404."""

    server: LoopbackServer

    def url(self, name: str) -> str:
        return self.server.url(f"/{name}")


@pytest.fixture
def catalogs() -> Iterator[Catalogs]:
    routes: dict[str, Reply | Sequence[Reply]] = {
        f"/{path.name}": Reply(
            body=path.read_bytes(), headers={"Content-Type": "application/rdf+xml"}
        )
        for path in CATALOGS.glob("*.rdf")
    }
    with loopback_server(routes) as server:
        yield Catalogs(server)
