"""Races between two transactions, staged for tests ("another job", "another process").

`race_database(kind, tmp_path)` gives a migrated database of its own with real commits:
`"sqlite"` (a file) or `"postgres"` (a fresh database on the PostgreSQL server, whatever the
suite's database; a test using it must be marked `postgres`, and fails when the server is
down). `Database.race` makes "the other side" write a row between a lookup of ours and the
write that follows it: on PostgreSQL a second connection commits it, exactly as a concurrent
process would; SQLite lets one transaction write at a time (ours take the write lock up
front), so there the row is committed first and our lookup answers as it would have before.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import fresh_postgres_database

from moisson.config import Settings
from moisson.storage.migrate import upgrade
from moisson.storage.session import make_engine

POSTGRES_SERVER = os.environ.get("MOISSON_TEST_DATABASE_URL", "")
if not POSTGRES_SERVER.startswith("postgresql"):
    POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    settings: Settings

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def race(
        self,
        monkeypatch: pytest.MonkeyPatch,
        lookup: tuple[Any, str],
        table: Any,
        row: dict[str, Any],
        hide: Callable[[Any], Any],
    ) -> list[int]:
        """Make "the other side" write `row` into `table` between the first call of the
        lookup `module.name(session, ...)` and the write that follows it; the list counts
        the calls.

        PostgreSQL: a second connection commits `row` right after the lookup returned.
        SQLite (one writer at a time): `row` is committed now, and the first lookup answers
        as it would have just before, through `hide`, which removes `row` from its result."""
        module, name = lookup
        real = getattr(module, name)
        calls: list[int] = []
        if not self.is_postgres:
            with self.engine.begin() as other:
                other.execute(insert(table), [row])

        def wrapped(session: Session, *args: Any, **kwargs: Any) -> Any:
            found = real(session, *args, **kwargs)
            calls.append(1)
            if len(calls) == 1:
                if not self.is_postgres:
                    return hide(found)
                with self.engine.begin() as other:
                    other.execute(insert(table), [row])
            return found

        monkeypatch.setattr(module, name, wrapped)
        return calls


@contextmanager
def race_database(kind: str, tmp_path: Path) -> Iterator[Database]:
    """A migrated database of its own (`"sqlite"` or `"postgres"`), with real commits."""

    @contextmanager
    def build(url: str) -> Iterator[Database]:
        upgrade(url)
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        engine = make_engine(settings)
        try:
            yield Database(engine, sessionmaker(bind=engine, expire_on_commit=False), settings)
        finally:
            engine.dispose()

    if kind == "sqlite":
        with build(f"sqlite:///{tmp_path / 'race.db'}") as found:
            yield found
        return
    with (
        fresh_postgres_database(POSTGRES_SERVER, f"moisson_race_{os.getpid()}") as url,
        build(url) as found,
    ):
        yield found
