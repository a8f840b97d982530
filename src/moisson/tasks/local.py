"""The in-process worker: a small thread pool running jobs, with heartbeats and a watchdog.

Each thread runs one job at a time, in the serving process (`thread` mode) or in a child
process it starts and waits for (`process` mode, `tasks.job_process`): see the setting
`MOISSON_HARVEST__WORKER_MODE`. A child that dies before its job ended (killed, out of
memory) has its job resumed at once where its last commit stopped (`harvest.resumption`: at
most `max_resumes` times, then failed), saying so with the exit code; stopping the worker
ends its children, and their jobs resume at the next start.

`submit()` is called after the transaction creating the job has committed
(`moisson.services.runs.JobRunner`). A background thread refreshes the heartbeat of every job
the worker holds, queued or running, every `heartbeat_interval`, so a job waiting for a free
thread is not mistaken for a dead one; it also runs the watchdog, which resumes (or fails)
the jobs of workers that died (this process's previous life included). `start()` re-submits
the jobs left `pending` in the database, since an in-process queue does not survive a restart.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.harvest.engine import run_job
from moisson.harvest.resumption import abandon
from moisson.harvest.watchdog import recover_stale_jobs
from moisson.services.notifications import notify_job_finished
from moisson.services.quality import check_job_urls_quietly
from moisson.storage.base import utcnow
from moisson.storage.repositories import jobs as jobs_repo
from moisson.storage.session import patient, unit_of_work
from moisson.tasks.job_process import run_job_in_child_process

logger = logging.getLogger(__name__)


class LocalWorker:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        **run_options: Any,
    ) -> None:
        """`run_options` are passed to `run_job` (`backend_registry`, `http`: tests); a worker
        given any runs its jobs in threads, since they cannot cross to a child process."""
        # A background writer: it may wait longer for a lock than a request would.
        self.session_factory = patient(session_factory, settings)
        self.settings = settings
        self.run_options = run_options
        self._executor: ThreadPoolExecutor | None = None
        self._url_checks: ThreadPoolExecutor | None = None
        """One thread checking the URLs of ended jobs, so a harvest thread never waits on them."""
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ticker: threading.Thread | None = None
        self.in_child_processes = uses_child_processes(settings) and not run_options
        self._children: set[BaseProcess] = set()

    def start(self, *, resume_pending: bool = True) -> None:
        if self._executor is not None:
            return
        self._stopping.clear()
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, self.settings.harvest.worker_threads),
            thread_name_prefix="moisson-job",
        )
        self._url_checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="moisson-urls")
        self._ticker = threading.Thread(
            target=self._tick_forever, name="moisson-heartbeat", daemon=True
        )
        self._ticker.start()
        if resume_pending:
            with unit_of_work(self.session_factory) as session:
                pending = jobs_repo.pending_ids(session)
            for job_id in pending:
                self.submit(job_id)

    def submit(self, job_id: str) -> Future[None]:
        if self._executor is None:
            raise RuntimeError("LocalWorker.submit() before start()")
        with self._lock:
            self._held.add(job_id)
        return self._executor.submit(self._run, job_id)

    def stop(self, *, wait: bool = True) -> None:
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self._executor is not None:
            # A job in a child process ends now (back to `pending`, to resume at the next
            # start, saying why) rather than keep `moisson serve` from stopping for as long as
            # its harvest lasts; queued jobs stay `pending` and are taken again too.
            ends_now = not wait or self.in_child_processes
            if ends_now:
                for child in self.child_processes:
                    child.terminate()
            # Threads waiting for terminated children end at once: wait for them, so each
            # records why its job failed.
            self._executor.shutdown(wait=wait or self.in_child_processes, cancel_futures=ends_now)
            self._executor = None
        if self._url_checks is not None:
            # Checks under way stop at their next URL (`_stopping`) and store what they found.
            self._url_checks.shutdown(wait=wait, cancel_futures=True)
            self._url_checks = None

    @property
    def held(self) -> set[str]:
        with self._lock:
            return set(self._held)

    @property
    def child_processes(self) -> list[BaseProcess]:
        """The child processes running jobs now (`process` mode)."""
        with self._lock:
            return list(self._children)

    def _run(self, job_id: str) -> None:
        try:
            if self.in_child_processes:
                self._run_in_child(job_id)
            else:
                run_job(self.session_factory, self.settings, job_id, **self.run_options)
        except Exception:
            logger.exception("Harvest job %s crashed the worker thread", job_id)
        try:
            notify_job_finished(self.session_factory, self.settings, [job_id])
            self._check_urls_later(job_id)
        finally:
            with self._lock:
                self._held.discard(job_id)

    def _check_urls_later(self, job_id: str) -> None:
        checks = self._url_checks
        if checks is None or self._stopping.is_set():
            return
        with contextlib.suppress(RuntimeError):  # shut down meanwhile (`stop`)
            checks.submit(
                check_job_urls_quietly,
                self.session_factory,
                self.settings,
                job_id,
                stopping=self._stopping,
            )

    def _run_in_child(self, job_id: str) -> None:
        child: list[BaseProcess] = []

        def started(process: BaseProcess) -> None:
            child.append(process)
            with self._lock:
                self._children.add(process)
            if self._stopping.is_set():  # started as `stop()` was ending the others
                process.terminate()

        if self._stopping.is_set():
            return  # still `pending`: taken again at the next start
        try:
            exit_code = run_job_in_child_process(self.settings, job_id, started)
        finally:
            with self._lock:
                self._children.difference_update(child)
        if exit_code == 0:
            return
        if self._stopping.is_set():
            reason = f"The worker was stopped while this job ran (exit code {exit_code})"
        else:
            reason = f"The process running this job exited with code {exit_code}"
        logger.error("Harvest job %s: %s", job_id, reason.lower())
        with unit_of_work(self.session_factory) as session:
            resumed = abandon(session, job_id, reason, self.settings)
        if resumed and not self._stopping.is_set():
            self.submit(job_id)

    def _tick_forever(self) -> None:
        interval = max(0.01, self.settings.harvest.heartbeat_interval)
        while not self._stopping.wait(interval):
            self.tick()

    def tick(self) -> None:
        """One heartbeat of the held jobs, then one watchdog pass."""
        try:
            with unit_of_work(self.session_factory) as session:
                jobs_repo.refresh_heartbeats(session, self.held, utcnow())
            with unit_of_work(self.session_factory) as session:
                recovery = recover_stale_jobs(session, self.settings)
            for job_id in recovery.failed:
                logger.warning("Harvest job %s had no heartbeat: marked failed", job_id)
            for job_id in recovery.resumed:
                logger.warning("Harvest job %s had no heartbeat: resuming it", job_id)
                self.submit(job_id)
            notify_job_finished(self.session_factory, self.settings, recovery.failed)
        except Exception:
            logger.exception("Heartbeat/watchdog pass failed; retrying at the next tick")


def uses_child_processes(settings: Settings) -> bool:
    """Whether the in-process worker runs each job in a child process (the worker mode)."""
    mode = settings.harvest.worker_mode
    if mode == "auto":
        # SQLite: the write gate that keeps the API's writes short orders the transactions
        # of one process only, so the harvest stays in the serving process there.
        return not settings.is_sqlite
    return mode == "process"
