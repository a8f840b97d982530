"""Shared fixtures: settings, a database per test session, a rolled-back session per test.

The database is SQLite by default. Set `MOISSON_TEST_DATABASE_URL` to a PostgreSQL URL
(`postgresql+psycopg://postgres@127.0.0.1/test`) to run the same suite on PostgreSQL: each
xdist worker then gets a database of its own, created fresh.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hypothesis
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.storage.base import Base
from moisson.storage.session import make_engine

# The suite runs with quality assessment on (it is opt-in for deployments), so that every
# harvest the tests make is also validated and scored, in this process and in the workers
# and servers it starts.
os.environ.setdefault("MOISSON_QUALITY__ENABLED", "true")
# URL checks after a job would ask the fixtures' URLs (public names no test may reach): the
# tests of the checks turn them on, against loopback servers.
os.environ.setdefault("MOISSON_QUALITY__URL_CHECKS", "false")
# One child process per job would slow every harvest of the suite by its start-up; the tests
# of the hook run both ways (tests/integration/harvest/test_engine_quality.py).
os.environ.setdefault("MOISSON_QUALITY__SEPARATE_PROCESS", "false")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_FIXTURES = SHARED / "fixtures"
SPEC_DIR = SHARED / "spec"
LOCAL_FIXTURES = Path(__file__).resolve().parent / "fixtures"


# CI runs the property tests on a fixed seed so that a landing is judged on the change it
# brings; developers' runs explore new examples (and keep what fails in .hypothesis/).
hypothesis.settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    if not SHARED_FIXTURES.is_dir():
        raise pytest.UsageError(f"the shared fixtures are missing (expected {SHARED_FIXTURES})")


@contextmanager
def fresh_postgres_database(server_url: str, name: str) -> Iterator[str]:
    """An empty database `name` on the server of `server_url`, dropped afterwards."""
    url = make_url(server_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("MOISSON_TEST_DATABASE_URL", "")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'moisson.db'}"
        return
    # One database per test process (xdist worker): concurrent runs of the suite on one
    # server never share or drop each other's database.
    with fresh_postgres_database(base, f"moisson_test_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(Settings(database_url=database_url))
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for one test; tests may copy it with `settings.model_copy(update=...)`."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="testing",
        database_url=database_url,
        public_url="http://moisson.test",
    )


@pytest.fixture
def connection(engine: Engine) -> Iterator[object]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        if outer.is_active:
            outer.rollback()


@pytest.fixture
def session_factory(connection: object) -> sessionmaker[Session]:
    """Sessions joined to the test's outer transaction: their commits become savepoints,
    and everything is rolled back when the test ends."""
    return sessionmaker(
        bind=connection,  # type: ignore[arg-type]
        expire_on_commit=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def committed_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Real commits, visible to other threads and processes; every table is emptied after.
    For tests of the background worker, the scheduler and Celery."""
    yield sessionmaker(bind=engine, expire_on_commit=False)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
