"""Which job runner a process uses, and the background threads `moisson serve` owns.

Without `MOISSON_BROKER_URL`, jobs run in the serving process (`LocalWorker`) and the same
process runs the scheduler: nothing else to start. With a broker, jobs go to Celery workers
(`moisson worker`) and the scheduler is its own process (`moisson scheduler`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.services.runs import JobRunner
from moisson.tasks.local import LocalWorker
from moisson.tasks.notifier import NotificationDrainer
from moisson.tasks.scheduler import Scheduler

SCHEDULER_TICK_SECONDS = 30.0


@dataclass
class Background:
    runner: JobRunner
    worker: LocalWorker | None = None
    scheduler: Scheduler | None = None
    notifier: NotificationDrainer | None = None

    def start(self) -> None:
        if self.worker is not None:
            self.worker.start()
        if self.scheduler is not None:
            self.scheduler.start(SCHEDULER_TICK_SECONDS)
        if self.notifier is not None:
            self.notifier.start()

    def stop(self, *, wait: bool = True) -> None:
        """Stop the threads; `wait`: let the worker's running jobs finish (see `LocalWorker`)."""
        if self.notifier is not None:
            self.notifier.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.worker is not None:
            self.worker.stop(wait=wait)


def make_runner(settings: Settings) -> JobRunner:
    """The Celery runner (a broker is configured): jobs go to `moisson worker` processes."""
    from moisson.tasks.celery_app import CeleryRunner, make_celery

    return CeleryRunner(make_celery(settings), settings)


def serving_background(settings: Settings, session_factory: sessionmaker[Session]) -> Background:
    """What `moisson serve` runs beside the API: with the in-process worker, the worker and
    the scheduler; with Celery, only the runner that queues jobs."""
    if settings.broker_url:
        return Background(make_runner(settings))
    worker = LocalWorker(session_factory, settings)
    scheduler = Scheduler(session_factory, worker, settings)
    return Background(worker, worker, scheduler, NotificationDrainer(session_factory, settings))
