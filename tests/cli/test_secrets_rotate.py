"""Rotating the secret key: former keys still decrypt; `moisson secrets rotate` re-encrypts."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.cli.conftest import invoke_with
from tests.factories import SourceFactory, stored, unique_slug

from moisson.cli.state import CliState
from moisson.config import Settings
from moisson.domain.credentials import parse_credentials
from moisson.encryption import UndecryptableCredentials, seal, unseal
from moisson.storage.models import HarvestSource

CREDENTIALS = parse_credentials({"type": "bearer", "token": "rotate-me-token"})


def add_source(db: Session, token: str) -> HarvestSource:
    source = SourceFactory.build(name="Locked", slug=unique_slug("Locked"))
    source.credentials_kind, source.credentials_token = "bearer", token
    return stored(db, source, commit=True)


def test_rotation_re_encrypts_with_the_new_key(
    settings: Settings, session_factory: sessionmaker[Session], db: Session
) -> None:
    old = settings.model_copy(update={"secret_key": "the-old-key"})
    new = settings.model_copy(update={"secret_key": "the-new-key"})
    rotating = new.model_copy(update={"previous_secret_keys": ["the-old-key"]})
    source = add_source(db, seal(old, CREDENTIALS))
    lost = add_source(db, seal(settings.model_copy(update={"secret_key": "lost"}), CREDENTIALS))
    with pytest.raises(UndecryptableCredentials):
        unseal(new, source.credentials_token or "")
    assert unseal(rotating, source.credentials_token or "").headers() == CREDENTIALS.headers()

    result = invoke_with(CliState(rotating, session_factory))("secrets", "rotate")

    assert result.exit_code == 1  # one source could not be rotated, and it is named
    assert "Re-encrypted 1 secret(s)" in result.stdout
    assert lost.slug in result.stderr
    db.expire_all()
    token = db.scalars(
        select(HarvestSource.credentials_token).where(HarvestSource.id == source.id)
    ).one()
    assert token is not None
    assert unseal(new, token).headers() == {"Authorization": "Bearer rotate-me-token"}


def test_a_tampered_token_does_not_decrypt(settings: Settings) -> None:
    token = seal(settings, CREDENTIALS)
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(UndecryptableCredentials):
        unseal(settings, tampered)
    assert "rotate-me-token" not in repr(CREDENTIALS)
