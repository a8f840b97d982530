"""Harvest exceptions raised by backends and mapping, recorded by the engine.

    HarvestError                 root of everything a harvest raises on purpose
    ├── ItemError                concerns one record; the job goes on
    │   ├── SkipItem             the record is deliberately not harvested -> item `skipped`
    │   └── InvalidItem          the record cannot become a valid object -> item `failed`
    └── SourceError              concerns the whole source; the job ends `failed`
        ├── SourceUnavailable    transient: network, timeout, 429/5xx; worth retrying later
        └── SourceInvalid        terminal: unparseable catalog, wrong format, remote error

Messages are meant for the operator reading the job: say what is wrong and where.
Exceptions never do I/O.
"""

from __future__ import annotations


class HarvestError(Exception):
    def __init__(self, message: str, *, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class ItemError(HarvestError):
    pass


class SkipItem(ItemError):
    pass


class InvalidItem(ItemError):
    pass


class SourceError(HarvestError):
    pass


class SourceUnavailable(SourceError):
    pass


class SourceInvalid(SourceError):
    pass


class CursorRejected(HarvestError):
    """A resumed job's cursor no longer answers (the page it names is gone, the catalog
    changed under it): the engine reads the catalog again from its first page.

    A backend raises it before it yields the first record of a resumed run, never after."""
