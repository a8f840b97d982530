"""Logging of every Moisson process, and the harvest ids bound to each line.

`configure_logging(settings)` is called once by `moisson serve`, `moisson worker` and
`moisson scheduler`: one handler on the root logger writing to stderr, as JSON lines when
`MOISSON_LOG_FORMAT=json` (for log shippers) and as readable text otherwise.

`log_context(source_id=..., job_id=..., remote_id=...)` binds ids through contextvars: every
line logged inside the block, by any logger of the same thread or task, carries them (as the
JSON keys `source_id`, `job_id`, `remote_id`, or a `[source=… job=… item=…]` text prefix).
The engine binds the source and the job around a run, and the remote id around each item.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import IO

from moisson.config import Settings

CONTEXT_KEYS = ("source_id", "job_id", "remote_id")
_TEXT_LABELS = {"source_id": "source", "job_id": "job", "remote_id": "item"}

_NOTHING_BOUND: Mapping[str, str] = MappingProxyType({})
_context: ContextVar[Mapping[str, str]] = ContextVar("moisson_log_context", default=_NOTHING_BOUND)


@contextmanager
def log_context(**ids: str | None) -> Iterator[None]:
    """Bind ids (`None` values are ignored) to every line logged inside the block."""
    bound = {key: value for key, value in ids.items() if value is not None}
    token = _context.set({**_context.get(), **bound})
    try:
        yield
    finally:
        _context.reset(token)


def current_log_context() -> Mapping[str, str]:
    return _context.get()


class ContextFilter(logging.Filter):
    """Copies the bound ids onto each record (`None` when unbound), so formatters see them."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = _context.get()
        for key in CONTEXT_KEYS:
            if not hasattr(record, key):
                setattr(record, key, bound.get(key))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the bound ids, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key in CONTEXT_KEYS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s%(ids)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [
            f"{_TEXT_LABELS[key]}={value}"
            for key in CONTEXT_KEYS
            if (value := getattr(record, key, None)) is not None
        ]
        record.ids = f" [{' '.join(ids)}]" if ids else ""
        return super().format(record)


def make_handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """A stream handler (stderr by default) in the given format, with the ids filter."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    return handler


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Replace the root logger's handlers with one Moisson handler; returns it."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = make_handler(settings.log_format, stream)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    return handler
