"""The thread that drains the notification queue (`services.notification_delivery`).

`moisson serve` runs one with the in-process worker; `moisson notifications send` makes one
pass on demand (a Celery deployment runs it from cron). Several may run at
once (claims are leases). It never runs inside a harvest's transactions: a slow SMTP server
or webhook receiver delays notifications, never a job's writes.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.services.notification_delivery import BATCH, drain

logger = logging.getLogger(__name__)


class NotificationDrainer:
    def __init__(self, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        try:
            return drain(self.session_factory, self.settings)
        except Exception:
            logger.exception("Notification pass failed; retrying at the next one")
            return 0

    def run_forever(self) -> None:
        interval = max(0.05, self.settings.notifications.poll_interval)
        while not self._stop.is_set():
            # A full batch means more may be due: go on at once.
            if self.run_once() < BATCH:
                self._stop.wait(interval)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run_forever, name="moisson-notifications", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
