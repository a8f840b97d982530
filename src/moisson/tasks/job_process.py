"""Running one harvest job in a child process of `moisson serve`.

Parsing and mapping a catalog is CPU work in Python: run in a thread of the serving process,
it takes the interpreter lock the API's threads need, and every request waits behind the
harvest's pages (measured: read p99 130 ms while a 20,000-dataset source harvests). In a
child process the API keeps its own interpreter and the second core does the harvest.

The child is started with `spawn` (a fresh interpreter: no inherited connections, locks or
threads of the server), builds its own database engine from the settings, runs `run_job` and
exits. The worker ends it when `moisson serve` stops (`LocalWorker.stop`); a job it leaves
unfinished is failed by the worker at once, or by the watchdog if the parent died too. The
requests a job sent to remote catalogs are counted in the child; it hands their counts to the
parent when it ends, so `GET /metrics` of `moisson serve` shows them once the job is over.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from moisson.config import Settings
from moisson.http.metrics import REMOTE_REQUESTS

logger = logging.getLogger(__name__)

#: (backend, status) -> requests, as the child hands them to the parent.
RequestCounts = dict[tuple[str, str], float]


def run_job_in_child_process(
    settings: Settings, job_id: str, started: Callable[[BaseProcess], None] = lambda _: None
) -> int | None:
    """Run the job in a new process and wait for it; returns its exit code (0: it ended).
    `started` is handed the process once it runs (the worker terminates it on shutdown)."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(
        target=_child_main,
        args=(settings, job_id, sending),
        name=f"moisson-job-{job_id}",
        daemon=True,
    )
    process.start()
    started(process)
    sending.close()  # the child holds the only writing end: EOF when it is gone
    counts = _receive_counts(receiving)
    process.join()
    receiving.close()
    for (backend, status), value in counts.items():
        REMOTE_REQUESTS.labels(backend, status).inc(value)
    return process.exitcode


def _receive_counts(receiving: Connection) -> RequestCounts:
    try:
        counts: RequestCounts = receiving.recv()
    except (EOFError, OSError):  # the child died before it could say
        return {}
    return counts


def _child_main(settings: Settings, job_id: str, sending: Connection) -> None:
    # Imported here: the parent never needs the engine and its backends for this module.
    from moisson.harvest.engine import run_job
    from moisson.logging import configure_logging
    from moisson.storage.session import make_engine, make_sessionmaker

    configure_logging(settings)
    engine = make_engine(settings)
    try:
        run_job(make_sessionmaker(engine), settings, job_id)
    finally:
        engine.dispose()
        sending.send(_request_counts())
        sending.close()


def _request_counts() -> RequestCounts:
    counts: RequestCounts = {}
    for metric in REMOTE_REQUESTS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                key = (sample.labels["backend"], sample.labels["status"])
                counts[key] = sample.value
    return counts
