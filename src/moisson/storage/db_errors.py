"""What a database error means: the driver's own message, and whether a retry can succeed.

SQLAlchemy's text for an error raised during an autoflush starts with its hint
"(raised as a result of Query-invoked autoflush; ...)", and always ends with the SQL and a
link; neither tells an operator what went wrong. The driver's message does: PostgreSQL's
primary message, its DETAIL line (which names the key) and the constraint; SQLite's one line
("UNIQUE constraint failed: datasets.slug").

Two concurrent jobs may meet on a value each allocates (a slug, a contact point): the engine
lets the database decide (unique constraints, `INSERT ... ON CONFLICT DO NOTHING`) and retries
what lost. `is_retryable` tells those errors apart from real faults.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError

#: Unique constraints on values the harvest engine allocates: losing a race on one of them
#: means "choose again", never "this record is wrong".
ALLOCATED_UNIQUE = (
    ("datasets", "slug"),
    ("dataservices", "slug"),
    ("contact_points", "identity"),
)

#: PostgreSQL SQLSTATEs of a transaction that lost to a concurrent one and may be retried:
#: deadlock_detected, serialization_failure.
_RETRYABLE_STATES = frozenset({"40P01", "40001"})


def driver_message(exc: DBAPIError) -> str:
    """The database's own account of `exc`, on one line: its message, then its detail and
    constraint when the driver gives them (PostgreSQL)."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if not primary:
        lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
        return " ".join(lines) or type(orig).__name__
    parts = [primary.strip()]
    detail = getattr(diag, "message_detail", None)
    if detail:
        parts.append(f"DETAIL: {detail.strip()}")
    constraint = getattr(diag, "constraint_name", None)
    if constraint and constraint not in primary:
        parts.append(f"constraint: {constraint}")
    return " ".join(parts)


def violated_constraint(exc: DBAPIError) -> str | None:
    """The constraint a PostgreSQL error names, else SQLite's `table.column` list."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    text = str(exc.orig)
    marker = "UNIQUE constraint failed: "
    return text.split(marker, 1)[1].strip() if marker in text else None


def violates_unique(exc: BaseException, table: str, column: str) -> bool:
    """Whether `exc` is a violation of the unique constraint on `table.column` (named
    `uq_<table>_<column>` by the naming convention; SQLite names the column instead)."""
    if not isinstance(exc, IntegrityError):
        return False
    constraint = violated_constraint(exc)
    if constraint is None:
        return False
    return constraint == f"uq_{table}_{column}" or f"{table}.{column}" in constraint


def is_allocation_conflict(exc: BaseException) -> bool:
    """A unique violation on a value the engine allocates (another job took it first)."""
    return any(violates_unique(exc, table, column) for table, column in ALLOCATED_UNIQUE)


def is_retryable(exc: BaseException) -> bool:
    """Whether `exc` says the work lost a race with a concurrent transaction, so doing it
    again (in a fresh savepoint) can succeed: an allocation conflict, a deadlock, a
    serialization failure."""
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    if getattr(exc.orig, "sqlstate", None) in _RETRYABLE_STATES:
        return True
    return is_allocation_conflict(exc)
