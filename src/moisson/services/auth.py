"""Who is calling: API keys (issue, hash, check) and the `Caller` every service receives.

Keys are random tokens prefixed `moisson_`. Only an HMAC-SHA256 of the token, keyed with
`settings.secret_key`, is stored: a database leak reveals no usable key, and a key is checked
with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from moisson.config import Settings
from moisson.domain.enums import MemberRole
from moisson.errors import Unauthorized
from moisson.storage.models import ApiKey, User
from moisson.storage.repositories import users as users_repo

KEY_PREFIX = "moisson_"
#: `last_used_at` is refreshed at most this often, so reads do not all become writes.
LAST_USED_RESOLUTION = timedelta(minutes=5)

UNAUTHENTICATED_MESSAGE = (
    "The server could not verify that you are authorized to access the URL requested. You "
    "either supplied the wrong credentials (e.g. a bad password), or your browser doesn't "
    "understand how to supply the credentials required."
)


@dataclass(frozen=True)
class Caller:
    """The identity behind a request or a command; anonymous when `user` is None."""

    user: User | None = None
    roles: Mapping[str, str] = field(default_factory=dict)
    """Organization id -> `admin` or `editor`."""

    @property
    def user_id(self) -> str | None:
        return self.user.id if self.user is not None else None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    @property
    def is_sysadmin(self) -> bool:
        return self.user is not None and self.user.is_sysadmin

    def is_org_admin(self, org_id: str | None) -> bool:
        return org_id is not None and self.roles.get(org_id) == MemberRole.ADMIN

    def is_org_member(self, org_id: str | None) -> bool:
        return org_id is not None and org_id in self.roles


ANONYMOUS = Caller()

SYSTEM_EMAIL = "system@moisson.invalid"


def system_caller() -> Caller:
    """The platform itself, as operator commands (`moisson harvest ...`) act: a sysadmin
    that is no account. Whoever can run the command already holds the database.

    Its user is never saved and has no id: a validation it makes records no `by` (as udata's
    CLI), and it cannot own a source, so a source it creates must name its owner or its
    organization (docs/design.md: exactly one producer). Never add this user to a session.
    """
    user = User(
        email=SYSTEM_EMAIL,
        slug="system",
        first_name="Moisson",
        last_name="",
        is_sysadmin=True,
        active=True,
    )
    return Caller(user=user)


def require_authenticated(caller: Caller) -> User:
    if caller.user is None:
        raise Unauthorized(UNAUTHENTICATED_MESSAGE)
    return caller.user


def hash_api_key(settings: Settings, token: str) -> str:
    return hmac.new(settings.secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def issue_api_key(
    session: Session, settings: Settings, user: User, *, expires_at: datetime | None = None
) -> str:
    """A new key for `user`; the clear token is returned once and never stored."""
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    users_repo.add(
        session,
        ApiKey(
            user_id=user.id,
            key_hash=hash_api_key(settings, token),
            prefix=token[:16],
            expires_at=expires_at,
        ),
    )
    return token


def caller_for_user(session: Session, user: User) -> Caller:
    return Caller(user=user, roles=users_repo.roles_of(session, user.id))


def authenticate(session: Session, settings: Settings, token: str | None) -> Caller:
    """The caller presenting `token`; anonymous without one.

    A token that is present but wrong, revoked or expired is refused (401), even where
    anonymous callers are welcome: a client must learn that its key is not working.
    """
    if token is None:
        return ANONYMOUS
    key = users_repo.key_by_hash(session, hash_api_key(settings, token.strip()))
    now = datetime.now(UTC)
    if key is None:
        raise Unauthorized("Invalid API token")
    if key.revoked_at is not None:
        raise Unauthorized("Revoked API token")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthorized("Expired API token")
    user = users_repo.by_id(session, key.user_id)
    if user is None or not user.active or user.deleted_at is not None:
        raise Unauthorized("Inactive user")
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        users_repo.stamp_key_used(session, key, now)
    return caller_for_user(session, user)
