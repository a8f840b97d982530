"""Datasets and dataservices: what differs between the two kinds of harvested object, in one
place.

The harvest treats both the same way (match, own, apply, stamp, record, count); where they
differ (the model, how a draft is applied, which column of a record or an item points at
the object, which job counter counts it) the code asks the object's `Kind` instead of
testing its class. Adding a kind is adding one `Kind` here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from moisson.domain.drafts import DataserviceDraft, DatasetDraft
from moisson.domain.enums import ItemKind
from moisson.harvest.reconcile import SourceRef, apply_dataservice, apply_dataset
from moisson.storage.models import Dataservice, Dataset


@dataclass(frozen=True, slots=True)
class Kind:
    item: ItemKind
    model: type[Dataset] | type[Dataservice]
    link_column: str
    """The column of a harvest record or item that points at an object of this kind."""
    counter: str
    """The job counter of items of this kind."""
    _apply: Callable[[Session, Any, Any, SourceRef, datetime], None]

    def apply(
        self, session: Session, obj: Any, draft: Any, source: SourceRef, now: datetime
    ) -> None:
        """Write `draft` onto `obj` (both of this kind)."""
        self._apply(session, obj, draft, source, now)

    def links(self, object_id: str | None) -> dict[str, str | None]:
        """The record or item columns pointing at `object_id`, as keyword values."""
        return {kind.link_column: object_id if kind is self else None for kind in KINDS}


DATASETS = Kind(
    ItemKind.DATASET,
    Dataset,
    "dataset_id",
    "items_datasets",
    lambda session, obj, draft, source, now: apply_dataset(session, obj, draft, now),
)
DATASERVICES = Kind(
    ItemKind.DATASERVICE,
    Dataservice,
    "dataservice_id",
    "items_dataservices",
    apply_dataservice,
)
KINDS = (DATASETS, DATASERVICES)
_BY_ITEM = {kind.item: kind for kind in KINDS}


def links(item: ItemKind | str | None, object_id: str | None) -> dict[str, str | None]:
    """`Kind.links` for an item whose kind may be unknown (then it points at nothing)."""
    if item is None:
        return {kind.link_column: None for kind in KINDS}
    return of_item(item).links(object_id)


def of_item(item: ItemKind | str) -> Kind:
    return _BY_ITEM[ItemKind(item)]


def of_draft(draft: DatasetDraft | DataserviceDraft) -> Kind:
    return DATASERVICES if isinstance(draft, DataserviceDraft) else DATASETS


def of_object(obj: Dataset | Dataservice) -> Kind:
    return DATASETS if isinstance(obj, Dataset) else DATASERVICES


def linked(row: Any) -> tuple[Kind, str] | None:
    """The kind and id of the object a record or item row points at, if any."""
    for kind in KINDS:
        object_id = getattr(row, kind.link_column)
        if object_id is not None:
            return kind, object_id
    return None


def linked_kind(row: Any) -> ItemKind:
    """The kind of the object a record row points at (a row pointing at no dataset is a
    dataservice's: the engine asks only of rows it found an object for)."""
    found = linked(row)
    return found[0].item if found is not None else DATASERVICES.item
