"""The concrete `HarvestContext` the engine hands to a backend for one run."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from moisson.backends.base import SourceView
from moisson.domain.capabilities import BackendInfo
from moisson.domain.clock import Clock, system_clock
from moisson.domain.json import Json
from moisson.domain.pages import NoPageCache, PageCache
from moisson.domain.source_config import SourceConfig
from moisson.mapping.language import DEFAULT_LANGUAGE
from moisson.mapping.licenses import LicenseTable


@dataclass
class RunContext:
    source: SourceView
    config: SourceConfig
    http: httpx.Client
    log: logging.Logger
    licenses: LicenseTable
    pages: PageCache = field(default_factory=NoPageCache)
    preview: bool = False
    language: str = DEFAULT_LANGUAGE
    resume: Json | None = None
    clock: Clock = system_clock

    def now(self) -> datetime:
        """The current instant of this run (aware UTC), from its clock."""
        return self.clock()


def source_domain(url: str) -> str:
    """The host of a source URL without its port, used for matching
    (docs/udata-behaviour.md §6.5)."""
    return (urlsplit(url).hostname or "").lower()


def make_context(
    info: BackendInfo,
    url: str,
    http: httpx.Client,
    *,
    config: dict[str, object] | None = None,
    source_id: str | None = None,
    name: str = "source",
    licenses: LicenseTable | None = None,
    pages: PageCache | None = None,
    preview: bool = False,
    log: logging.Logger | None = None,
    language: str = DEFAULT_LANGUAGE,
    clock: Clock = system_clock,
) -> RunContext:
    """Build a context from plain values (used by the engine, the CLI and tests)."""
    return RunContext(
        source=SourceView(
            id=source_id, name=name, url=url, domain=source_domain(url), backend=info.id
        ),
        config=SourceConfig(config or {}, info),
        http=http,
        log=log or logging.getLogger(f"moisson.harvest.{info.id}"),
        licenses=licenses or LicenseTable.load(),
        pages=pages or NoPageCache(),
        preview=preview,
        language=language,
        clock=clock,
    )
