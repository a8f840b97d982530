"""The rows of a batch of items, written together: new datasets, item rows, errors, logs.

Why: written one at a time through the ORM (a savepoint, a flush, a slug query and a
contact-point query each), a new dataset cost more than fetching, parsing and mapping it. The
pipeline (`moisson.harvest.engine`) hands the rows of every finished item to a `WriteBatch`,
which writes them with one executemany per table, after resolving the slugs and contact
points of all its new datasets with one query each.

Isolation: the pipeline writes a batch inside one SAVEPOINT. If any statement fails, that
savepoint is rolled back and the pipeline redoes the batch's new datasets one by one through
the ordinary ORM path, each in its own savepoint (`Pipeline._write_batch`): the failing record
fails alone, with the error it would have had; the others are written as they would have been.

Results equal those of the ORM path, item by item and in order: a slug is the first free one
given the database *and* the slugs given earlier in the batch; a contact point is reused when
an equal one exists (in the database, or created earlier in the batch or the job), else created.

Concurrency: other jobs write at the same time (N workers on one PostgreSQL database), so
"look, then insert" is only a first guess and the database decides. Dataset rows are inserted
with `ON CONFLICT (slug) DO NOTHING`: a row whose slug another job took meanwhile is left out,
gets the next free slug and is inserted again, alone (`_insert_datasets`). Contact points are a
get-or-create on their unique identity (`bulk.get_or_create_contact_points`). A write that
deadlocks with another transaction is redone in a fresh savepoint (`write`). None of these
fails an item or sends the batch to the one-by-one redo.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from moisson.domain.drafts import DatasetDraft
from moisson.harvest.reconcile import (
    SourceRef,
    base_slug,
    contact_keys,
    dataset_values,
    first_free_slug,
    producer_values,
    resource_created_at,
    resource_values,
    stamp_values,
)
from moisson.storage import db_errors
from moisson.storage.base import new_id
from moisson.storage.models import (
    Dataset,
    HarvestErrorRow,
    HarvestItem,
    HarvestLogRow,
    HarvestRecord,
    Resource,
)
from moisson.storage.repositories import bulk, harvested
from moisson.storage.repositories.bulk import ContactKey

logger = logging.getLogger(__name__)

#: Inserts of a batch's remaining rows, each time with the next free slugs (another job
#: taking the same new slug between our lookup and our insert costs one more).
SLUG_ATTEMPTS = 20
#: Attempts of a batch write that keeps losing races (deadlocks) with other transactions.
WRITE_ATTEMPTS = 5


class SlugUnavailable(RuntimeError):
    """Concurrent jobs kept taking the slugs chosen for a batch (not seen in practice)."""


@dataclass(slots=True)
class NewDataset:
    """A dataset to create, as rows; its slug and contact points are resolved at write time."""

    id: str
    title: str
    draft: DatasetDraft
    """Kept for a redo through the ORM path."""
    row: dict[str, Any]
    contacts: list[ContactKey] | None
    resources: list[dict[str, Any]]
    record: dict[str, Any]


@dataclass
class WriteBatch:
    """Rows waiting to be written, and the job's contact points already resolved."""

    datasets: list[NewDataset] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    _contact_ids: dict[ContactKey, str] = field(default_factory=dict)
    """Contact points known to exist in this transaction (found, or created by a write)."""
    _created: list[ContactKey] = field(default_factory=list)
    retries: int = 0
    """Writes done again after losing a race with a concurrent transaction (a deadlock)."""
    slug_retries: int = 0
    """Rows inserted again with another slug, because a concurrent job took theirs."""

    def __bool__(self) -> bool:
        return bool(self.items or self.datasets or self.errors or self.logs)

    # ---------------------------------------------------------------- adding

    def new_dataset(
        self,
        draft: DatasetDraft,
        *,
        source: SourceRef,
        remote_id: str,
        record: dict[str, Any],
        now: datetime,
    ) -> NewDataset:
        """The rows of a dataset created from `draft` (as `new_object`, `apply_dataset` and
        `stamp` would make it), and of the `HarvestRecord` pointing at it."""
        dataset_id = new_id()
        producer = producer_values(source)
        values = {
            "id": dataset_id,
            "title": draft.title,
            **producer,
            **dataset_values(draft, now, None),
            **stamp_values(source, remote_id, now),
        }
        resources = [
            bulk.complete_row(
                Resource,
                {
                    "id": new_id(),
                    "dataset_id": dataset_id,
                    "position": position,
                    "created_at": resource_created_at(resource, now),
                    **resource_values(resource, now, None),
                },
            )
            for position, resource in enumerate(draft.resources)
        ]
        contacts = (
            None
            if draft.contact_points is None
            else contact_keys(
                draft.contact_points, producer["organization_id"], producer["owner_id"]
            )
        )
        created = NewDataset(
            id=dataset_id,
            title=draft.title,
            draft=draft,
            row=values,
            contacts=contacts,
            resources=resources,
            record={**record, "dataset_id": dataset_id, "dataservice_id": None},
        )
        self.datasets.append(created)
        return created

    def add_item(
        self, row: dict[str, Any], errors: list[dict[str, Any]], logs: list[dict[str, Any]]
    ) -> None:
        self.items.append(row)
        self.errors.extend(errors)
        self.logs.extend(logs)

    def add_notes(self, errors: list[dict[str, Any]], logs: list[dict[str, Any]]) -> None:
        """Error and log rows of an item already in the batch."""
        self.errors.extend(errors)
        self.logs.extend(logs)

    # ---------------------------------------------------------------- writing

    def write(self, session: Session) -> None:
        """Write everything; raises what the database raises (the caller rolls back).

        A write that loses a race with a concurrent transaction (a deadlock: two jobs
        inserting overlapping slugs in different orders) is rolled back to its own savepoint
        and done again, up to `WRITE_ATTEMPTS` times. The new attempt does not ask for the
        slugs of the failed one again: the other transaction may hold them uncommitted (from
        an earlier batch of its transaction, which our savepoint rollback cannot release),
        and asking again would only wait for it once more."""
        session.flush()  # ORM-side rows the slug and contact queries must see
        avoid: set[str] = set()
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with session.begin_nested():
                    self._write_datasets(session, avoid)
                    self.write_items(session)
                return
            except DBAPIError as exc:
                self._forget_created()
                if attempt == WRITE_ATTEMPTS or not db_errors.is_retryable(exc):
                    raise
                avoid.update(c.row["slug"] for c in self.datasets if c.row.get("slug"))
                self.retries += 1
                logger.info(
                    "A batch write lost a race with another transaction (%s); writing it again",
                    db_errors.driver_message(exc),
                )

    def write_items(self, session: Session) -> None:
        """Write the item, error and log rows (in foreign-key order)."""
        bulk.insert_rows(
            session, HarvestItem, [bulk.complete_row(HarvestItem, r) for r in self.items]
        )
        bulk.insert_rows(
            session, HarvestErrorRow, [bulk.complete_row(HarvestErrorRow, r) for r in self.errors]
        )
        bulk.insert_rows(
            session, HarvestLogRow, [bulk.complete_row(HarvestLogRow, r) for r in self.logs]
        )

    def written(self) -> None:
        """The write succeeded: start an empty batch (the contact points stay known)."""
        self.datasets, self.items, self.errors, self.logs = [], [], [], []
        self._created = []

    def take_datasets(self) -> list[NewDataset]:
        """After a failed write: hand the new datasets back for a redo one by one, and forget
        the contact points the failed write would have created."""
        self._forget_created()
        datasets, self.datasets = self.datasets, []
        return datasets

    def _forget_created(self) -> None:
        """The contact points this write created were rolled back with it."""
        for key in self._created:
            self._contact_ids.pop(key, None)
        self._created = []

    def discard(self) -> None:
        """The transaction was rolled back: nothing pending, nothing known."""
        self.written()
        self._contact_ids.clear()

    def _write_datasets(self, session: Session, avoid: set[str]) -> None:
        if not self.datasets:
            return
        self._resolve_contact_points(session)
        for created in self.datasets:
            if created.contacts is not None:
                ids = [self._contact_ids[key] for key in created.contacts]
                created.row["contact_point_ids"] = list(dict.fromkeys(ids))
        self._insert_datasets(session, avoid)
        bulk.insert_rows(session, Resource, [r for c in self.datasets for r in c.resources])
        bulk.insert_rows(
            session,
            HarvestRecord,
            [bulk.complete_row(HarvestRecord, c.record) for c in self.datasets],
        )

    def _insert_datasets(self, session: Session, avoid: set[str]) -> None:
        """Insert the dataset rows, each with the first free slug not in `avoid`. A slug
        another job took between the lookup and the insert leaves its row out (`ON CONFLICT
        DO NOTHING`); those rows alone get the next free slug and are inserted again."""
        waiting = list(self.datasets)
        self._resolve_slugs(session, waiting, avoid)
        for _attempt in range(SLUG_ATTEMPTS):
            rows = [bulk.complete_row(Dataset, created.row) for created in waiting]
            inserted = bulk.insert_new_rows(session, Dataset, rows, unique="slug")
            waiting = [created for created in waiting if created.id not in inserted]
            if not waiting:
                return
            self.slug_retries += len(waiting)
            logger.info(
                "%d slug(s) were taken by another job meanwhile (%s); choosing the next free",
                len(waiting),
                ", ".join(sorted(c.row["slug"] for c in waiting)[:5]),
            )
            self._resolve_slugs(session, waiting, avoid)
        raise SlugUnavailable(
            f"No free slug found after {SLUG_ATTEMPTS} attempts for "
            + ", ".join(repr(c.title) for c in waiting[:5])
        )

    @staticmethod
    def _resolve_slugs(session: Session, datasets: list[NewDataset], avoid: set[str]) -> None:
        """The first free slug of each dataset, given the database, the slugs given to the
        datasets before it in the list, and those to `avoid`."""
        bases = [base_slug(Dataset, created.title) for created in datasets]
        in_database = bulk.slugs_taken(session, Dataset, bases)
        given: set[str] = set(avoid)
        for created, base in zip(datasets, bases, strict=True):
            if base in in_database or base in given:
                family = harvested.slug_family(session, Dataset, base) | {
                    slug for slug in given if slug == base or slug.startswith(f"{base}-")
                }
                slug = first_free_slug(base, family)
            else:
                slug = base
            given.add(slug)
            created.row["slug"] = slug

    def _resolve_contact_points(self, session: Session) -> None:
        """The id of every contact point the datasets name: known to the job, found, or
        created (a get-or-create the database decides, `bulk.get_or_create_contact_points`)."""
        wanted = list(
            dict.fromkeys(
                key
                for created in self.datasets
                for key in created.contacts or ()
                if key not in self._contact_ids
            )
        )
        if not wanted:
            return
        found, created_now = bulk.get_or_create_contact_points(session, wanted)
        self._contact_ids.update(found)
        self._created.extend(key for key in wanted if key in created_now)
