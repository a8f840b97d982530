"""Real `moisson worker` / `moisson scheduler` processes for the distributed tests.

Each process runs this worktree's code (`PYTHONPATH=<repo>/src`) in a session of its own, so
a test can kill a worker together with its pool processes (`os.killpg`). Its output goes to a
log file, read to know when the worker is ready.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from kombu import Connection
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.dcat_catalog import wait_until
from tests.factories import SourceFactory, stored, unique_slug

from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.services.runs import create_pending_job
from moisson.storage.models import Dataset, HarvestJob, HarvestSource, Resource
from moisson.tasks.celery_app import CeleryRunner, harvest_queue, make_celery

SRC = Path(__file__).resolve().parents[3] / "src"
REDIS_URL = "redis://127.0.0.1:6379/0"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
WORKER_START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Deployment:
    """One isolated Moisson deployment: a database, a broker, a queue of its own."""

    database_url: str
    broker_url: str
    log_dir: Path
    queue: str = field(default_factory=lambda: f"moisson-test-{uuid.uuid4().hex[:10]}")
    env_extra: dict[str, str] = field(default_factory=dict)
    processes: list[MoissonProcess] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=self.database_url,
            broker_url=self.broker_url,
            celery_queue=self.queue,
        )

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOISSON_")}
        env.update(
            PYTHONPATH=str(SRC),
            MOISSON_DATABASE_URL=self.database_url,
            MOISSON_BROKER_URL=self.broker_url,
            MOISSON_CELERY_QUEUE=self.queue,
            MOISSON_OUTBOUND_ALLOW_NETWORKS="127.0.0.0/8",
            MOISSON_HTTP__MAX_RETRIES="0",
            **self.env_extra,
        )
        return env

    def start(self, name: str, *args: str) -> MoissonProcess:
        log = self.log_dir / f"{name}-{uuid.uuid4().hex[:6]}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(  # noqa: S603 (our own command)
                [sys.executable, "-m", "moisson", *args],
                env=self.env(),
                cwd=self.log_dir,  # no stray .env file is read
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = MoissonProcess(name, popen, log)
        self.processes.append(process)
        return process

    def start_worker(
        self, name: str, *, concurrency: int = 1, metrics_port: int = 0
    ) -> MoissonProcess:
        args = ["worker", f"--concurrency={concurrency}", f"--name={name}-{self.queue}@%h"]
        if metrics_port:
            args.append(f"--metrics-port={metrics_port}")
        return self.start(name, *args)

    def submit(self, session_factory: sessionmaker[Session], source_id: str) -> str:
        with session_factory() as session:
            source = session.get(HarvestSource, source_id)
            assert source is not None
            job_id = create_pending_job(session, source).id
            session.commit()
        CeleryRunner(make_celery(self.settings), self.settings).submit(job_id)
        return job_id

    def queued_messages(self) -> int:
        with Connection(self.broker_url) as conn:
            declared = conn.default_channel.queue_declare(
                harvest_queue(self.settings), passive=True
            )
            return int(declared.message_count)

    def close(self) -> None:
        for process in self.processes:
            process.kill()
        with Connection(self.broker_url) as conn:
            conn.default_channel.queue_delete(harvest_queue(self.settings))


@dataclass
class MoissonProcess:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = WORKER_START_TIMEOUT) -> None:
        """Until Celery logs `<node> ready.`; fails with the worker's output otherwise."""
        ready = wait_until(lambda: re.search(r" ready\.", self.output()) is not None, timeout)
        assert ready, f"{self.name} did not start:\n{self.output()}"

    def owns(self, pid: int) -> bool:
        """Whether `pid` is this process or one of its pool processes (same session)."""
        try:
            return os.getsid(pid) == self.pid
        except ProcessLookupError:
            return False

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (the worker and its pool), then reap."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, sig)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


def add_source(session_factory: sessionmaker[Session], name: str, url: str) -> str:
    with session_factory() as session:
        source = SourceFactory.build(
            name=name, slug=unique_slug(name), url=url, validation_state="accepted"
        )
        return stored(session, source, commit=True).id


def job(session_factory: sessionmaker[Session], job_id: str) -> HarvestJob:
    with session_factory() as session:
        found = session.get(HarvestJob, job_id)
        assert found is not None
        return found


def wait_final(
    session_factory: sessionmaker[Session], job_ids: list[str], timeout: float
) -> list[HarvestJob]:
    finals = {JobStatus.DONE, JobStatus.DONE_ERRORS, JobStatus.FAILED}
    wait_until(lambda: all(job(session_factory, j).status in finals for j in job_ids), timeout)
    return [job(session_factory, j) for j in job_ids]


def datasets_by_remote_id(session_factory: sessionmaker[Session], source_id: str) -> dict[str, int]:
    """How many datasets each remote id of the source has (exactly one is right)."""
    with session_factory() as session:
        rows = session.execute(
            select(Dataset.harvest_remote_id, func.count())
            .where(Dataset.harvest_source_id == source_id)
            .group_by(Dataset.harvest_remote_id)
        ).all()
    return dict(rows)  # type: ignore[arg-type]


def resources_per_dataset(session_factory: sessionmaker[Session], source_id: str) -> set[int]:
    """The distinct numbers of resources the source's datasets have."""
    with session_factory() as session:
        counts = session.scalars(
            select(func.count(Resource.id))
            .select_from(Dataset)
            .outerjoin(Resource, Resource.dataset_id == Dataset.id)
            .where(Dataset.harvest_source_id == source_id)
            .group_by(Dataset.id)
        ).all()
    return set(counts)
