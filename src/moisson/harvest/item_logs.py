"""Per-item log capture (udata's LogCatcher idea): every line a backend logs on `ctx.log`,
or the engine logs on its item logger, while an item is processed becomes a `HarvestLogRow`.

Each run gets *private* loggers (not registered with `logging.getLogger`): they accept every
level, DEBUG included, so nothing is lost to a global level setting, and two jobs running in
two threads never capture each other's lines. Each line is then forwarded to the ordinary
logger of the same name, which applies the application's logging configuration as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class _Forward(logging.Handler):
    def __init__(self, target: logging.Logger) -> None:
        super().__init__(logging.DEBUG)
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        if self.target.isEnabledFor(record.levelno):
            self.target.handle(record)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.lines is None:
            return
        try:
            message = record.getMessage()
        except Exception:  # a malformed format string must not break the item
            message = str(record.msg)
        self.lines.append((record.levelname, message))


class ItemLogs:
    """The private loggers of one run and the capture of their lines, item by item."""

    def __init__(self, *names: str) -> None:
        self._capture = _Capture()
        self.loggers: dict[str, logging.Logger] = {}
        for name in names:
            logger = logging.Logger(name, logging.DEBUG)
            logger.propagate = False
            logger.addHandler(self._capture)
            logger.addHandler(_Forward(logging.getLogger(name)))
            self.loggers[name] = logger

    def __getitem__(self, name: str) -> logging.Logger:
        return self.loggers[name]

    @contextmanager
    def capture(self) -> Iterator[list[tuple[str, str]]]:
        """Collect `(level name, message)` of every line logged inside the block. Captures
        nest: an inner block takes the lines logged inside it, then the outer one resumes."""
        lines: list[tuple[str, str]] = []
        outer = self._capture.lines
        self._capture.lines = lines
        try:
            yield lines
        finally:
            self._capture.lines = outer
