"""Archiving local objects whose record vanished from the remote catalog
(docs/udata-behaviour.md §6.7).

udata's rule: an object of this source whose remote id no item of this job carries (failed
and skipped records protect their objects too) and whose `harvest.last_update` is before
midnight (UTC) of today minus `autoarchive_grace_days` is archived with reason
`not-on-remote`; every such object, even one archived by an earlier job, is reported by an
`archived` item. Objects whose record was seen unchanged since the cutoff are not candidates:
an unchanged record refreshes its `HarvestRecord`, not its object's `last_update`.

Our guards, checked by the caller or here: never after a failed or truncated run (objects not
reached are not gone), nor after a run where some record could not be read at all (its remote
id is unknown, so its object would look vanished), and never when it would archive more than
`autoarchive_max_ratio` of the source's live objects in one go: then nothing is archived and
the job gets an error saying why.
A catalog that suddenly answers half empty is more often broken than purged.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from moisson.domain.enums import ArchiveReason, ItemKind
from moisson.harvest import kinds
from moisson.storage.models import Dataservice, Dataset
from moisson.storage.repositories import harvested

HarvestedObject = Dataset | Dataservice


@dataclass(frozen=True, slots=True)
class Archival:
    kind: ItemKind
    obj: HarvestedObject


def grace_cutoff(now: datetime, grace_days: int) -> datetime:
    return datetime.combine(now.date() - timedelta(days=grace_days), time.min, tzinfo=UTC)


def autoarchive(
    session: Session,
    *,
    source_id: str,
    seen: Collection[str],
    now: datetime,
    grace_days: int,
    max_ratio: float,
    report: Callable[[Archival], None],
) -> str | None:
    """Archive the candidates and `report` each one; or archive nothing and return why."""
    cutoff = grace_cutoff(now, grace_days)
    models: tuple[tuple[ItemKind, harvested.HarvestedModel], ...] = tuple(
        (kind.item, kind.model) for kind in kinds.KINDS
    )
    candidates = [
        Archival(kind, obj)
        for kind, model in models
        for obj in harvested.archive_candidates(session, model, source_id, cutoff)
        if obj.harvest_remote_id not in seen
    ]
    newly = [
        c for c in candidates if c.obj.harvest_archived_at is None and c.obj.archived_at is None
    ]
    live = sum(harvested.count_live(session, kind.model, source_id) for kind in kinds.KINDS)
    if newly and len(newly) > max_ratio * live:
        return (
            f"Autoarchive skipped: {len(newly)} of the {live} live datasets and dataservices "
            f"of this source were not seen in this run, more than the {max_ratio:.0%} allowed "
            "(MOISSON_HARVEST__AUTOARCHIVE_MAX_RATIO). Nothing was archived. Check the remote "
            "catalog; if these records were really removed, raise the limit and run again."
        )
    for candidate in candidates:
        obj = candidate.obj
        if obj.harvest_archived_at is None:
            obj.archived_at = obj.archived_at or now
            obj.harvest_archived_at = now
            obj.harvest_archived_reason = ArchiveReason.NOT_ON_REMOTE.value
        report(candidate)
    return None
