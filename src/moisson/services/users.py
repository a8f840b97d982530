"""People: creating users with a first API key, and the first sysadmin of a fresh install."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moisson.config import Settings
from moisson.errors import Conflict, InvalidInput, NotFound
from moisson.mapping.text import slugify
from moisson.services.allocation import add_with_free_slug
from moisson.services.auth import issue_api_key
from moisson.storage import db_errors
from moisson.storage.models import User
from moisson.storage.repositories import users as users_repo
from moisson.storage.repositories.base import is_object_id

FIRST_ADMIN_EMAIL = "admin@localhost"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True, slots=True)
class NewUser:
    user: User
    api_key: str
    """The clear token: shown once, never stored."""


def _unique_slug(session: Session, email: str) -> str:
    base = slugify(email.split("@", 1)[0]) or "user"
    candidate, counter = base, 0
    while users_repo.slug_taken(session, candidate):
        counter += 1
        candidate = f"{base}-{counter}"
    return candidate


def create_user(
    session: Session,
    settings: Settings,
    email: str,
    *,
    sysadmin: bool = False,
    first_name: str = "",
    last_name: str = "",
) -> NewUser:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInput(f"Invalid e-mail address {email!r}", field="email")
    if users_repo.by_email(session, email) is not None:
        raise Conflict(f"A user with e-mail {email} already exists")
    try:
        user = add_with_free_slug(
            session,
            lambda slug: User(
                email=email,
                slug=slug,
                first_name=first_name,
                last_name=last_name,
                is_sysadmin=sysadmin,
            ),
            lambda: _unique_slug(session, email),
        )
    except IntegrityError as exc:  # another request created this user meanwhile
        if db_errors.violates_unique(exc, "users", "email"):
            raise Conflict(f"A user with e-mail {email} already exists") from None
        raise
    return NewUser(user=user, api_key=issue_api_key(session, settings, user))


def ensure_first_admin(session: Session, settings: Settings) -> NewUser | None:
    """On a fresh install, a sysadmin `admin@localhost` with a new key; else None."""
    if users_repo.any_sysadmin(session) is not None:
        return None
    existing = users_repo.by_email(session, FIRST_ADMIN_EMAIL)
    if existing is not None:
        existing.is_sysadmin = True
        existing.active = True
        existing.deleted_at = None
        return NewUser(user=existing, api_key=issue_api_key(session, settings, existing))
    return create_user(session, settings, FIRST_ADMIN_EMAIL, sysadmin=True, first_name="Admin")


def find_user(session: Session, email_or_id: str) -> User:
    """The user with this e-mail (any case) or this id; `NotFound` naming it otherwise."""
    wanted = email_or_id.strip()
    user = users_repo.by_email(session, wanted.lower()) if "@" in wanted else None
    if user is None and is_object_id(wanted):
        user = users_repo.by_id(session, wanted)
    if user is None:
        raise NotFound(f"No user with e-mail or id {email_or_id!r}")
    return user
