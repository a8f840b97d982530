"""Fixtures of the distributed tests: a fresh PostgreSQL database per module, deployments.

These tests always run on PostgreSQL (the database of a multi-worker deployment), in both
passes of the suite, and on the real Redis and RabbitMQ: a service that is down makes them
fail, never skip.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import fresh_postgres_database
from tests.integration.tasks.workers import Deployment

from moisson.config import Settings
from moisson.storage.migrate import upgrade
from moisson.storage.session import make_engine

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="module")
def pg_database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    configured = os.environ.get("MOISSON_TEST_DATABASE_URL", "")
    server = configured if configured.startswith("postgresql") else DEFAULT_POSTGRES
    module = request.module.__name__.rsplit(".", 1)[-1]
    with fresh_postgres_database(server, f"moisson_{module}_{os.getpid()}"[:63]) as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
def pg_sessions(pg_database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(Settings(_env_file=None, database_url=pg_database_url))  # type: ignore[call-arg]
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


DeploymentFactory = Callable[..., Deployment]


@pytest.fixture
def deployment(pg_database_url: str, tmp_path: Path) -> Iterator[DeploymentFactory]:
    """`deployment(broker_url, **env)`: a queue of its own on that broker; every process it
    started is killed and its queue deleted after the test."""
    made: list[Deployment] = []

    def make(broker_url: str, **env: str) -> Deployment:
        made.append(Deployment(pg_database_url, broker_url, tmp_path, env_extra=env))
        return made[-1]

    yield make
    for each in made:
        each.close()
