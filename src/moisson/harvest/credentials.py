"""The credentials a run sends: decrypted from the source row, bound to the source's origin.

Only the client of the run carries them (`moisson.http.credentials`); nothing else of the
run (items, logs, previews' output, job errors) ever sees them.
"""

from __future__ import annotations

from moisson.config import Settings
from moisson.domain.exceptions import SourceInvalid
from moisson.encryption import UndecryptableCredentials, unseal
from moisson.http.credentials import BoundCredentials
from moisson.storage.models import HarvestSource


def bound_credentials(settings: Settings, source: HarvestSource) -> BoundCredentials | None:
    """The source's credentials for its own origin, `None` without any, or `SourceInvalid`
    when no configured key decrypts them (the job fails saying so)."""
    if not source.credentials_token:
        return None
    try:
        credentials = unseal(settings, source.credentials_token)
    except UndecryptableCredentials as exc:
        raise SourceInvalid(str(exc)) from None
    return BoundCredentials.for_url(source.url, credentials.headers())
