"""Celery: jobs run on distributed workers when `MOISSON_BROKER_URL` is set.

Tasks are thin and take ids. `acks_late` with `task_reject_on_worker_lost` means a job whose
worker died is delivered again; the engine then resumes it (items already finished are not
redone) or, if it went silent for too long, the watchdog has already failed it.

Fair sharing: one job is one task and a source has at most one active job (enforced in the
database), so a huge source occupies one worker slot and never more; `worker_prefetch_multiplier
= 1` stops a worker from hoarding queued jobs while it is busy with a long one.
"""

from __future__ import annotations

import logging
from functools import cache

from celery import Celery, Task
from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings, get_settings
from moisson.services.retention import purge_deleted_sources, purge_jobs
from moisson.storage.base import utcnow
from moisson.storage.session import make_engine, make_sessionmaker, unit_of_work

log = logging.getLogger(__name__)

HARVEST_QUEUE = "moisson.harvest"
MAINTENANCE_QUEUE = "moisson.maintenance"


def make_celery(settings: Settings) -> Celery:
    app = Celery("moisson", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        task_default_queue=HARVEST_QUEUE,
        task_routes={"moisson.purge_*": {"queue": MAINTENANCE_QUEUE}},
        broker_connection_retry_on_startup=True,
        # Redis redelivers an unacknowledged task after this many seconds: longer than
        # any job's heartbeat gap, shorter than anyone would wait for a dead job.
        broker_transport_options={"visibility_timeout": settings.harvest.job_stale_after * 2},
        worker_hijack_root_logger=False,
    )
    register_tasks(app)
    return app


@cache
def worker_session_factory() -> sessionmaker[Session]:
    """Built lazily in each worker process (after the fork), once."""
    return make_sessionmaker(make_engine(get_settings()))


def register_tasks(app: Celery) -> None:
    @app.task(name="moisson.run_harvest", bind=True)
    def run_harvest(task: Task, job_id: str) -> None:
        from moisson.harvest.engine import run_job  # the engine imports backends: load lazily

        settings = get_settings()
        run_job(worker_session_factory(), settings, job_id)

    @app.task(name="moisson.purge_jobs")
    def purge_old_jobs() -> int:
        settings = get_settings()
        with unit_of_work(worker_session_factory()) as session:
            return purge_jobs(
                session, now=utcnow(), retention_days=settings.harvest.jobs_retention_days
            )

    @app.task(name="moisson.purge_deleted_sources")
    def purge_sources() -> int:
        with unit_of_work(worker_session_factory()) as session:
            return purge_deleted_sources(session, now=utcnow())


class CeleryRunner:
    """`JobRunner` that queues jobs on the broker for `moisson worker` processes."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def submit(self, job_id: str) -> None:
        self.app.send_task("moisson.run_harvest", args=[job_id], queue=HARVEST_QUEUE)


#: The module-level app used by `celery -A moisson.tasks.celery_app worker` and `moisson worker`.
app = make_celery(get_settings())
