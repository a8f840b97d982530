"""Binding existing datasets to remote records, and unbinding them (udata's `harvest
attach`, `detach` and `detach-all-from-source`, docs/udata-behaviour.md §9).

Attaching pre-binds datasets that already exist locally, so that the next harvest of that
domain updates them instead of creating duplicates: the engine matches a record to a local
dataset by (domain, remote id), docs/udata-behaviour.md §6.5. Detaching removes the harvest metadata
of a dataset and of its resources: no harvest will ever update or archive it again.

Datasets are named by slug first, then id (udata's CLI documents slugs but accepts only ids;
we accept both).

A dataset whose binding changes loses the incremental state that pointed at it (its
`HarvestRecord`, and the page cache of the sources concerned): otherwise the next run would
take its record for unchanged and look for a local object that is no longer bound to it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from moisson.errors import InvalidInput, NotFound
from moisson.storage.models import Dataset
from moisson.storage.repositories import datasets as datasets_repo
from moisson.storage.repositories import pages as pages_repo
from moisson.storage.repositories import records as records_repo
from moisson.storage.repositories.base import is_object_id

CSV_DELIMITER = ";"
CSV_COLUMNS = ("local", "remote")

#: The `harvest_*` columns detaching clears (`harvest_extra` is emptied too).
_HARVEST_COLUMNS = (
    "harvest_source_id",
    "harvest_domain",
    "harvest_remote_id",
    "harvest_backend",
    "harvest_source_url",
    "harvest_remote_url",
    "harvest_uri",
    "harvest_dct_identifier",
    "harvest_created_at",
    "harvest_issued_at",
    "harvest_modified_at",
    "harvest_last_update",
    "harvest_archived_at",
    "harvest_archived_reason",
)


@dataclass(frozen=True, slots=True)
class Attachment:
    """One row of an attach file: bind dataset `local` to the remote record `remote`."""

    local: str
    remote: str
    line: int
    """Line of the file, for error messages (the header is line 1)."""


@dataclass
class AttachReport:
    attached: int = 0
    errors: list[str] = field(default_factory=list)
    """One message per row that could not be attached, naming its line."""


def read_attachments(text: str) -> list[Attachment]:
    """The rows of a `;`-separated file with a header naming the columns `local` and
    `remote` (other columns are ignored); `InvalidInput` if a column is missing."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=CSV_DELIMITER)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        shown = ", ".join(header) if header else "nothing"
        raise InvalidInput(
            f"The attach file needs the columns 'local' and 'remote', separated by "
            f"'{CSV_DELIMITER}' (found: {shown})",
            field="file",
        )
    rows = []
    for line, raw in enumerate(reader, start=2):
        row = {(key or "").strip(): (value or "").strip() for key, value in raw.items() if key}
        rows.append(Attachment(local=row.get("local", ""), remote=row.get("remote", ""), line=line))
    return rows


def find_dataset(session: Session, slug_or_id: str) -> Dataset | None:
    """A live dataset by slug, else by id; its resources are loaded."""
    wanted = slug_or_id.strip()
    found = datasets_repo.dataset_by_slug(session, wanted) if wanted else None
    if found is None and is_object_id(wanted):
        found = datasets_repo.dataset_by_id(session, wanted)
    return found


def attach_datasets(
    session: Session, rows: Iterable[Attachment], domain: str, *, now: datetime
) -> AttachReport:
    """Bind each row's dataset to (`domain`, remote id), after unbinding any other dataset
    bound to that pair. A row that fails (unknown dataset, empty value) is reported and
    skipped; it never stops the others."""
    domain = domain.strip()
    if not domain:
        raise InvalidInput("The domain must not be empty", field="domain")
    report = AttachReport()
    for row in rows:
        if not row.local or not row.remote:
            report.errors.append(f"line {row.line}: 'local' and 'remote' must both be given")
            continue
        dataset = find_dataset(session, row.local)
        if dataset is None:
            report.errors.append(f"line {row.line}: unknown dataset {row.local!r}")
            continue
        for other in datasets_repo.datasets_bound_to(session, domain, row.remote):
            if other.id != dataset.id:
                other.harvest_domain = None
                other.harvest_remote_id = None
                _forget_incremental_state(session, other.id)
        _forget_incremental_state(session, dataset.id)
        dataset.harvest_domain = domain
        dataset.harvest_remote_id = row.remote
        dataset.last_modified = now
        session.flush()
        report.attached += 1
    return report


def _forget_incremental_state(session: Session, dataset_id: str) -> None:
    pages_repo.clear_pages(session, records_repo.forget_dataset(session, dataset_id))


def _clear_harvest(session: Session, dataset: Dataset) -> None:
    _forget_incremental_state(session, dataset.id)
    for column in _HARVEST_COLUMNS:
        setattr(dataset, column, None)
    dataset.harvest_extra = {}
    for resource in dataset.resources:
        resource.harvest = {}


def detach_dataset(session: Session, slug_or_id: str) -> Dataset:
    """Remove the harvest metadata of a dataset and of all its resources."""
    dataset = find_dataset(session, slug_or_id)
    if dataset is None:
        raise NotFound(f"Unknown dataset {slug_or_id!r} (give its slug or id)")
    _clear_harvest(session, dataset)
    session.flush()
    return dataset


def detach_source_datasets(session: Session, source_id: str) -> int:
    """Detach every dataset harvested by the source; returns how many. The source's next run
    will create new datasets for the same records."""
    datasets = datasets_repo.datasets_of_source(session, source_id)
    for dataset in datasets:
        _clear_harvest(session, dataset)
    session.flush()
    return len(datasets)
