"""Preview: the real pipeline inside a transaction that is always rolled back.

Nothing a preview does survives it: the job, its items, datasets, contact points, autoarchive
marks all vanish with the rollback. To satisfy foreign keys, the job hangs off a throwaway copy
of the source inserted in the same doomed transaction; the objects are stamped with the real
source's id (or `None` for a source that was never saved), so matching and autoarchive see
what a real run would. Previews never read or write the page cache: they show what mapping
produces now, and the cap (`preview_max_items`) and the time budget (`preview_time_budget`)
bound them. The objects returned are detached snapshots, resources loaded.

Transactions: the records are pulled from the remote first (`Pipeline.prefetch`, bounded by
the cap and the time budget), with no transaction open; `release` lets the caller end its own
transaction before that wait. Then the whole doomed run happens in one short transaction (at
most `preview_max_items` records, no network): on SQLite it holds the write lock for those
milliseconds only, never while the remote is waited for.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.domain.pages import NoPageCache
from moisson.harvest.engine import (
    BackendRegistry,
    RunLimits,
    build_pipeline,
    client_for,
    resolve_backend,
    source_ref,
)
from moisson.harvest.results import PreviewItem, PreviewResult
from moisson.storage.base import is_stored, new_id, utcnow
from moisson.storage.models import HarvestJob, HarvestSource
from moisson.storage.repositories import errors as errors_repo
from moisson.storage.repositories import harvested
from moisson.storage.repositories import items as items_repo


def preview_source(
    session_factory: sessionmaker[Session],
    settings: Settings,
    source: HarvestSource,
    *,
    backend_registry: BackendRegistry | None = None,
    http: httpx.Client | None = None,
    release: Callable[[], None] | None = None,
) -> PreviewResult:
    """Run `source` (saved or transient) as a preview and return what the job would be.
    `release` is called once `source` has been read, before the remote is waited for."""
    saved = _is_saved(source)
    backend_cls = resolve_backend(source.backend, settings, backend_registry)
    client = http or client_for(settings, backend_cls, source)
    session = session_factory(expire_on_commit=False)
    try:
        stand_in = _stand_in(source)
        now = utcnow()
        job = HarvestJob(
            id=new_id(),
            source_id=stand_in.id,
            status=JobStatus.INITIALIZED,
            created=now,
            started=now,
            heartbeat_at=now,
        )
        pipeline = build_pipeline(
            session,
            settings,
            job=job,
            source=source,
            ref=source_ref(source, backend_cls, settings, saved=saved),
            record_source_id=stand_in.id,
            backend=backend_cls(),
            http=client,
            pages=NoPageCache(),
            limits=RunLimits(
                max_items=settings.harvest.preview_max_items,
                time_budget=settings.harvest.preview_time_budget,
                note_truncation=False,
            ),
            checkpoint=session.flush,
            preview=True,
        )
        if release is not None:
            release()
        pipeline.prefetch()  # the network wait, before any statement of this session
        session.add(stand_in)
        session.flush()
        session.add(job)
        session.flush()
        pipeline.run()
        result = _snapshot(session, pipeline.job, source_id=source.id if saved else None)
    finally:
        session.rollback()
        session.close()
        if http is None:
            client.close()
    return result


def _is_saved(source: HarvestSource) -> bool:
    return bool(source.id) and is_stored(source)


def _stand_in(source: HarvestSource) -> HarvestSource:
    token = new_id()
    return HarvestSource(
        id=token,
        name=source.name or "preview",
        slug=f"preview-{token}",
        url=source.url,
        backend=source.backend,
        config=dict(source.config or {}),
        organization_id=source.organization_id,
        owner_id=source.owner_id,
        autoarchive=source.autoarchive if source.autoarchive is not None else True,
    )


def _snapshot(session: Session, job: HarvestJob, *, source_id: str | None) -> PreviewResult:
    session.flush()
    items = items_repo.of_job(session, job.id)
    errors = errors_repo.of_job_items(session, job.id)
    logs = items_repo.logs_of_job(session, job.id)
    result = PreviewResult(job=job, errors=errors_repo.of_job(session, job.id))
    for item in items:
        entry = PreviewItem(item=item, errors=errors.get(item.id, []), logs=logs.get(item.id, []))
        if item.dataset_id is not None:
            entry.dataset = harvested.dataset_with_resources(session, item.dataset_id)
        if item.dataservice_id is not None:
            entry.dataservice = harvested.dataservice(session, item.dataservice_id)
        result.items.append(entry)
    session.expunge_all()  # detach the snapshot before the rollback can expire it
    # A preview job has no identity (docs/udata-behaviour.md §2.3).
    job.id = None  # type: ignore[assignment]
    job.source_id = source_id  # type: ignore[assignment]
    for entry in result.items:
        entry.item.job_id = None  # type: ignore[assignment]
    return result
