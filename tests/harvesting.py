"""Gather, then map each record, as the engine does, without the engine: the one harness the
backend suites share.

`gather_and_map` keeps one `Outcome` per gathered record: its draft, or why it has none (the
record's own failure, or the `ItemError` its mapping raised), with the lines its mapping
logged when asked. `Run` sorts the outcomes into datasets, dataservices and errors by
remote id. A failed or unchanged record is not mapped, as in a harvest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from moisson.domain.drafts import DataserviceDraft, DatasetDraft
from moisson.domain.exceptions import ItemError
from moisson.domain.records import RemoteRecord
from moisson.harvest.context import RunContext


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured(logger: logging.Logger) -> Iterator[list[logging.LogRecord]]:
    """The records `logger` receives inside the block."""
    handler = _ListHandler()
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


@dataclass
class Outcome:
    record: RemoteRecord
    draft: DatasetDraft | DataserviceDraft | None = None
    error: str | None = None
    """The record's failure, or the message of the `ItemError` its mapping raised."""
    exception: ItemError | None = None
    logs: list[logging.LogRecord] = field(default_factory=list)

    def log_text(self, level: int = logging.WARNING) -> str:
        return "\n".join(r.getMessage() for r in self.logs if r.levelno >= level)


def gather_and_map(
    backend: Any, ctx: RunContext, *, strict: bool = False, logs: bool = False
) -> list[Outcome]:
    """One outcome per record `backend` gathers. With `strict`, an `ItemError` raised while
    mapping fails the test instead of being kept; with `logs`, each outcome holds the lines
    logged on `ctx.log` while its record was mapped."""
    outcomes = []
    for record in backend.gather(ctx):
        outcome = Outcome(record, error=record.failure)
        outcomes.append(outcome)
        if record.failure or record.unchanged:
            continue
        with captured(ctx.log) if logs else _nothing() as lines:
            try:
                outcome.draft = backend.map(record, ctx)
            except ItemError as exc:
                if strict:
                    raise
                outcome.error, outcome.exception = str(exc), exc
        outcome.logs = lines
    return outcomes


@contextmanager
def _nothing() -> Iterator[list[logging.LogRecord]]:
    yield []


@dataclass
class Run:
    records: list[RemoteRecord] = field(default_factory=list)
    datasets: dict[str, DatasetDraft] = field(default_factory=dict)
    dataservices: dict[str, DataserviceDraft] = field(default_factory=dict)
    errors: dict[str | None, ItemError] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def add(self, outcomes: list[Outcome]) -> Run:
        for outcome in outcomes:
            self.records.append(outcome.record)
            key = outcome.record.remote_id or ""
            if outcome.exception is not None:
                self.errors[outcome.record.remote_id] = outcome.exception
            elif isinstance(outcome.draft, DatasetDraft):
                self.datasets[key] = outcome.draft
            elif isinstance(outcome.draft, DataserviceDraft):
                self.dataservices[key] = outcome.draft
        return self
