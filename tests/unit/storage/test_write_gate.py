"""The fair write gate: SQLite writers of one process take the write lock in arrival order,
wait a bounded time, and never keep the gate past their transaction."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from tests.dcat_catalog import wait_until

from moisson.config import Settings
from moisson.storage.session import (
    is_database_busy,
    make_engine,
    make_sessionmaker,
    read_only,
    unit_of_work,
)
from moisson.storage.write_gate import FairWriteGate, GateTimeout, gate_for


def _queue_up(gate: FairWriteGate, name: str, order: list[str]) -> threading.Thread:
    def take_turn() -> None:
        gate.acquire(5.0)
        order.append(name)
        gate.release()

    before = gate.waiting
    thread = threading.Thread(target=take_turn)
    thread.start()
    assert wait_until(lambda: gate.waiting == before + 1, timeout=5)  # in line before the next
    return thread


def test_waiters_get_the_gate_in_the_order_they_asked() -> None:
    gate = FairWriteGate()
    gate.acquire(1.0)
    order: list[str] = []
    threads = [_queue_up(gate, name, order) for name in ("first", "second", "third", "fourth")]
    gate.release()
    for thread in threads:
        thread.join(5)
    assert order == ["first", "second", "third", "fourth"]
    assert gate.waiting == 0


def test_a_holder_asking_again_queues_behind_earlier_waiters() -> None:
    # The engine commits often: re-taking the gate must not jump ahead of an API write.
    gate = FairWriteGate()
    gate.acquire(1.0)
    order: list[str] = []
    api = _queue_up(gate, "api write", order)
    gate.release()
    gate.acquire(5.0)  # the engine's next batch
    order.append("engine batch")
    gate.release()
    api.join(5)
    assert order == ["api write", "engine batch"]


def test_a_wait_that_runs_out_reads_as_a_busy_database_and_leaves_the_line() -> None:
    gate = FairWriteGate()
    gate.acquire(1.0)
    order: list[str] = []
    started = time.monotonic()
    with pytest.raises(GateTimeout) as raised:
        gate.acquire(0.2)
    waited = time.monotonic() - started
    assert 0.2 <= waited < 3.0
    assert is_database_busy(raised.value)
    assert gate.waiting == 0
    later = _queue_up(gate, "later", order)
    gate.release()
    later.join(5)
    assert order == ["later"]


def test_a_waiter_that_gives_up_does_not_block_the_one_behind_it() -> None:
    gate = FairWriteGate()
    gate.acquire(1.0)
    gave_up: list[BaseException] = []

    def impatient_writer() -> None:
        try:
            gate.acquire(0.3)
        except GateTimeout as exc:
            gave_up.append(exc)

    impatient = threading.Thread(target=impatient_writer)
    impatient.start()
    assert wait_until(lambda: gate.waiting == 1, timeout=5)
    order: list[str] = []
    patient = _queue_up(gate, "patient", order)
    impatient.join(5)  # gave up while the gate was still held
    assert len(gave_up) == 1
    assert gate.waiting == 1
    gate.release()
    patient.join(5)
    assert order == ["patient"]


def test_releasing_a_gate_nobody_holds_is_a_bug() -> None:
    with pytest.raises(RuntimeError):
        FairWriteGate().release()


# ------------------------------------------------------------ SQLite sessions use it


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="testing",
        database_url=f"sqlite:///{tmp_path / 'gate.db'}",
    )
    settings = settings.model_copy(
        update={"database": settings.database.model_copy(update={"lock_timeout": 0.5})}
    )
    engine = make_engine(settings)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (body TEXT)")
    yield engine
    engine.dispose()


def _gate(engine: Engine) -> FairWriteGate:
    return gate_for(str(engine.url))


def test_a_write_session_holds_the_gate_until_commit_and_rollback(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)
    with unit_of_work(sessions) as session:
        session.execute(text("INSERT INTO notes VALUES ('one')"))
        with pytest.raises(GateTimeout):
            _gate(engine).acquire(0.05)  # held for the whole transaction
    _gate(engine).acquire(0.05)  # committed: handed on
    _gate(engine).release()
    _write_then_fail(sessions)
    _gate(engine).acquire(0.05)  # rolled back: handed on
    _gate(engine).release()
    session = sessions()
    session.execute(text("INSERT INTO notes VALUES ('three')"))
    session.close()  # closed without commit
    _gate(engine).acquire(0.05)
    _gate(engine).release()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM notes")).scalars().all() == ["one"]


class _Failed(Exception):
    pass


def _write_then_fail(sessions: sessionmaker[Session]) -> None:
    try:
        with unit_of_work(sessions) as session:
            session.execute(text("INSERT INTO notes VALUES ('two')"))
            raise _Failed
    except _Failed:
        return
    raise AssertionError("the block did not fail")


def test_reads_pass_while_a_writer_holds_the_gate(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)
    with unit_of_work(sessions) as writer:
        writer.execute(text("INSERT INTO notes VALUES ('pending')"))
        with read_only(sessions)() as reader:
            assert reader.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0


def test_a_second_writer_waits_its_turn_then_writes(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)
    done: list[str] = []

    def second_writer() -> None:
        with unit_of_work(sessions) as session:
            session.execute(text("INSERT INTO notes VALUES ('second')"))
        done.append("second")

    with unit_of_work(sessions) as first:
        first.execute(text("INSERT INTO notes VALUES ('first')"))
        thread = threading.Thread(target=second_writer)
        thread.start()
        assert wait_until(lambda: _gate(engine).waiting == 1, timeout=5)
        assert done == []
    thread.join(5)
    assert done == ["second"]
    with engine.connect() as conn:
        bodies = conn.execute(text("SELECT body FROM notes ORDER BY rowid")).scalars().all()
    assert bodies == ["first", "second"]


def test_a_writer_gives_up_after_the_lock_timeout_with_a_busy_error(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)
    failures: list[BaseException] = []

    def blocked_writer() -> None:
        try:
            with unit_of_work(sessions) as session:
                session.execute(text("INSERT INTO notes VALUES ('late')"))
        except OperationalError as exc:
            failures.append(exc)

    with unit_of_work(sessions) as holder:
        holder.execute(text("INSERT INTO notes VALUES ('held')"))
        started = time.monotonic()
        thread = threading.Thread(target=blocked_writer)
        thread.start()
        thread.join(5)
        waited = time.monotonic() - started
    assert len(failures) == 1
    assert is_database_busy(failures[0])
    assert 0.4 <= waited < 3.0  # the lock timeout (0.5 s), not a minute
    assert _gate(engine).waiting == 0
