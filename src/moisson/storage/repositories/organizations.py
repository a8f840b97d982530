"""Organizations and their members."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from moisson.storage.models import Member, Organization


def by_id(session: Session, org_id: str) -> Organization | None:
    return session.get(Organization, org_id)


def by_slug(session: Session, slug: str) -> Organization | None:
    return session.scalars(select(Organization).where(Organization.slug == slug)).first()


def by_ids(session: Session, ids: Iterable[str]) -> dict[str, Organization]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {
        o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(wanted)))
    }


def by_ids_in_name_order(session: Session, ids: Iterable[str]) -> list[Organization]:
    """These organizations, sorted by name in the database's collation."""
    query = select(Organization).where(Organization.id.in_(list(ids)))
    return list(session.scalars(query.order_by(Organization.name)))


def slug_taken(session: Session, slug: str) -> bool:
    return (
        session.scalar(select(Organization.id).where(Organization.slug == slug).limit(1))
        is not None
    )


def membership(session: Session, org_id: str, user_id: str) -> Member | None:
    return session.get(Member, (org_id, user_id))
