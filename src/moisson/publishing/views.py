"""What the DCAT-AP serializer needs to know about one local object: its draft (what the
remote said, as the engine stored it) plus the local identity Moisson gives it.

Views are plain frozen values, built either from stored rows (`services.catalog`) or from a
`DatasetDraft` during a harvest, so the serializer never touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from pyoxigraph import NamedNode

from moisson.domain.drafts import DataserviceDraft, DatasetDraft

#: IRI schemes a harvested URI may keep as the subject of the published description.
_IRI_SCHEMES = ("http://", "https://", "urn:")
#: Characters no IRI may hold (one regular expression: called thousands of times a page).
_NOT_IN_IRI = re.compile(r'[ <>"{}|\\^`]')


def absolute_iri(value: str | None) -> str | None:
    """`value` when it can be an RDF subject in every syntax (absolute, no spaces)."""
    if not value:
        return None
    value = value.strip()
    if not value.lower().startswith(_IRI_SCHEMES) or _NOT_IN_IRI.search(value):
        return None
    # The catalog writes IRIs as text: a malformed one (`http://[bad`) would make the page
    # unreadable for every parser, so pyoxigraph's IRI parser (under 1 µs) decides.
    try:
        NamedNode(value)
    except ValueError:
        return None
    return value


@dataclass(frozen=True, slots=True)
class Agent:
    """An organization publishing datasets (`foaf:Agent`)."""

    name: str
    iri: str


@dataclass(frozen=True, slots=True)
class DatasetView:
    """A local dataset as the catalog publishes it.

    `base_url` is the public URL of the API (`https://host/api/1`): local IRIs are minted
    under it. `created_at`/`last_modified` are Moisson's own record dates, the fallbacks of
    `dct:issued`/`dct:modified` when the remote declared none.
    """

    id: str
    base_url: str
    draft: DatasetDraft
    created_at: datetime | None = None
    last_modified: datetime | None = None

    @property
    def local_iri(self) -> str:
        return f"{self.base_url.rstrip('/')}/datasets/{self.id}/"

    @property
    def iri(self) -> str:
        """The harvested URI when the remote gave one (udata keeps it too), else ours."""
        return absolute_iri(self.draft.harvest.uri) or self.local_iri

    @property
    def identifier(self) -> str:
        """`dct:identifier`: the remote's when harvested with one, else the local id."""
        return self.draft.harvest.dct_identifier or self.id


@dataclass(frozen=True, slots=True)
class ServedDataset:
    """A dataset a dataservice serves: how the service's description points at it."""

    iri: str
    identifier: str


@dataclass(frozen=True, slots=True)
class DataserviceView:
    id: str
    base_url: str
    draft: DataserviceDraft
    served: tuple[ServedDataset, ...] = ()
    created_at: datetime | None = None
    last_modified: datetime | None = None

    @property
    def local_iri(self) -> str:
        return f"{self.base_url.rstrip('/')}/dataservices/{self.id}/"

    @property
    def iri(self) -> str:
        return absolute_iri(self.draft.harvest.uri) or self.local_iri

    @property
    def identifier(self) -> str:
        return self.draft.harvest.dct_identifier or self.id
