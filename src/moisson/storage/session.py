"""Engine and session factories, and the unit of work that owns commit and rollback.

Two kinds of session share one engine:

- write sessions (`make_sessionmaker`): on SQLite every transaction starts with
  `BEGIN IMMEDIATE`, which takes the database's single write lock up front. A transaction
  that reads then writes would otherwise fail at once ("database is locked") whenever
  another connection committed in between: SQLite cannot upgrade a read snapshot that is
  stale, and its busy handler does not help there. Writers therefore queue at BEGIN: the
  writers of this process first in arrival order at a fair gate (`write_gate`), so a
  waiting API write is handed the lock rather than polling for it.
- read-only sessions (`read_only`): a deferred `BEGIN` on SQLite, which in WAL mode never
  waits for the write lock nor blocks a writer. Flushing changes from one is a bug and
  raises; a small write a read request still wants (an API key's "last used" stamp) is
  handed to `write_after_read` and made in its own short write transaction afterwards.

Every lock wait is bounded: `database.lock_timeout` for requests (SQLite's busy timeout,
PostgreSQL's `lock_timeout`), `database.worker_lock_timeout` for background writers (the
harvest engine, the scheduler, the worker's heartbeats), which may wait longer than a
client should. A wait that runs out raises `OperationalError`: the API answers it with 503
and `Retry-After` (`is_database_busy`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.storage.write_gate import FairWriteGate, gate_for

log = logging.getLogger(__name__)

#: Execution option: this connection's transactions only read (deferred BEGIN on SQLite).
READ_ONLY = "moisson_read_only"
#: Execution option: seconds a transaction of this connection waits for a lock.
LOCK_TIMEOUT = "moisson_lock_timeout"
#: `Session.info` key marking a read-only session.
READ_ONLY_INFO = "moisson_read_only"
_AFTER_COMMIT = "moisson.after_commit"
_AFTER_READ = "moisson_after_read"
#: `Connection.info` key: the write gate this connection's transaction holds (SQLite).
_GATE = "moisson_write_gate"

#: PostgreSQL SQLSTATEs of a lock or statement wait that ran out, a deadlock, a
#: serialization failure and a server refusing connections: all transient, worth a retry.
_BUSY_SQLSTATES = frozenset({"55P03", "57014", "40P01", "40001", "53300", "57P03"})


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    url = settings.database_url
    lock_timeout = settings.database.lock_timeout
    if settings.is_sqlite:
        _ensure_sqlite_directory(url)
        # Several threads (API, in-process worker, scheduler) share the file. The busy
        # timeout is set per transaction (see `_sqlite_begin`).
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": lock_timeout})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling breaks SAVEPOINTs: we emit BEGIN ourselves,
        # after this process's writers have taken their turn at the fair gate.
        gate = gate_for(str(engine.url))
        event.listen(engine, "begin", _sqlite_begin(lock_timeout, gate))
        event.listen(engine, "commit", _sqlite_end(commit=True))
        event.listen(engine, "rollback", _sqlite_end(commit=False))
        # A connection checked in or dropped mid-transaction must not keep the gate.
        event.listen(engine.pool, "checkin", _release_gate_of_record)
        event.listen(engine.pool, "invalidate", _release_gate_of_record)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql+psycopg:"):
        connect_args = kwargs.setdefault("connect_args", {})
        # psycopg prepares a query on the server after 5 runs, and PostgreSQL then moves to
        # a generic plan, which cannot hash an `IN (...)` list of parameters: the engine's
        # batch lookups (200 ids) went from 3 ms to 37 ms each after a dozen batches (on
        # the tables of a first harvest, not yet analysed). Every query gets its own plan.
        connect_args.setdefault("prepare_threshold", None)
        # A statement waiting for a row or table lock gives up after this long.
        connect_args.setdefault("options", f"-c lock_timeout={_ms(lock_timeout)}")
    engine = create_engine(url, **kwargs)
    if url.startswith("postgresql"):
        event.listen(engine, "begin", _postgres_begin(lock_timeout))
    return engine


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _sqlite_begin(default_timeout: float, gate: FairWriteGate) -> Callable[[Connection], None]:
    def begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        timeout = float(options.get(LOCK_TIMEOUT, default_timeout))
        if options.get(READ_ONLY):
            _set_busy_timeout(conn, _ms(timeout))
            conn.exec_driver_sql("BEGIN")
            return
        started = time.monotonic()
        gate.acquire(timeout)
        conn.info[_GATE] = gate
        try:
            # What is left of the wait goes to SQLite's busy handler (another process).
            _set_busy_timeout(conn, _ms(max(0.0, timeout - (time.monotonic() - started))))
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release_gate(conn.info)
            raise

    return begin


def _set_busy_timeout(conn: Connection, busy: int) -> None:
    if conn.info.get("busy_timeout") != busy:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={busy}")
        conn.info["busy_timeout"] = busy


def _sqlite_end(*, commit: bool) -> Callable[[Connection], None]:
    """Hand the gate on once the transaction has really ended. SQLAlchemy fires this event
    before it commits or rolls back, so the listener ends the transaction itself (the
    driver's own call that follows then has nothing left to do)."""

    def end(conn: Connection) -> None:
        if _GATE not in conn.info:
            return
        dbapi = conn.connection.dbapi_connection
        if dbapi is None:  # the connection is gone, and its transaction with it
            _release_gate(conn.info)
            return
        if commit:
            dbapi.commit()  # if it raises, the transaction is open: its rollback releases
            _release_gate(conn.info)
            return
        try:
            dbapi.rollback()
        finally:
            _release_gate(conn.info)

    return end


def _release_gate(info: dict[Any, Any]) -> None:
    gate = info.pop(_GATE, None)
    if gate is not None:
        gate.release()


def _release_gate_of_record(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
    _release_gate(record.info)


def _postgres_begin(default_timeout: float) -> Callable[[Connection], None]:
    default = _ms(default_timeout)

    def begin(conn: Connection) -> None:
        wanted = conn.get_execution_options().get(LOCK_TIMEOUT)
        if wanted is not None and _ms(wanted) != default:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {_ms(wanted)}")

    return begin


def _ensure_sqlite_directory(url: str) -> None:
    path = url.split("///", 1)[-1] if "///" in url else ""
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # see the "begin" listener above
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL: readers never block the writer nor wait for it.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Write sessions with the request lock timeout."""
    return sessionmaker(bind=engine, expire_on_commit=False)


# --------------------------------------------------------------------------- variants


def read_only(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions of `factory` that only read: deferred BEGIN on SQLite, flushes refused."""
    return _variant(factory, {READ_ONLY: True}, {READ_ONLY_INFO: True})


def patient(factory: sessionmaker[Session], settings: Settings) -> sessionmaker[Session]:
    """Write sessions of `factory` for background work, with `worker_lock_timeout`."""
    return _variant(factory, {LOCK_TIMEOUT: settings.database.worker_lock_timeout}, {})


def writer_like(session: Session) -> sessionmaker[Session] | None:
    """A factory of write sessions on the engine of `session`, or `None` when `session` is
    bound to a connection (tests joined to an outer transaction)."""
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return None
    return sessionmaker(bind=bind.execution_options(**{READ_ONLY: False}), expire_on_commit=False)


def _variant(
    factory: sessionmaker[Session], options: dict[str, Any], info: dict[str, Any]
) -> sessionmaker[Session]:
    kw = dict(factory.kw)
    bind = kw.get("bind")
    if isinstance(bind, Engine):  # a connection bind (tests) keeps its own transaction
        kw["bind"] = bind.execution_options(**options)
    kw["info"] = {**(kw.get("info") or {}), **info}
    return sessionmaker(class_=factory.class_.__mro__[1], **kw)


def is_read_only(session: Session) -> bool:
    return bool(session.info.get(READ_ONLY_INFO))


@event.listens_for(Session, "before_flush")
def _refuse_writes_of_readers(session: Session, _context: Any, _instances: Any) -> None:
    if is_read_only(session) and (session.new or session.dirty or session.deleted):
        changed = [type(obj).__name__ for obj in (*session.new, *session.dirty, *session.deleted)]
        raise RuntimeError(f"a read-only session was asked to write {sorted(set(changed))}")


def write_after_read(session: Session, action: Callable[[Session], None]) -> None:
    """Run `action` in this session when it writes; for a read-only session, in a short
    write transaction of its own after the read (`finish_read`). The action must be a small,
    optional write: it is skipped when the database is busy."""
    if is_read_only(session):
        session.info.setdefault(_AFTER_READ, []).append(action)
    else:
        action(session)


def finish_read(session: Session, factory: sessionmaker[Session]) -> None:
    """End a read-only session's transaction, then make the writes it deferred."""
    actions: list[Callable[[Session], None]] = session.info.pop(_AFTER_READ, [])
    session.commit()  # nothing to write: it only ends the snapshot
    if not actions:
        return
    try:
        with unit_of_work(factory) as writer:
            for action in actions:
                action(writer)
    except OperationalError as exc:
        log.info("Deferred write of a read request skipped: %s", exc)


def end_before_wait(session: Session) -> None:
    """End `session`'s transaction before something waits on the network (a preview's
    fetch). Only for sessions that have written nothing yet: it commits."""
    actions = session.info.pop(_AFTER_READ, None)
    session.commit()
    if actions:
        session.info[_AFTER_READ] = actions


def write_gate_of(session: Session) -> FairWriteGate | None:
    """The fair write gate the write transactions of `session` take (SQLite), else `None`.
    A long writer checks `waiting` on it to commit early when another writer queues."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name != "sqlite":
        return None
    return gate_for(str(engine.url))


def is_database_busy(exc: BaseException) -> bool:
    """True for a lock wait that ran out, a full connection pool, or another transient
    refusal of the database: answered 503 with `Retry-After`, never 500."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _BUSY_SQLSTATES:
        return True
    text = str(exc.orig).lower()
    return isinstance(exc, OperationalError) and (
        "database is locked" in text or "database is busy" in text
    )


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed if the block succeeds, rolled back if it raises; then,
    only if it committed, the actions registered with `after_commit`.

    Only edges (an API request, an admin page, a CLI command, a task) open a unit of work;
    nothing below them commits.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        actions = take_after_commit(session)  # run only if no exception got past this
        session.close()
    run_after_commit(actions)


def after_commit(session: Session, action: Callable[[], object]) -> None:
    """Run `action` once the unit of work of `session` has committed (never if it rolls
    back): what must not happen before the data is there, such as handing a new job to a
    worker that would look for it."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def take_after_commit(session: Session) -> list[Callable[[], object]]:
    """The actions registered on `session`, removed from it (for an edge that commits
    itself, such as the API's request dependency)."""
    actions: list[Callable[[], object]] = session.info.pop(_AFTER_COMMIT, [])
    return actions


def run_after_commit(actions: list[Callable[[], object]]) -> None:
    """Run each action in order; one that raises is logged and the others still run (the
    data is committed: the edge's answer stays a success)."""
    for action in actions:
        try:
            action()
        except Exception:
            log.exception("An action after the commit failed")
