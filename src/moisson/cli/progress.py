"""The live progress bar of a foreground run (`moisson harvest run`), on stderr.

The engine calls `update` after every item it commits, in the same thread; rich redraws the
bar from its own refresh thread, so the engine never waits on the terminal.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from moisson.services.runs import JobProgress


def describe(progress: JobProgress, elapsed: float) -> str:
    rate = progress.seen / elapsed if elapsed > 0 else 0.0
    return (
        f"seen {progress.seen} · done {progress.done} · failed {progress.failed} · "
        f"skipped {progress.skipped} · unchanged {progress.unchanged} · {rate:.1f} records/s"
    )


class HarvestProgress:
    def __init__(self, console: Console, label: str) -> None:
        self.label = label
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=console,
            refresh_per_second=8,
        )
        self.task: TaskID | None = None
        self.started = time.monotonic()
        self.last: JobProgress | None = None

    def __enter__(self) -> HarvestProgress:
        self.started = time.monotonic()
        self.progress.start()
        self.task = self.progress.add_task(
            self.label, total=None, counts="waiting for the first record..."
        )
        return self

    def update(self, progress: JobProgress) -> None:
        self.last = progress
        if self.task is not None:
            counts = describe(progress, time.monotonic() - self.started)
            self.progress.update(self.task, completed=progress.seen, counts=counts)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.task is not None and self.last is not None:
            # A known total turns the pulsing bar into a full one.
            self.progress.update(self.task, total=max(1, self.last.seen))
        self.progress.stop()
