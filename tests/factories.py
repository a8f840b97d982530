"""Builders of stored objects for tests (factory-boy): the one place that knows what a
harvest source needs to be valid, so a test names only what it is about.

`SourceFactory.build(...)` makes an unsaved source; `stored(session, obj)` adds it and
flushes (or commits), the two ways the suites need one.
"""

from __future__ import annotations

from typing import TypeVar

import factory
from sqlalchemy.orm import Session

from moisson.mapping.text import slugify
from moisson.storage.base import new_id
from moisson.storage.models import HarvestSource

T = TypeVar("T")


class SourceFactory(factory.Factory):
    class Meta:
        model = HarvestSource

    name = factory.Sequence(lambda n: f"Source {n}")
    slug = factory.LazyAttribute(lambda source: slugify(source.name))
    url = "https://data.example.test/catalog.rdf"
    backend = "dcat"


def unique_slug(name: str) -> str:
    """A slug no other test object has (suites that make many sources of one name)."""
    return f"{slugify(name)}-{new_id()}"


def stored(session: Session, obj: T, *, commit: bool = False) -> T:
    session.add(obj)
    if commit:
        session.commit()
    else:
        session.flush()
    return obj
