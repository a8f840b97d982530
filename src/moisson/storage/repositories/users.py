"""Users, their API keys and their organization memberships."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from moisson.storage.models import ApiKey, Member, Organization, User
from moisson.storage.session import is_read_only, write_after_read


def by_id(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def by_ids(session: Session, ids: Iterable[str]) -> dict[str, User]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}


def by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email)).first()


def slug_taken(session: Session, slug: str) -> bool:
    return session.scalar(select(User.id).where(User.slug == slug).limit(1)) is not None


def any_sysadmin(session: Session) -> User | None:
    return session.scalars(
        select(User).where(User.is_sysadmin.is_(True), User.deleted_at.is_(None)).limit(1)
    ).first()


def key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()


def stamp_key_used(session: Session, key: ApiKey, now: datetime) -> None:
    """Record when a key was last used; on a read-only session, just after the read."""
    if not is_read_only(session):
        key.last_used_at = now
        return
    key_id = key.id

    def stamp(writer: Session) -> None:
        writer.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )

    write_after_read(session, stamp)


def roles_of(session: Session, user_id: str) -> dict[str, str]:
    """Organization id -> role, for every organization the user belongs to."""
    rows = session.execute(
        select(Member.organization_id, Member.role).where(Member.user_id == user_id)
    )
    return {str(org_id): str(role) for org_id, role in rows}


def add(session: Session, obj: User | ApiKey | Member | Organization) -> None:
    session.add(obj)
    session.flush()
