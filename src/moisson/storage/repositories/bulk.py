"""Many rows in one statement: the harvest engine's batch writes and the reads they need.

`insert_rows` is a Core `INSERT ... VALUES` executed with a list of rows (one executemany),
bypassing the ORM unit of work: no identity map, no per-object events, no flush ordering.
The rows must be complete (`complete_row` fills the column defaults the ORM would have
applied), and nothing ORM-side sees them until it queries the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, insert, or_, select
from sqlalchemy.orm import Session

from moisson.storage.base import Base
from moisson.storage.models import ContactPoint, Dataservice, Dataset

ContactKey = tuple[str | None, str | None, str | None, str, str | None, str | None]
"""(name, email, contact_form, role, organization_id, owner_id): a contact point's identity."""

_CHUNK = 500


@cache
def _defaults(table: Table) -> tuple[tuple[str, Any, bool], ...]:
    """(column, default, is_callable) of every column of `table`."""
    found = []
    for column in table.columns:
        default = column.default
        if default is None:
            found.append((column.key, None, False))
        elif getattr(default, "is_callable", False):
            found.append((column.key, default.arg, True))  # type: ignore[attr-defined]
        else:
            found.append((column.key, getattr(default, "arg", None), False))
    return tuple(found)


def complete_row(model: type[Base], values: dict[str, Any]) -> dict[str, Any]:
    """A row of every column of `model`: the given value, or the column default where the
    value is missing or `None` (what a new ORM object gets for an attribute left unset)."""
    row: dict[str, Any] = {}
    for key, default, is_callable in _defaults(model.__table__):
        value = values.get(key)
        if value is None and default is not None:
            value = default(None) if is_callable else default
        row[key] = value
    return row


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT complete rows (`complete_row`) of `model` in one executemany."""
    if rows:
        session.execute(insert(model.__table__), list(rows))  # type: ignore[arg-type]


def slugs_taken(
    session: Session, model: type[Dataset] | type[Dataservice], slugs: Iterable[str]
) -> set[str]:
    """Those of `slugs` already used by an object of `model` (indexed equality)."""
    wanted = list(dict.fromkeys(slugs))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        found.update(
            session.scalars(
                select(model.slug).where(model.slug.in_(wanted[start : start + _CHUNK]))
            )
        )
    return found


def contact_points_with(session: Session, keys: Iterable[ContactKey]) -> dict[ContactKey, str]:
    """The id of an existing contact point with exactly each of `keys`' values (the first
    one the name index yields when several are equal); missing keys are left out."""
    wanted = set(keys)
    names = list(dict.fromkeys(key[0] for key in wanted if key[0] is not None))
    with_null_name = any(key[0] is None for key in wanted)
    columns = (
        ContactPoint.id,
        ContactPoint.name,
        ContactPoint.email,
        ContactPoint.contact_form,
        ContactPoint.role,
        ContactPoint.organization_id,
        ContactPoint.owner_id,
    )
    conditions = [
        ContactPoint.name.in_(names[start : start + _CHUNK])
        for start in range(0, len(names), _CHUNK)
    ]
    if with_null_name:
        conditions.append(ContactPoint.name.is_(None))
    found: dict[ContactKey, str] = {}
    for condition in conditions:
        for point_id, *values in session.execute(select(*columns).where(or_(condition))):
            key: ContactKey = tuple(values)  # type: ignore[assignment]
            if key in wanted and key not in found:
                found[key] = point_id
    return found
