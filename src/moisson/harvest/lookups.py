"""The engine's per-item reads, asked once for a whole batch of records.

Without this, every item costs a handful of single-row queries (its `HarvestRecord`, its
recorded object, "does any object carry this remote id?"). `BatchLookups.load` asks them
for a batch of records in three or four queries; the pipeline then reads the answers.

The answers stay true while the batch is processed because the only writes in between are
the pipeline's own, and the pipeline calls `forget(remote_id)` after every item it did not
decide from these answers alone: a forgotten id (or one never loaded) makes `stored` answer
`UNKNOWN`, so the caller falls back to the database. A remote id an item has just given to
an object is added with `in_use`, so `may_exist` never answers "no" wrongly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from sqlalchemy.orm import Session

from moisson.domain.enums import ItemKind
from moisson.harvest import kinds
from moisson.storage.repositories import harvested, records
from moisson.storage.repositories.harvested import ObjectState
from moisson.storage.repositories.records import RecordState


class Unknown:
    """The type of `UNKNOWN`: a record the lookups were not asked about."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()


class BatchLookups:
    def __init__(self, session: Session, record_source_id: str) -> None:
        self.session = session
        self.record_source_id = record_source_id
        self._records: dict[str, RecordState | None] = {}
        self._objects: dict[tuple[ItemKind, str], ObjectState] = {}
        self._in_use: dict[ItemKind, set[str]] = {}
        self._asked: set[str] = set()

    def load(self, remote_ids: Iterable[str]) -> None:
        """Replace what is known by the answers for `remote_ids`."""
        ids = list(dict.fromkeys(remote_ids))
        found = records.states(self.session, self.record_source_id, ids)
        self._records = {remote_id: found.get(remote_id) for remote_id in ids}
        self._objects = {}
        for kind in kinds.KINDS:
            object_ids = [
                getattr(s, kind.link_column) for s in found.values() if getattr(s, kind.link_column)
            ]
            if object_ids:
                for object_id, state in harvested.object_states(
                    self.session, kind.model, object_ids
                ).items():
                    self._objects[(kind.item, object_id)] = state
        # Only a record without a stored state can be new; one with a stored state is
        # unchanged or re-mapped onto an object that is looked up anyway (an unchanged
        # re-run asks nothing here).
        unrecorded = [remote_id for remote_id in ids if remote_id not in found]
        self._in_use = {
            kind.item: harvested.remote_ids_in_use(self.session, kind.model, unrecorded)
            for kind in kinds.KINDS
        }
        self._asked = set(unrecorded)

    def stored(self, remote_id: str) -> RecordState | Unknown | None:
        """The record's stored state, `None` if it has none, `UNKNOWN` if not loaded."""
        return self._records.get(remote_id, UNKNOWN)

    def object_state(self, stored: RecordState) -> ObjectState | None:
        """The loaded state of the object `stored` points at (`None`: gone or not loaded)."""
        found = kinds.linked(stored)
        if found is None:
            return None
        kind, object_id = found
        return self._objects.get((kind.item, object_id))

    def may_exist(self, kind: ItemKind, remote_id: str) -> bool:
        """False only when no object of this kind carries `remote_id` (a loaded answer,
        for a record that had no stored state)."""
        return remote_id not in self._asked or remote_id in self._in_use.get(kind, set())

    def forget(self, remote_id: str) -> None:
        self._records.pop(remote_id, None)

    def in_use(self, kind: ItemKind, remote_id: str) -> None:
        self._in_use.setdefault(kind, set()).add(remote_id)
