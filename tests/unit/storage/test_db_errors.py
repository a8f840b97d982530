"""Database errors are reported with the database's own words, and races are told apart.

An error raised while SQLAlchemy autoflushes before a query starts with its hint "(raised as a
result of Query-invoked autoflush; ...)": an item error made of that line alone tells nobody
what to fix. The message must be the driver's: the constraint and the key.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moisson.harvest.engine import classify, describe
from moisson.storage import db_errors
from moisson.storage.base import new_id
from moisson.storage.models import Dataset, User


def autoflush_error(db: Session, *objects: object) -> IntegrityError:
    """The error of flushing `objects` when a query autoflushes them."""
    savepoint = db.begin_nested()
    db.add_all(objects)
    with pytest.raises(IntegrityError) as raised:
        db.scalars(select(User.id)).all()
    savepoint.rollback()
    return raised.value


def test_an_autoflush_error_is_described_by_the_database_message(db: Session) -> None:
    email = f"{new_id()}@example.test"
    exc = autoflush_error(
        db, User(email=email, slug=f"a-{new_id()}"), User(email=email, slug=f"b-{new_id()}")
    )
    assert "autoflush" in str(exc)  # what the item error used to show, alone

    message = describe(exc)
    assert "autoflush" not in message
    assert "[SQL:" not in message
    if db.get_bind().dialect.name == "postgresql":
        assert message == (
            'duplicate key value violates unique constraint "uq_users_email" '
            f"DETAIL: Key (email)=({email}) already exists."
        )
    else:
        assert message == "UNIQUE constraint failed: users.email"
    # A job error says the same, with the traceback in its details.
    level, job_message, details = classify(exc)
    assert (level, job_message) == ("ERROR", message)
    assert details is not None
    assert "Traceback" in details
    assert not db_errors.is_retryable(exc), "a duplicate e-mail is a real fault"


def test_a_slug_taken_by_a_concurrent_job_is_retryable(db: Session) -> None:
    slug = f"slug-{new_id()}"
    exc = autoflush_error(db, Dataset(slug=slug, title="One"), Dataset(slug=slug, title="Two"))
    assert db_errors.is_allocation_conflict(exc)
    assert db_errors.is_retryable(exc)
    assert "slug" in describe(exc)
