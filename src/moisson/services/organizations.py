"""Organizations: creation and membership."""

from __future__ import annotations

from sqlalchemy.orm import Session

from moisson.domain.enums import MemberRole
from moisson.errors import InvalidInput, NotFound
from moisson.mapping.text import slugify
from moisson.services.allocation import add_with_free_slug
from moisson.storage.models import Member, Organization
from moisson.storage.repositories import organizations as orgs_repo
from moisson.storage.repositories import users as users_repo
from moisson.storage.repositories.base import is_object_id


def _unique_slug(session: Session, name: str) -> str:
    base = slugify(name)[:240] or "organization"
    candidate, counter = base, 0
    while orgs_repo.slug_taken(session, candidate):
        counter += 1
        candidate = f"{base}-{counter}"
    return candidate


def create_organization(session: Session, name: str, *, acronym: str | None = None) -> Organization:
    name = name.strip()
    if not name:
        raise InvalidInput("Field is required", field="name")
    return add_with_free_slug(
        session,
        lambda slug: Organization(name=name, slug=slug, acronym=acronym),
        lambda: _unique_slug(session, name),
    )


def add_member(session: Session, org: Organization, email: str, role: str) -> Member:
    """Make the user with `email` a member of `org` (or change their role)."""
    if role not in set(MemberRole):
        raise InvalidInput(f"Unknown role {role!r} (admin or editor)", field="role")
    user = users_repo.by_email(session, email.strip().lower())
    if user is None:
        raise NotFound(f"No user with e-mail {email}")
    member = orgs_repo.membership(session, org.id, user.id)
    if member is None:
        member = Member(organization_id=org.id, user_id=user.id, role=role)
        users_repo.add(session, member)
    else:
        member.role = role
    return member


def find_organization(session: Session, slug_or_id: str) -> Organization:
    """The organization with this slug, else this id (udata's order); `NotFound` otherwise."""
    wanted = slug_or_id.strip()
    org = orgs_repo.by_slug(session, wanted)
    if org is None and is_object_id(wanted):
        org = orgs_repo.by_id(session, wanted)
    if org is None:
        raise NotFound(f"No organization with slug or id {slug_or_id!r}")
    return org
