"""The backend contract: declare capabilities, stream remote records, map one record.

A backend does transport and dialect only. It never touches the database, statuses or
timestamps, and never catches broad exceptions: it raises `SkipItem` / `InvalidItem` for a
record and `SourceUnavailable` / `SourceInvalid` for the whole source
(`moisson.domain.exceptions`), and the engine records them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx

from moisson.domain.capabilities import BackendInfo
from moisson.domain.drafts import DataserviceDraft, DatasetDraft
from moisson.domain.json import Json
from moisson.domain.pages import PageCache
from moisson.domain.records import RemoteRecord
from moisson.domain.source_config import SourceConfig


@dataclass(frozen=True, slots=True)
class SourceView:
    """What a backend may know of the source it harvests."""

    id: str | None
    """`None` when previewing a configuration that was never saved."""
    name: str
    url: str
    domain: str
    backend: str


class HarvestContext(Protocol):
    """Everything a backend receives from the engine for one run."""

    source: SourceView
    config: SourceConfig
    http: httpx.Client
    """Already SSRF-guarded, with timeouts, retries, size cap and User-Agent set."""
    log: logging.Logger
    """Lines logged here while a record is mapped end up in that item's `logs`."""
    pages: PageCache
    preview: bool
    licenses: Any
    """The licence table (`moisson.mapping.licenses.LicenseTable`) used for guessing."""
    language: str
    """Preferred language of multilingual texts (`moisson.mapping.language`)."""
    resume: Json | None
    """The cursor of a job resumed after its worker died (`moisson.backends.paging`):
    `gather` starts there. Every record it yields says on `RemoteRecord.resume` where it
    would start again to yield that record, so the engine can write it down."""

    def now(self) -> datetime:
        """The current instant of the run, aware UTC (`moisson.domain.clock`): backends ask
        it, never the system clock, so a run has one notion of time a test can set."""
        ...


@runtime_checkable
class Backend(Protocol):
    info: ClassVar[BackendInfo]

    def gather(self, ctx: HarvestContext) -> Iterator[RemoteRecord]:
        """Yield the remote records page by page, never holding the whole catalog."""
        ...

    def map(self, record: RemoteRecord, ctx: HarvestContext) -> DatasetDraft | DataserviceDraft:
        """Turn one record into a draft. Pure apart from logging through `ctx.log`."""
        ...
