"""Adding a row whose slug is chosen by "look, then insert", safely under concurrency.

Two API processes creating a source (or an organization, a user) of the same name at the same
moment both find the same slug free. The unique constraint on the slug makes the second
insert fail; rather than answering 500, that insert is redone with a slug chosen again, which
now sees the other process's row (PostgreSQL reports the violation only once that row is
committed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moisson.storage import db_errors
from moisson.storage.base import Base

T = TypeVar("T", bound=Base)

#: Slug choices before giving up (each lost one means another process just took it).
ATTEMPTS = 10


def add_with_free_slug(session: Session, build: Callable[[str], T], choose: Callable[[], str]) -> T:
    """Add and flush `build(choose())`, in a savepoint; when another transaction took that
    slug meanwhile, choose again. Any other integrity error is raised as is."""
    attempt = 1
    while True:
        obj = build(choose())
        try:
            with session.begin_nested():
                session.add(obj)
                session.flush()
        except IntegrityError as exc:
            table = str(obj.__tablename__)
            if attempt >= ATTEMPTS or not db_errors.violates_unique(exc, table, "slug"):
                raise
            attempt += 1
            continue
        return obj
