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

from sqlalchemy import Table, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from moisson.storage.base import Base, new_id
from moisson.storage.models import ContactPoint, Dataservice, Dataset, contact_identity

ContactKey = tuple[str | None, str | None, str | None, str, str | None, str | None]
"""(name, email, contact_form, role, organization_id, owner_id): what identifies a contact
point (`moisson.storage.models.contact_identity`)."""

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


def insert_new_rows(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]], *, unique: str
) -> set[str]:
    """INSERT complete rows of `model`, except those whose `unique` column value is already
    taken (`ON CONFLICT (unique) DO NOTHING`); the ids of the rows inserted.

    The database decides, so this is right under concurrency: a row that another
    transaction inserted first (committed, or committing while this statement waits for it)
    is left out, never raised as an error. Rows go in `unique` order, so that two
    transactions inserting overlapping values in one statement each take their row locks in
    the same order and cannot deadlock on each other."""
    if not rows:
        return set()
    table: Table = model.__table__  # type: ignore[assignment]
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = (
        module.insert(table).on_conflict_do_nothing(index_elements=[unique]).returning(table.c.id)
    )
    ordered = sorted(rows, key=lambda row: row[unique])
    inserted: set[str] = set()
    for start in range(0, len(ordered), _CHUNK):
        inserted.update(session.execute(stmt, ordered[start : start + _CHUNK]).scalars())
    return inserted


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


def identity_of(key: ContactKey) -> str:
    """`contact_identity` of a contact key."""
    return contact_identity(*key)


def contact_point_row(key: ContactKey) -> dict[str, Any]:
    """The complete row of a new contact point with exactly `key`'s values."""
    name, email, contact_form, role, organization_id, owner_id = key
    return complete_row(
        ContactPoint,
        {
            "id": new_id(),
            "name": name,
            "email": email,
            "contact_form": contact_form,
            "role": role,
            "organization_id": organization_id,
            "owner_id": owner_id,
            "identity": identity_of(key),
        },
    )


def get_or_create_contact_points(
    session: Session, keys: Iterable[ContactKey]
) -> tuple[dict[ContactKey, str], set[ContactKey]]:
    """The id of the contact point of each of `keys`, created where none exists, and the keys
    whose contact point this call created.

    Get-or-create decided by the database (`INSERT ... ON CONFLICT (identity) DO NOTHING`,
    then one read by identity), so two jobs creating the same contact point at once end with
    one row, both using it."""
    wanted = list(dict.fromkeys(keys))
    found = contact_points_with(session, wanted)
    missing = [key for key in wanted if key not in found]
    if not missing:
        return found, set()
    rows = [contact_point_row(key) for key in missing]
    inserted = insert_new_rows(session, ContactPoint, rows, unique="identity")
    created: set[ContactKey] = set()
    for key, row in zip(missing, rows, strict=True):
        if row["id"] in inserted:
            found[key] = row["id"]
            created.add(key)
    lost = [key for key in missing if key not in created]
    if lost:  # another transaction created them first: use its rows
        found.update(contact_points_with(session, lost))
    return found, created


def contact_points_with(session: Session, keys: Iterable[ContactKey]) -> dict[ContactKey, str]:
    """The id of the existing contact point of each of `keys` (found by its identity, an
    indexed equality); missing keys are left out."""
    by_identity = {identity_of(key): key for key in keys}
    identities = list(by_identity)
    found: dict[ContactKey, str] = {}
    for start in range(0, len(identities), _CHUNK):
        rows = session.execute(
            select(ContactPoint.identity, ContactPoint.id).where(
                ContactPoint.identity.in_(identities[start : start + _CHUNK])
            )
        )
        for identity, point_id in rows:
            found[by_identity[identity]] = point_id
    return found
