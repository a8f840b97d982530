"""What a backend's `gather()` yields: one remote record, not yet interpreted."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from moisson.domain.enums import ItemKind
from moisson.domain.json import Json


@dataclass(frozen=True, slots=True)
class RemoteRecord:
    """One record of a remote catalog.

    `payload` is opaque to the engine: whatever the backend's own `map()` needs (a parsed
    JSON object, an N-Triples string of the record's subgraph, an XML string...).
    `content_hash` is what incremental runs compare with the hash stored for the same
    source and remote id: equal means unchanged, so the record is neither mapped nor written.
    """

    remote_id: str | None
    kind: ItemKind
    payload: Any
    content_hash: str
    url: str | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    failure: str | None = None
    """Set when the record could not even be read (e.g. a CSW record that does not parse):
    the engine then records a `failed` item with this message and does not call `map()`."""
    failure_details: str | None = None
    unchanged: bool = False
    """Set by a backend that knows, from its page cache, that the record is identical to the
    last successful run (payload is then `None`): counted seen and unchanged, not mapped."""
    page: str | None = None
    """Key of the catalog page the record came from (see `moisson.domain.pages`)."""
    resume: Json | None = None
    """Where `gather` would start again to yield this record and those after it, when the
    job is resumed after its worker died (`moisson.backends.paging`); `None`: from the start."""


def content_hash(payload: Any) -> str:
    """A stable hash of a payload: bytes/str as they are, anything else as canonical JSON.
    The one content digest of the project (records, run fingerprints, cached pages)."""
    if isinstance(payload, bytes):
        data = payload
    elif isinstance(payload, str):
        data = payload.encode("utf-8")
    else:
        data = json.dumps(
            payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
        ).encode("utf-8")
    return hashlib.blake2b(data, digest_size=20).hexdigest()
