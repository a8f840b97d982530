"""Engine and session factories, and the unit of work that owns commit and rollback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    url = settings.database_url
    if settings.is_sqlite:
        _ensure_sqlite_directory(url)
        # Several threads (API, in-process worker, scheduler) share the file.
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 60})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling breaks SAVEPOINTs: we emit BEGIN ourselves.
        # IMMEDIATE takes the write lock up front: a transaction that reads then writes
        # would otherwise fail at once ("database is locked") whenever another connection
        # committed in between, which busy_timeout cannot help with. Writers queue instead;
        # readers of other connections are not blocked (WAL).
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql+psycopg:"):
        # psycopg prepares a query on the server after 5 runs, and PostgreSQL then moves to
        # a generic plan, which cannot hash an `IN (...)` list of parameters: the engine's
        # batch lookups (200 ids) went from 3 ms to 37 ms each after a dozen batches (on
        # the tables of a first harvest, not yet analysed). Every query gets its own plan.
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("prepare_threshold", None)
    return create_engine(url, **kwargs)


def _ensure_sqlite_directory(url: str) -> None:
    path = url.split("///", 1)[-1] if "///" in url else ""
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # see the "begin" listener above
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed if the block succeeds, rolled back if it raises.

    Only edges (an API request, a CLI command, a task) open a unit of work; nothing below
    them commits.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
