"""Operator actions on stored source credentials (key rotation)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from moisson.config import Settings
from moisson.encryption import UndecryptableCredentials, reseal
from moisson.storage.repositories import notifications as notifications_repo
from moisson.storage.repositories import sources as sources_repo


@dataclass
class Rotation:
    rotated: int = 0
    undecryptable: list[str] = field(default_factory=list)
    """Sources (slugs) and webhooks whose secrets no configured key opens: set them again."""


def rotate_credentials(session: Session, settings: Settings) -> Rotation:
    """Re-encrypt every source's credentials and webhook secret with the current
    `MOISSON_SECRET_KEY` (tokens of a key of `MOISSON_PREVIOUS_SECRET_KEYS` open with it)."""
    outcome = Rotation()
    for source in sources_repo.with_credentials(session):
        try:
            source.credentials_token = reseal(settings, source.credentials_token or "")
        except UndecryptableCredentials:
            outcome.undecryptable.append(source.slug)
            continue
        outcome.rotated += 1
    for subscription in notifications_repo.with_secrets(session):
        try:
            subscription.secret_token = reseal(settings, subscription.secret_token or "")
        except UndecryptableCredentials:
            outcome.undecryptable.append(f"webhook {subscription.id}")
            continue
        outcome.rotated += 1
    session.flush()
    return outcome
