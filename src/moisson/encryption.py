"""Encryption at rest of source credentials, with keys derived from `MOISSON_SECRET_KEY`.

The secret key itself is never used as a cipher key: HKDF-SHA256 derives a separate 256-bit
key for this one purpose (a leaked session-cookie signature says nothing about it), and the
stored token is a Fernet token (AES-128-CBC + HMAC-SHA256, timestamped, authenticated), so a
token altered in the database fails to decrypt instead of yielding other credentials.

Key rotation: set the new `MOISSON_SECRET_KEY` and list the former one(s) in
`MOISSON_PREVIOUS_SECRET_KEYS`; tokens made with any of them still decrypt. Then
`moisson secrets rotate` re-encrypts every stored token with the current key, after which the
former keys can be dropped from the setting.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from moisson.config import Settings
from moisson.domain.credentials import Credentials, InvalidCredentials, parse_credentials

_SALT = b"moisson"
_INFO = b"moisson/source-credentials/v1"


class UndecryptableCredentials(Exception):
    """A stored token none of the configured keys opens."""


def derive_key(secret_key: str) -> bytes:
    """The Fernet key for source credentials, derived from a deployment's secret key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@lru_cache(maxsize=8)
def _keyring(current: str, previous: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(derive_key(key)) for key in (current, *previous)])


def keyring(settings: Settings) -> MultiFernet:
    """Encrypts with the current key; decrypts with it or any previous one."""
    return _keyring(settings.secret_key, tuple(settings.previous_secret_keys))


def seal_text(settings: Settings, secret: str) -> str:
    """Any secret (a webhook's HMAC key), encrypted like credentials."""
    return keyring(settings).encrypt(secret.encode()).decode("ascii")


def unseal_text(settings: Settings, token: str) -> str:
    try:
        return keyring(settings).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise UndecryptableCredentials(
            "A stored secret cannot be decrypted with MOISSON_SECRET_KEY or "
            "MOISSON_PREVIOUS_SECRET_KEYS; set it again"
        ) from exc


def seal(settings: Settings, credentials: Credentials) -> str:
    return seal_text(settings, json.dumps(credentials.as_json(), separators=(",", ":")))


def unseal(settings: Settings, token: str) -> Credentials:
    try:
        payload = keyring(settings).decrypt(token.encode("ascii"))
        return parse_credentials(json.loads(payload))
    except (InvalidToken, InvalidCredentials, ValueError) as exc:
        raise UndecryptableCredentials(
            "The source's credentials cannot be decrypted with MOISSON_SECRET_KEY or "
            "MOISSON_PREVIOUS_SECRET_KEYS (was the key changed without keeping the former "
            "one?); set the credentials again"
        ) from exc


def reseal(settings: Settings, token: str) -> str:
    """The same credentials encrypted with the current key (`moisson secrets rotate`)."""
    try:
        return keyring(settings).rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise UndecryptableCredentials("no configured key decrypts this token") from exc
