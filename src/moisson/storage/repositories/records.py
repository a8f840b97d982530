"""The last harvested state of each remote record (`HarvestRecord`): incremental runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from moisson.storage.models import HarvestRecord


def get(session: Session, source_id: str, remote_id: str) -> HarvestRecord | None:
    return session.get(HarvestRecord, (source_id, remote_id))


def save(
    session: Session,
    *,
    source_id: str,
    remote_id: str,
    kind: str,
    content_hash: str,
    payload: str | None,
    dataset_id: str | None,
    dataservice_id: str | None,
    job_id: str,
    now: datetime,
    known_absent: bool = False,
) -> HarvestRecord:
    """Create or update the record; `known_absent` (the caller just looked) skips the read."""
    record = None if known_absent else get(session, source_id, remote_id)
    if record is None:
        record = HarvestRecord(source_id=source_id, remote_id=remote_id)
        session.add(record)
    record.kind = kind
    record.content_hash = content_hash
    record.payload = payload
    record.dataset_id = dataset_id
    record.dataservice_id = dataservice_id
    record.job_id = job_id
    record.updated_at = now
    return record


def mark_seen(
    session: Session, source_id: str, remote_ids: Iterable[str], job_id: str, now: datetime
) -> None:
    """Record that unchanged records were seen by `job_id`: `updated_at` is their last
    sighting, which the autoarchive grace period reads (their objects were not rewritten)."""
    ids = list(remote_ids)
    for start in range(0, len(ids), 500):
        session.execute(
            update(HarvestRecord)
            .where(
                HarvestRecord.source_id == source_id,
                HarvestRecord.remote_id.in_(ids[start : start + 500]),
            )
            .values(job_id=job_id, updated_at=now)
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True, slots=True)
class RecordState:
    """The columns of a `HarvestRecord` that decide whether a record is unchanged."""

    kind: str
    content_hash: str
    dataset_id: str | None
    dataservice_id: str | None


def states(session: Session, source_id: str, remote_ids: Iterable[str]) -> dict[str, RecordState]:
    """`RecordState` of each of `remote_ids` that has a record, in one query per 500 ids
    (the payload column is left unread)."""
    ids = list(dict.fromkeys(remote_ids))
    found: dict[str, RecordState] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                HarvestRecord.remote_id,
                HarvestRecord.kind,
                HarvestRecord.content_hash,
                HarvestRecord.dataset_id,
                HarvestRecord.dataservice_id,
            ).where(
                HarvestRecord.source_id == source_id,
                HarvestRecord.remote_id.in_(ids[start : start + 500]),
            )
        )
        for remote_id, kind, content_hash, dataset_id, dataservice_id in rows:
            found[remote_id] = RecordState(kind, content_hash, dataset_id, dataservice_id)
    return found


def forget_dataset(session: Session, dataset_id: str) -> set[str]:
    """Delete the records whose last harvest produced this dataset; returns their sources."""
    sources = set(
        session.scalars(
            select(HarvestRecord.source_id).where(HarvestRecord.dataset_id == dataset_id)
        )
    )
    if sources:
        session.execute(delete(HarvestRecord).where(HarvestRecord.dataset_id == dataset_id))
    return sources


def payloads(session: Session, source_id: str, remote_ids: Iterable[str]) -> dict[str, str]:
    """Remote id -> the raw payload kept for that record of the source (records without one
    are left out)."""
    wanted = {r for r in remote_ids if r}
    if not wanted:
        return {}
    rows = session.execute(
        select(HarvestRecord.remote_id, HarvestRecord.payload).where(
            HarvestRecord.source_id == source_id, HarvestRecord.remote_id.in_(wanted)
        )
    )
    return {remote_id: payload for remote_id, payload in rows if payload}


def payload_for_dataset(session: Session, dataset_id: str) -> str | None:
    """The raw payload of the record a dataset was last built from, if kept."""
    return session.scalars(
        select(HarvestRecord.payload).where(HarvestRecord.dataset_id == dataset_id).limit(1)
    ).first()
