"""Celery: jobs run on distributed workers when `MOISSON_BROKER_URL` is set.

Tasks are thin and take ids. `acks_late` with `task_reject_on_worker_lost` means the task of
a job whose worker died is delivered again; `run_job` takes a job that is `pending`, or one
whose holder is surely gone (its process no longer exists on this host, or its heartbeat is
stale), which it resumes where the last commit stopped (`moisson.harvest.resumption`); a job
whose holder may be alive is left to it, so a redelivery never runs a job twice at once. The
watchdog (run by `moisson scheduler`) resumes, or fails, jobs whose task never comes back.

Fair sharing: one job is one task and a source has at most one active job (enforced in the
database), so a huge source occupies one worker slot and never more; with
`worker_prefetch_multiplier = 1` a busy worker does not hoard queued jobs.

Notifications: like the in-process worker, the task queues the events of its job once the
job's last commit is done, in a short transaction of its own (`notify_job_finished` never
raises, and skips a job that is not finished, e.g. a redelivered one it left alone).
Sending stays with `moisson notifications send` (cron), outside the workers. Then the URL
checks of the job (MQA URL metrics, `services.quality.check_job_urls`) are queued as a task
of their own, so the harvest slot is free while they wait on remote servers.
"""

from __future__ import annotations

import logging
from functools import cache

from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.storage.session import make_engine, make_sessionmaker

log = logging.getLogger(__name__)


def harvest_queue(settings: Settings) -> str:
    return f"{settings.celery_queue}.harvest"


def make_celery(settings: Settings) -> Celery:
    app = Celery("moisson", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        task_default_queue=harvest_queue(settings),
        broker_connection_retry_on_startup=True,
        broker_transport_options=redis_redelivery(settings.harvest.job_stale_after),
        worker_hijack_root_logger=False,
    )
    register_tasks(app, settings)
    return app


def redis_redelivery(job_stale_after: float) -> dict[str, float]:
    """When Redis hands the task of a dead worker out again: after `2 x job_stale_after`
    unacknowledged (by then the job's heartbeat is surely stale, so the worker that gets it
    resumes the job, `harvest.resumption`), looked for every few seconds rather than kombu's
    default of every ~100 s (a sweep every 10 s, throttled to one in 10)."""
    return {
        "visibility_timeout": job_stale_after * 2,
        "unacked_restore_interval": max(1, min(10, round(job_stale_after / 2))),
        "unacked_restore_throttle": 1,
    }


def register_tasks(app: Celery, settings: Settings) -> None:
    @cache
    def sessions() -> sessionmaker[Session]:
        # Built lazily, in each worker process after the fork, once.
        return make_sessionmaker(make_engine(settings))

    @app.task(name="moisson.check_urls")  # type: ignore[untyped-decorator]  # Celery is untyped
    def check_urls(job_id: str) -> None:
        from moisson.services.quality import check_job_urls_quietly

        check_job_urls_quietly(sessions(), settings, job_id)

    @app.task(name="moisson.run_harvest")  # type: ignore[untyped-decorator]  # Celery is untyped
    def run_harvest(job_id: str) -> None:
        from moisson.harvest.engine import run_job  # the engine loads every backend
        from moisson.services.notifications import notify_job_finished

        try:
            run_job(sessions(), settings, job_id)
        finally:
            # After the job's last commit, in a transaction of its own; a job the engine did
            # not end (it raised mid-run) is skipped here and notified by the watchdog.
            notify_job_finished(sessions(), settings, [job_id])
        if settings.quality.enabled and settings.quality.url_checks:
            check_urls.delay(job_id)  # a task of its own: the harvest's slot is free again


class CeleryRunner:
    """`JobRunner` that queues jobs on the broker for `moisson worker` processes."""

    def __init__(self, app: Celery, settings: Settings) -> None:
        self.app = app
        self.queue = harvest_queue(settings)

    def submit(self, job_id: str) -> None:
        self.app.send_task("moisson.run_harvest", args=[job_id], queue=self.queue)
