"""What the RDF mapping needs from its caller: passed in, never looked up (docs/architecture.md)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from moisson.mapping.licenses import LicenseTable
from moisson.mapping.rdf.schemas import SchemaCatalog

_LOG = logging.getLogger("moisson.mapping.rdf")


@dataclass(frozen=True, slots=True)
class RdfOptions:
    licenses: LicenseTable
    """Licence table used by `LicenseTable.guess` (docs/udata-backends.md §2.4)."""
    now: datetime
    """Naive UTC "now": later `modified` dates are dropped."""
    language: str = "fr"
    """Preferred literal language (udata's DEFAULT_LANGUAGE)."""
    remote_url_prefix: str | None = None
    """CSW sources only: builds `remote_url` from the CatalogRecord identifier
    (docs/udata-backends.md §2.3.1)."""
    inspire: bool = True
    """INSPIRE_SUPPORT: the `inspire` tag and INSPIRE access restrictions."""
    hvd: bool = True
    """HVD_SUPPORT: high-value dataset themes become French tags plus `hvd`."""
    allow_private_urls: bool = False
    """Accept loopback/private hosts in harvested URLs (intranet portals, tests)."""
    schemas: SchemaCatalog = field(default_factory=SchemaCatalog)
    """Known data schemas; an empty catalog keeps every conformsTo URL as is."""
    log: logging.Logger = _LOG
    """Where mapping warnings go (the engine routes them to the item's logs)."""
