"""Reads the admin UI needs and the API services do not offer.

The admin's session cookie holds the *hash* of the API key the person signed in with, never
the key: a cookie read off a screen or a log does not give API access. Checking it applies
the same rules as `auth.authenticate` (revoked, expired, inactive user).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from moisson.config import Settings
from moisson.errors import Unauthorized
from moisson.services.auth import Caller, caller_for_user, hash_api_key
from moisson.storage.models import Organization
from moisson.storage.repositories import organizations as orgs_repo
from moisson.storage.repositories import records as records_repo
from moisson.storage.repositories import sources as sources_repo
from moisson.storage.repositories import users as users_repo


def key_hash_for_token(session: Session, settings: Settings, token: str) -> str:
    """The stored hash of a valid key `token`, or `Unauthorized` with the reason."""
    key_hash = hash_api_key(settings, token.strip())
    caller_for_key_hash(session, key_hash)
    return key_hash


def caller_for_key_hash(session: Session, key_hash: str) -> Caller:
    """The caller whose API key has this hash; `Unauthorized` if the key no longer works."""
    key = users_repo.key_by_hash(session, key_hash)
    if key is None:
        raise Unauthorized("Invalid API token")
    if key.revoked_at is not None:
        raise Unauthorized("Revoked API token")
    if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
        raise Unauthorized("Expired API token")
    user = users_repo.by_id(session, key.user_id)
    if user is None or not user.active or user.deleted_at is not None:
        raise Unauthorized("Inactive user")
    return caller_for_user(session, user)


def organizations_of(session: Session, caller: Caller) -> list[Organization]:
    """The organizations a caller may attach a new source to, by name."""
    if not caller.roles:
        return []
    return orgs_repo.by_ids_in_name_order(session, caller.roles)


def pending_sources_count(session: Session) -> int:
    """Live sources waiting for a sysadmin's decision."""
    return sources_repo.pending_count(session)


def record_payloads(session: Session, source_id: str, remote_ids: Iterable[str]) -> dict[str, str]:
    """Remote id -> the raw payload kept from the last successful harvest of that record."""
    return records_repo.payloads(session, source_id, remote_ids)


def payload_for_dataset(session: Session, dataset_id: str) -> str | None:
    """The raw remote record a harvested dataset was last built from, if kept."""
    return records_repo.payload_for_dataset(session, dataset_id)
