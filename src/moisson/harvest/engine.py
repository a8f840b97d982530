"""The harvest engine: run one job, gather -> hash -> map -> reconcile -> persist -> finish.

Transactions. No transaction is open while the engine waits on the network (docs/design.md):
`run_job` commits its start before `gather` runs, and the pipeline pulls each batch of
records (below) with no transaction open, page fetches and page-cache reads included (the
cache is read in short read-only sessions of its own, `DbPageCache(reads=...)`). A batch is
then decided and written in one short transaction: it opens with the job's heartbeat write,
loads the batch lookups, processes the records, and ends with a checkpoint (write batch +
commit) before the next pull. A long batch also commits after `COMMIT_EVERY_ITEMS` items or
when its transaction is `COMMIT_EVERY_SECONDS` old (`COMMIT_EVERY_SECONDS_GATED` on
SQLite): on SQLite that transaction holds the
write lock (`BEGIN IMMEDIATE`, `moisson.storage.session`), which an API write may be waiting
for; and on SQLite it commits after the item in hand as soon as another writer of the process
queues at the fair write gate (`moisson.storage.write_gate`). So progress shows live, and a
crash loses at most one batch, which the next run redoes.
The engine's sessions wait up to `database.worker_lock_timeout` for a lock.

Within a transaction: a record reconciled through the ORM (a changed record, a dataservice,
anything not surely new) runs in its own SAVEPOINT: a failing record rolls back alone. An
unchanged record decided from the batch lookups writes nothing but its item row, so it needs
none. A surely new dataset (no stored record, no object with its remote id) is not written at
once: its rows join the write batch (`moisson.harvest.batch`), with the item, error and log
rows of every item. The batch is written in one SAVEPOINT before anything that must see it
(the next lookups, an ORM item, the end) and before every commit; if that write fails, it is
rolled back and its new datasets are redone one by one through the ORM path, each in its own
savepoint, so that failing record alone fails, exactly as it would have (`_write_batch`).
The end of the job (autoarchive, page-cache entries, final status) is one more short
transaction.

A preview runs the very same `Pipeline` with a checkpoint that only flushes, inside a
transaction its caller rolls back; it first pulls every record it may process
(`Pipeline.prefetch`, within its item cap and time budget) with no transaction open, so its
one transaction lasts the processing of at most `preview_max_items` records.

Batches. Records are taken from `gather` in batches (up to `LOOKUP_BATCH` records of one
page) whose database reads are made together (`moisson.harvest.lookups`), then processed one
by one in order. A batch ends when the first record of the next page is pulled, so that page
is fetched (with no transaction open) before the current page's records are written; a
`gather` failure still lets the records already pulled be processed first, and `max_items`
never pulls more records than before.

Item outcomes, decided from what escapes the item's processing:

    record.failure set (unreadable record)  -> failed, the backend's message and details
    no remote id                            -> skipped, "missing identifier"
    SkipItem                                -> skipped, message only
    InvalidItem (incl. another owner,       -> failed, message (+ the exception's details)
      duplicate identifier)
    httpx.HTTPError                         -> failed, message + traceback
    SourceError (SourceUnavailable/Invalid) -> the item fails, then the whole job fails
    anything else                           -> failed, message + traceback, logged as a bug

Races with other jobs are no item's fault: a slug or a contact point another job took between
our lookup and our write, or a deadlock with its transaction (`moisson.storage.db_errors`).
The write batch retries just the colliding rows (`moisson.harvest.batch`); an item reconciled
through the ORM is done again in a fresh savepoint (`_in_savepoint`). A database error that
does fail an item or a job is described by the database's own message (constraint, key).

Job outcomes: an exception escaping gather (or a SourceError from map) makes the job `failed`
with exactly one job error; items already processed stay. The error's level says what it is:
`SourceInvalid` ERROR with its own details only; `SourceUnavailable` and other httpx errors
WARNING with a traceback (the remote's fault, probably transient); an SSRF refusal and anything
else ERROR with a traceback (configuration or bug). A database connection lost inside an item
(a server restart) is no item's fault: it ends the job, "The database connection was lost:
...". Otherwise the job is `done`, or `done-errors` when at least one item failed (skipped
and archived items do not count).

Resumed jobs (`moisson.harvest.resumption`): every commit also writes the job's `cursor`,
the `RemoteRecord.resume` of the last record it holds. A job whose worker died comes back
`pending` with `resumes` > 0; the run then starts `gather` from that cursor, skips the records
whose remote id an item of the job already names (they count as seen, for autoarchive, and
as unchanged where they were), and carries on with the job's counters. A cursor the backend
refuses (`CursorRejected`: the page is gone, the catalog changed) makes the run read the
catalog from its first page, with a warning among the job's errors. The cursor is cleared
when the job ends.

Incremental runs: a record whose fingerprint (its `content_hash`, the source URL and config,
and the allowed networks when any are set) equals the stored `HarvestRecord.content_hash`,
and whose local object is still this source's, is neither mapped nor written: its item is
`done` and `unchanged`. The same holds for records a backend yields with `unchanged=True`
from its page cache. Page-cache entries a backend writes are buffered and kept only if every
record of that page ended `done` in a job that did not fail.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from moisson.backends import get_backend
from moisson.backends.base import Backend, SourceView
from moisson.config import Settings
from moisson.domain.drafts import DataserviceDraft, DatasetDraft
from moisson.domain.enums import FINAL_JOB_STATUSES, ErrorLevel, ItemKind, ItemStatus, JobStatus
from moisson.domain.exceptions import (
    InvalidItem,
    ItemError,
    SkipItem,
    SourceError,
    SourceInvalid,
    SourceUnavailable,
)
from moisson.domain.json import Json
from moisson.domain.pages import CachedPage, PageCache
from moisson.domain.records import RemoteRecord, content_hash
from moisson.domain.source_config import SourceConfig
from moisson.harvest import kinds
from moisson.harvest.autoarchive import Archival, autoarchive
from moisson.harvest.batch import NewDataset, WriteBatch
from moisson.harvest.context import RunContext, source_domain
from moisson.harvest.credentials import bound_credentials
from moisson.harvest.gc_tuning import freeze_long_lived_objects
from moisson.harvest.item_logs import ItemLogs
from moisson.harvest.lookups import BatchLookups, Unknown
from moisson.harvest.quality import QualityHook
from moisson.harvest.reconcile import (
    DuplicateIdentifier,
    HarvestedObject,
    SourceRef,
    check_owner,
    find_existing,
    is_archived,
    new_object,
    stamp,
)
from moisson.harvest.resumption import FirstPart, holder_gone, resume_or_fail
from moisson.harvest.url_checks import usable_urls
from moisson.http import BlockedAddress, build_client
from moisson.logging import log_context
from moisson.mapping.licenses import LicenseTable
from moisson.storage import db_errors
from moisson.storage.base import new_id, utcnow
from moisson.storage.models import (
    Dataset,
    HarvestItem,
    HarvestJob,
    HarvestRecord,
    HarvestSource,
)
from moisson.storage.repositories import errors as errors_repo
from moisson.storage.repositories import harvested, records
from moisson.storage.repositories import jobs as jobs_repo
from moisson.storage.repositories import sources as sources_repo
from moisson.storage.repositories.pages import DbPageCache
from moisson.storage.repositories.records import RecordState
from moisson.storage.session import patient, read_only, write_gate_of

logger = logging.getLogger(__name__)
ITEM_LOGGER = "moisson.harvest.item"

BackendRegistry = Mapping[str, type[Backend]]
ProgressCallback = Callable[[HarvestJob], None]
"""Called with the job after each item is committed, and once when the job has ended."""

#: A background run commits after this many items (and after every batch)...
COMMIT_EVERY_ITEMS = 200
#: ...or when its transaction has been open this long: a writer waiting for a row it locked
#: (PostgreSQL) waits at most that, and no session stays idle in a transaction longer.
COMMIT_EVERY_SECONDS = 0.25
#: The same on SQLite, where a waiting writer of the process does not wait for it (the run
#: commits as soon as one queues at the write gate); 0.25 s cost the pipeline bench ~8 % per
#: CPU-second in commits.
COMMIT_EVERY_SECONDS_GATED = 1.0
#: Records whose database reads are made together (never more than one page's).
LOOKUP_BATCH = 200
#: Attempts of an item reconciled through the ORM that keeps losing races with other jobs.
ITEM_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class RunLimits:
    max_items: int | None = None
    """Stop before the record that would make one item more than this."""
    time_budget: float | None = None
    """Seconds after which no further record is started."""
    note_truncation: bool = True
    """Add the udata "max items reached" job error when a record was left out (not in
    previews, as udata)."""


# --------------------------------------------------------------------------- entry point


def run_job(
    session_factory: sessionmaker[Session],
    settings: Settings,
    job_id: str,
    *,
    backend_registry: BackendRegistry | None = None,
    http: httpx.Client | None = None,
    on_progress: ProgressCallback | None = None,
) -> None:
    """Run a `pending` job to its end. A job that is not pending (already taken by another
    worker, failed by the watchdog, finished) is left alone, so a redelivered task is harmless.

    `backend_registry` replaces the enabled backends (tests); `http` replaces the client the
    engine would build (tests hand a `MockTransport` one; it is not closed here).
    `on_progress` sees the job's counters after every item (the CLI's progress bar): it runs
    in the engine's thread, must be quick, and an exception it raises is logged and ignored.
    The first job of a process freezes its long-lived objects (`gc_tuning`).
    """
    freeze_long_lived_objects()
    session = patient(session_factory, settings)(expire_on_commit=False)
    try:
        job = _take_pending(session, job_id) or _take_from_gone_holder(session, settings, job_id)
        if job is None:
            return
        source = sources_repo.by_id(session, job.source_id)
        if source is None:  # cascades make this unlikely; fail loudly rather than hang
            _fail_before_start(session, job, "The source of this job no longer exists")
            return
        try:
            backend_cls = resolve_backend(source.backend, settings, backend_registry)
            client = http or client_for(settings, backend_cls, source)
        except Exception as exc:
            _fail_before_start(session, job, str(exc))
            return
        try:
            pipeline = build_pipeline(
                session,
                settings,
                job=job,
                source=source,
                ref=source_ref(source, backend_cls, settings),
                record_source_id=source.id,
                backend=backend_cls(),
                http=client,
                pages=DbPageCache(session, source.id, reads=read_only(session_factory)),
                limits=RunLimits(max_items=settings.harvest.max_items),
                checkpoint=session.commit,
                preview=False,
                on_progress=on_progress,
            )
            if job.resumes:
                pipeline.continue_first_part()
            session.commit()  # nothing stays open while `gather` waits on the remote
            pipeline.run()
        finally:
            if http is None:
                client.close()
    finally:
        session.close()


def _take_pending(session: Session, job_id: str) -> HarvestJob | None:
    """Move the job from `pending` to `initialized` atomically: one worker wins."""
    worker = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    won = jobs_repo.claim_pending(session, job_id, utcnow(), worker)
    session.commit()
    if not won:
        logger.info("Job %s is not pending any more; nothing to do", job_id)
        return None
    job = jobs_repo.by_id(session, job_id)
    if job is not None:
        session.refresh(job)
    return job


def _take_from_gone_holder(session: Session, settings: Settings, job_id: str) -> HarvestJob | None:
    """A task delivered again (Celery, after its worker died) for a job still held by that
    worker: resume the job now if its holder is surely gone, else leave it to its holder."""
    job = jobs_repo.locked(session, job_id)
    reason = None if job is None else holder_gone(job, settings, utcnow())
    if job is None or reason is None:
        session.commit()
        return None
    logger.warning("Job %s: %s; taking it up again", job_id, reason.lower())
    resumed = resume_or_fail(session, job, reason, settings, utcnow())
    session.commit()
    return _take_pending(session, job_id) if resumed else None


def _fail_before_start(session: Session, job: HarvestJob, message: str) -> None:
    now = utcnow()
    errors_repo.add(session, job.id, message, now=now)
    job.status = JobStatus.FAILED
    job.ended = now
    session.commit()


def resolve_backend(
    name: str, settings: Settings, registry: BackendRegistry | None = None
) -> type[Backend]:
    if registry is None:
        return get_backend(name, settings.harvest.backends)
    try:
        return registry[name]
    except KeyError:
        valid = ", ".join(sorted(registry)) or "none"
        raise SourceInvalid(f'Unknown backend "{name}" (enabled backends: {valid})') from None


def client_for(
    settings: Settings, backend_cls: type[Backend], source: HarvestSource | None = None
) -> httpx.Client:
    """The backend's client, carrying `source`'s credentials to its origin only."""
    info = backend_cls.info
    return build_client(
        settings,
        backend_id=info.id,
        follow_redirects=info.follow_redirects,
        verify=info.verify_tls,
        credentials=bound_credentials(settings, source) if source is not None else None,
    )


def source_ref(
    source: HarvestSource, backend_cls: type[Backend], settings: Settings, *, saved: bool = True
) -> SourceRef:
    return SourceRef(
        id=source.id if saved else None,
        url=source.url,
        domain=source_domain(source.url),
        backend_label=backend_cls.info.label,
        organization_id=source.organization_id,
        owner_id=source.owner_id,
        autoarchive=bool(source.autoarchive),
        allow_networks=tuple(settings.outbound_allow_networks),
    )


def build_pipeline(
    session: Session,
    settings: Settings,
    *,
    job: HarvestJob,
    source: HarvestSource,
    ref: SourceRef,
    record_source_id: str,
    backend: Backend,
    http: httpx.Client,
    pages: PageCache,
    limits: RunLimits,
    checkpoint: Callable[[], None],
    preview: bool,
    on_progress: ProgressCallback | None = None,
) -> Pipeline:
    info = type(backend).info
    logs = ItemLogs(ITEM_LOGGER, f"moisson.harvest.backends.{info.id}")
    buffered = BufferedPageCache(pages)
    ctx = RunContext(
        source=SourceView(
            id=ref.id, name=source.name, url=source.url, domain=ref.domain, backend=info.id
        ),
        config=SourceConfig(dict(source.config or {}), info),
        http=http,
        log=logs[f"moisson.harvest.backends.{info.id}"],
        licenses=LicenseTable.load(settings.harvest.licenses_file),
        pages=buffered,
        preview=preview,
        language=settings.harvest.language,
    )
    return Pipeline(
        session,
        settings,
        job=job,
        source=ref,
        record_source_id=record_source_id,
        backend=backend,
        ctx=ctx,
        logs=logs,
        pages=buffered,
        limits=limits,
        checkpoint=checkpoint,
        on_progress=on_progress,
    )


@dataclass
class Prefetched:
    """Records pulled from `gather` ahead of the run (`Pipeline.prefetch`)."""

    records: list[RemoteRecord] = field(default_factory=list)
    error: Exception | None = None
    """What `gather` raised after these records."""
    out_of_time: bool = False
    """The time budget ran out while pulling: the run is truncated after these records."""

    def replay(self) -> Iterator[RemoteRecord]:
        yield from self.records
        if self.error is not None:
            raise self.error


class BufferedPageCache:
    """Reads the real cache; holds writes until the job knows whether to keep them."""

    def __init__(self, inner: PageCache) -> None:
        self.inner = inner
        self.pending: dict[str, CachedPage] = {}

    def get(self, key: str) -> CachedPage | None:
        return self.inner.get(key)

    def put(self, page: CachedPage) -> None:
        self.pending[page.key] = page


# --------------------------------------------------------------------------- the pipeline


@dataclass
class _Outcome:
    status: ItemStatus
    message: str | None = None
    details: str | None = None
    level: ErrorLevel = ErrorLevel.ERROR
    kind: ItemKind | None = None
    object_id: str | None = None
    unchanged: bool = False
    remote_url: str | None = None
    creation: NewDataset | None = None
    """A dataset this item creates in the write batch (not written yet)."""


@dataclass
class _Pending:
    """An item whose rows wait in the write batch: what a redo one by one needs."""

    record: RemoteRecord
    remote_id: str
    creation: NewDataset
    row: dict[str, Any]
    outcome: _Outcome
    logs: int
    """Log lines the item already has."""
    now: datetime


@dataclass
class _Progress:
    seen: set[str] = field(default_factory=set)
    """Remote ids of every item of this job: their objects are not autoarchived."""
    claimed: set[str] = field(default_factory=set)
    """Remote ids that passed the duplicate check (the first occurrence wins)."""
    unchanged: list[str] = field(default_factory=list)
    done_by_page: dict[str, set[str]] = field(default_factory=dict)
    spoiled_pages: set[str] = field(default_factory=set)
    truncated: bool = False
    unreadable: int = 0
    """Records the backend could not read at all: their remote ids, hence the local objects
    they stand for, are unknown, so autoarchive cannot tell them from vanished records."""


class Pipeline:
    def __init__(
        self,
        session: Session,
        settings: Settings,
        *,
        job: HarvestJob,
        source: SourceRef,
        record_source_id: str,
        backend: Backend,
        ctx: RunContext,
        logs: ItemLogs,
        pages: BufferedPageCache,
        limits: RunLimits,
        checkpoint: Callable[[], None],
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.job = job
        # Kept apart: after a failed flush or a dropped connection, reading `job.id` would
        # itself raise (PendingRollbackError), and `_fail` could not record the failure.
        self.job_id = job.id
        self.source = source
        self.record_source_id = record_source_id
        self.backend = backend
        self.ctx = ctx
        self.logs = logs
        self.item_log = logs[ITEM_LOGGER]
        self.pages = pages
        self.limits = limits
        self.checkpoint = checkpoint
        self.on_progress = on_progress
        self.progress = _Progress()
        self._config_digest = content_hash(json.dumps(ctx.config.raw, sort_keys=True, default=str))
        if source.allow_networks:  # which URLs a draft keeps depends on them (url_checks)
            networks = ",".join(sorted(str(n) for n in source.allow_networks))
            self._config_digest = content_hash(f"{self._config_digest}|{networks}")
        self.lookups = BatchLookups(session, record_source_id)
        self.batch = WriteBatch()
        self.quality = QualityHook.for_run(
            settings.quality,
            public_url=settings.public_url,
            source_id=source.id,
            config=ctx.config.raw,
            licenses=ctx.licenses,
            preview=ctx.preview,
        )
        self._pending: list[_Pending] = []
        self._first_part: FirstPart | None = None
        """What the job did before it was resumed (`continue_first_part`)."""
        self._resume_at: Json | None = ctx.resume
        """The cursor the next commit writes: `resume` of the last record closed."""
        self.allocation_retries = 0
        """Items done again after losing a race with a concurrent job (`_in_savepoint`)."""
        self._fresh_transaction = True
        self._uncommitted = 0
        self._last_checkpoint = time.monotonic()
        self._prefetched: Prefetched | None = None
        # On SQLite, another writer of this process queued behind the run's transaction.
        self._write_gate = write_gate_of(session)
        self._commit_every_seconds = (
            COMMIT_EVERY_SECONDS if self._write_gate is None else COMMIT_EVERY_SECONDS_GATED
        )

    def run(self) -> None:
        with log_context(source_id=self.source.id, job_id=self.job.id):
            try:
                try:
                    self._gather()
                    self._finish()
                except Exception as exc:
                    self._fail(exc)
                self._settle_quality()
            finally:
                self.quality.close()
            self._report_progress()

    def _settle_quality(self) -> None:
        """Store the results the separate assessment process still holds, after the job's
        last commit (its status is final; its quality counters move once more)."""
        if not self.quality.waiting:
            return
        try:
            self.quality.drain(self.session, self.job)
            self.checkpoint()
        except SQLAlchemyError:
            logger.exception("Job %s: the last quality results could not be stored", self.job_id)
            self.session.rollback()

    def _report_progress(self) -> None:
        if self.on_progress is None:
            return
        try:
            self.on_progress(self.job)
        except Exception:  # a broken progress display must not fail a harvest
            logger.exception("Progress callback of job %s failed", self.job.id)

    # ---------------------------------------------------------------- gather

    def _gather(self) -> None:
        """Pull a batch of records from `gather` with no transaction open (that is where
        the remote is waited for), then decide and write it in a short transaction, ended
        by a checkpoint before the next pull."""
        started = time.monotonic()
        prefetched = self._prefetched
        records = prefetched.replay() if prefetched is not None else self._records()
        for batch in self._batches(iter(records)):
            self._heartbeat()
            self._write_batch()  # the lookups must see what the previous batch wrote
            self.lookups.load(r.remote_id for r in batch if r.remote_id and not r.failure)
            for record in batch:
                if self._must_stop(started):
                    return
                self._process(record)
            if not self._fresh_transaction:
                self._checkpoint()
        if prefetched is not None and prefetched.out_of_time:
            self._truncate(self._time_reason())

    def continue_first_part(self) -> None:
        """This job was resumed: take up what its first part did (see the module docstring).
        Reads the job's items, in the transaction that started the run."""
        first = self._first_part = FirstPart.of(self.session, self.job)
        self.progress.seen |= first.done
        self.progress.claimed |= first.done
        self.progress.unchanged.extend(first.unchanged)
        self.progress.unreadable = first.unreadable
        self._resume_at = first.cursor

    def _records(self) -> Iterator[RemoteRecord]:
        """What `gather` yields; for a resumed job, from its cursor and without the records
        of its first part (`FirstPart.records`)."""
        if self._first_part is None:
            return self.backend.gather(self.ctx)

        def gather(cursor: Json | None) -> Iterator[RemoteRecord]:
            self.ctx.resume = self._resume_at = cursor
            return self.backend.gather(self.ctx)

        return self._first_part.records(gather, self._start_over)

    def _start_over(self, message: str) -> None:
        logger.warning("Job %s: %s", self.job_id, message)
        # Added to the session only: it is written with the next batch's transaction.
        errors_repo.add(self.session, self.job_id, message, level=ErrorLevel.WARNING)

    def prefetch(self) -> None:
        """Pull from `gather` now, before any transaction, every record a run would start
        within its limits (a preview: its whole run then fits in one short transaction)."""
        limits = self.limits
        wanted = None if limits.max_items is None else limits.max_items + 1
        budget, started = limits.time_budget, time.monotonic()
        fetched = Prefetched()
        try:
            for record in self.backend.gather(self.ctx):
                if budget is not None and time.monotonic() - started > budget:
                    fetched.out_of_time = True
                    break
                fetched.records.append(record)
                if wanted is not None and len(fetched.records) >= wanted:
                    break
        except Exception as exc:
            fetched.error = exc
        self._prefetched = fetched

    def _heartbeat(self) -> None:
        """The first write of every transaction of the run: the job's heartbeat."""
        if self._fresh_transaction:
            jobs_repo.touch(self.session, self.job.id, utcnow())
            self._fresh_transaction = False
            self._last_checkpoint = time.monotonic()  # the transaction's age counts from here

    def _batches(self, records: Iterator[RemoteRecord]) -> Iterator[list[RemoteRecord]]:
        """Consecutive records of one page, at most `LOOKUP_BATCH`, and never more than
        `max_items` leaves room for (so no record is pulled that the loop would not have
        pulled). Records pulled before `gather` fails are yielded before the error."""
        batch: list[RemoteRecord] = []
        room = self._room()
        try:
            for record in records:
                if batch and (record.page != batch[0].page or len(batch) >= room):
                    yield batch
                    batch, room = [], self._room()
                batch.append(record)
                if len(batch) >= room:
                    yield batch
                    batch, room = [], self._room()
        except Exception:
            if batch:
                yield batch
            raise
        if batch:
            yield batch

    def _room(self) -> int:
        max_items = self.limits.max_items
        if max_items is None:
            return LOOKUP_BATCH
        return max(1, min(LOOKUP_BATCH, max_items - self.job.items_total))

    def _must_stop(self, started: float) -> bool:
        limits = self.limits
        if limits.max_items is not None and self.job.items_total >= limits.max_items:
            reason = (
                f"{limits.max_items} max items reached, "
                "not all datasets/dataservices were retrieved"
            )
        elif (
            limits.time_budget is not None
            and self._prefetched is None  # a prefetch applied the budget while pulling
            and time.monotonic() - started > limits.time_budget
        ):
            reason = self._time_reason()
        else:
            return False
        self._truncate(reason)
        return True

    def _time_reason(self) -> str:
        return (
            f"Time budget of {self.limits.time_budget:g}s reached, "
            "not all datasets/dataservices were retrieved"
        )

    def _truncate(self, reason: str) -> None:
        self.progress.truncated = True
        self.job.truncated = True
        if self.limits.note_truncation:
            errors_repo.add(self.session, self.job.id, reason, level=ErrorLevel.WARNING)

    # ---------------------------------------------------------------- one item

    def _process(self, record: RemoteRecord) -> None:
        job = self.job
        now = utcnow()
        self._heartbeat()
        item: dict[str, Any] = {
            "id": new_id(),
            "job_id": job.id,
            "seq": job.items_total,
            "remote_id": record.remote_id,
            "page": record.page,
            "started": now,
            "kwargs": dict(record.kwargs),
        }
        job.items_total += 1
        job.items_started += 1
        source_error: SourceError | None = None
        with log_context(remote_id=record.remote_id), self.logs.capture() as lines:
            try:
                outcome = self._outcome(record, now)
            except SourceError as exc:
                source_error = exc
                outcome = _Outcome(ItemStatus.FAILED, exc.message, exc.details)
        # Written only with the batch: one INSERT with the final state rather than INSERT
        # then UPDATE (the item is never committed while `started`).
        self._close_item(item, record, outcome, lines, now)
        self._report_progress()
        if source_error is not None:
            self._checkpoint()
            raise source_error
        self._uncommitted += 1
        if (
            self._uncommitted >= COMMIT_EVERY_ITEMS
            or time.monotonic() - self._last_checkpoint >= self._commit_every_seconds
            or (self._write_gate is not None and self._write_gate.waiting > 0)
        ):
            self._checkpoint()

    def _checkpoint(self) -> None:
        self._commit()
        self._fresh_transaction = True
        self._uncommitted = 0
        self._last_checkpoint = time.monotonic()

    def _outcome(self, record: RemoteRecord, now: datetime) -> _Outcome:
        if record.failure:
            self.progress.unreadable += 1
            return _Outcome(ItemStatus.FAILED, record.failure, record.failure_details)
        if not record.remote_id:
            return _Outcome(ItemStatus.SKIPPED, "missing identifier", level=ErrorLevel.WARNING)
        remote_id = record.remote_id
        unchanged = self._unchanged_from_lookups(record, remote_id)
        if unchanged is not None:
            return unchanged
        return self._guarded(remote_id, lambda: self._map_and_reconcile(record, remote_id, now))

    def _guarded(self, remote_id: str, work: Callable[[], _Outcome]) -> _Outcome:
        """The outcome of `work` on a record, or of the exception that escaped it."""
        try:
            return work()
        except SkipItem as exc:
            return _Outcome(ItemStatus.SKIPPED, exc.message, exc.details, level=ErrorLevel.WARNING)
        except ItemError as exc:
            return _Outcome(ItemStatus.FAILED, exc.message, exc.details)
        except SourceError:
            raise
        except httpx.HTTPError as exc:
            return _Outcome(ItemStatus.FAILED, describe(exc), traceback.format_exc())
        except Exception as exc:
            if isinstance(exc, DBAPIError) and exc.connection_invalidated:
                raise  # the session is unusable: this ends the job, not just the item
            self.item_log.exception("Error while processing %s: %s", remote_id, exc)
            return _Outcome(ItemStatus.FAILED, describe(exc), traceback.format_exc())
        finally:  # what the batch lookups said about this record may be stale now
            self.lookups.forget(remote_id)

    def _map_and_reconcile(self, record: RemoteRecord, remote_id: str, now: datetime) -> _Outcome:
        """A record surely new (no stored record, no object with its remote id: the lookups
        say so) that maps to a dataset goes to the write batch with no savepoint and no
        query. Anything else is reconciled the ordinary way, in its own savepoint, after
        the batch is written (it may read what the batch holds)."""
        draft: DatasetDraft | DataserviceDraft | None = None
        if (
            not record.unchanged
            and self.lookups.stored(remote_id) is None
            and remote_id not in self.progress.claimed
        ):
            draft = self._map(record)
            # New datasets are written in batches; everything else is reconciled one by one.
            if isinstance(draft, DatasetDraft) and not self.lookups.may_exist(
                kinds.DATASETS.item, remote_id
            ):
                return self._create_in_batch(record, remote_id, draft, now)
        self._write_batch()
        return self._in_savepoint(remote_id, lambda: self._reconcile(record, remote_id, now, draft))

    def _in_savepoint(self, remote_id: str, work: Callable[[], _Outcome]) -> _Outcome:
        """`work` in a savepoint of its own; done again in a fresh one when it lost a race
        with a concurrent job (a slug or contact point taken between its lookup and its
        flush, a deadlock: `db_errors.is_retryable`), so the retry chooses around what the
        other job wrote instead of failing the item."""
        claimed_before = remote_id in self.progress.claimed
        attempt = 1
        while True:
            try:
                with self.session.begin_nested():
                    return work()
            except DBAPIError as exc:
                if attempt >= ITEM_ATTEMPTS or not db_errors.is_retryable(exc):
                    raise
                if not claimed_before:  # the attempt claimed it; the next one will again
                    self.progress.claimed.discard(remote_id)
                self.allocation_retries += 1
                attempt += 1
                logger.info(
                    "Job %s: %s lost a race with another job (%s); processing it again",
                    self.job_id,
                    remote_id,
                    db_errors.driver_message(exc),
                )

    def _map(self, record: RemoteRecord) -> DatasetDraft | DataserviceDraft:
        draft = self.backend.map(record, self.ctx)
        if not isinstance(draft, DatasetDraft | DataserviceDraft):
            raise TypeError(f"{type(self.backend).__name__}.map() returned {type(draft).__name__}")
        draft = usable_urls(draft, self.source.allow_networks, self.item_log)
        self.quality.mapped(record, draft)
        return draft

    def _create_in_batch(
        self, record: RemoteRecord, remote_id: str, draft: DatasetDraft, now: datetime
    ) -> _Outcome:
        self._claim(remote_id)
        creation = self.batch.new_dataset(
            draft,
            source=self.source,
            remote_id=remote_id,
            record=self._record_row(record, remote_id, kinds.DATASETS.item, now),
            now=now,
        )
        self.lookups.in_use(kinds.DATASETS.item, remote_id)
        return _Outcome(
            ItemStatus.DONE,
            kind=kinds.DATASETS.item,
            object_id=creation.id,
            remote_url=draft.harvest.remote_url or record.url,
            creation=creation,
        )

    def _record_row(
        self, record: RemoteRecord, remote_id: str, kind: ItemKind, now: datetime
    ) -> dict[str, Any]:
        return {
            "source_id": self.record_source_id,
            "remote_id": remote_id,
            "kind": str(kind),
            "content_hash": self._fingerprint(record),
            "payload": payload_text(record.payload),
            "job_id": self.job_id,
            "updated_at": now,
        }

    def _unchanged_from_lookups(self, record: RemoteRecord, remote_id: str) -> _Outcome | None:
        """The outcome of an unchanged record whose object is live and this source's, decided
        from the batch lookups alone (nothing to write, so no savepoint); `None` for every
        other case, which `_reconcile` then handles the ordinary way."""
        stored = self.lookups.stored(remote_id)
        if not isinstance(stored, RecordState) or remote_id in self.progress.claimed:
            return None
        if not record.unchanged and not (
            stored.content_hash == self._fingerprint(record) and stored.kind == str(record.kind)
        ):
            return None
        state = self.lookups.object_state(stored)
        if (
            state is None
            or state.archived
            or state.harvest_source_id != self.source.id
            or state.harvest_remote_id != remote_id
        ):
            return None
        self._claim(remote_id)
        self.progress.unchanged.append(remote_id)
        return _Outcome(
            ItemStatus.DONE,
            kind=kinds.linked_kind(stored),
            object_id=state.id,
            unchanged=True,
            remote_url=state.harvest_remote_url or record.url,
        )

    def _reconcile(
        self,
        record: RemoteRecord,
        remote_id: str,
        now: datetime,
        draft: DatasetDraft | DataserviceDraft | None = None,
    ) -> _Outcome:
        """Match, check, apply and stamp through the ORM; `draft` is the record's mapping
        when it is already done."""
        session, source = self.session, self.source
        fingerprint = self._fingerprint(record)
        known = self.lookups.stored(remote_id)
        stored: HarvestRecord | RecordState | None = (
            known
            if not isinstance(known, Unknown)
            else records.get(session, self.record_source_id, remote_id)
        )
        if record.unchanged or (
            stored is not None
            and stored.content_hash == fingerprint
            and stored.kind == str(record.kind)
        ):
            obj = self._recorded_object(stored, remote_id)
            if obj is not None:
                self._claim(remote_id)
                if is_archived(obj):  # a returning record: un-archive, nothing to re-map
                    stamp(obj, source, remote_id, now)
                    session.flush()
                self.progress.unchanged.append(remote_id)
                return self._done(obj, record, unchanged=True)
            if record.unchanged:
                raise InvalidItem(
                    f"The page cache reports record {remote_id!r} unchanged but its local "
                    "object is gone: a full re-harvest of this source is needed (clear its "
                    "page cache)"
                )
        if draft is None:
            draft = self._map(record)
        kind = kinds.of_draft(draft)
        obj = (
            find_existing(session, kind.model, remote_id, source)
            if self.lookups.may_exist(kind.item, remote_id)
            else None
        )
        if obj is not None:
            check_owner(session, obj, source)
        self._claim(remote_id)
        if obj is None:
            obj = new_object(session, kind.model, draft.title, source)
        kind.apply(session, obj, draft, source, now)
        stamp(obj, source, remote_id, now)
        session.flush()
        records.save(
            session,
            source_id=self.record_source_id,
            remote_id=remote_id,
            kind=str(kind.item),
            content_hash=fingerprint,
            payload=payload_text(record.payload),
            **kind.links(obj.id),
            job_id=self.job.id,
            now=now,
            known_absent=known is None,
        )
        self.lookups.in_use(kind.item, remote_id)
        return self._done(obj, record)

    def _recorded_object(self, stored: Any, remote_id: str) -> HarvestedObject | None:
        found = kinds.linked(stored) if stored is not None else None
        if found is None:
            return None
        kind, object_id = found
        obj: HarvestedObject | None = harvested.by_id(self.session, kind.model, object_id)
        if obj is None or obj.harvest_source_id != self.source.id:
            return None
        return obj if obj.harvest_remote_id == remote_id else None

    def _claim(self, remote_id: str) -> None:
        if remote_id in self.progress.claimed:
            raise DuplicateIdentifier(f"Identifier '{remote_id}' already exists")
        self.progress.claimed.add(remote_id)

    def _done(
        self, obj: HarvestedObject, record: RemoteRecord, *, unchanged: bool = False
    ) -> _Outcome:
        return _Outcome(
            ItemStatus.DONE,
            kind=kinds.of_object(obj).item,
            object_id=obj.id,
            unchanged=unchanged,
            remote_url=obj.harvest_remote_url or record.url,
        )

    def _fingerprint(self, record: RemoteRecord) -> str:
        """What must be equal for a record to count as unchanged: its content, and the
        source URL and config it is mapped under (a config edit re-maps everything)."""
        return content_hash(
            f"{record.kind}|{record.content_hash}|{self.source.url}|{self._config_digest}"
        )

    def _close_item(
        self,
        item: dict[str, Any],
        record: RemoteRecord,
        outcome: _Outcome,
        lines: list[tuple[str, str]],
        now: datetime,
    ) -> None:
        """Count the item, and hand its rows (item, error, logs) to the write batch."""
        self.job.items_started -= 1
        self._count(outcome, +1)
        self._set_outcome(item, record, outcome)
        errors = [self._error_row(item, outcome)] if outcome.message else []
        logs = self._log_rows(item, lines, first_seq=0)
        self.batch.add_item(item, errors, logs)
        self.quality.closed(record, item)
        if outcome.creation is not None and record.remote_id:
            self._pending.append(
                _Pending(record, record.remote_id, outcome.creation, item, outcome, len(lines), now)
            )
        if record.remote_id:
            self.progress.seen.add(record.remote_id)
        self._resume_at = record.resume
        self._note_page(record, outcome)

    def _count(self, outcome: _Outcome, step: int) -> None:
        job = self.job
        if outcome.kind is not None:
            counter = kinds.of_item(outcome.kind).counter
            setattr(job, counter, getattr(job, counter) + step)
        _bump(job, outcome.status, step)
        if outcome.unchanged:
            job.items_unchanged += step

    @staticmethod
    def _set_outcome(item: dict[str, Any], record: RemoteRecord, outcome: _Outcome) -> None:
        item.update(
            status=outcome.status,
            ended=utcnow(),
            unchanged=outcome.unchanged,
            remote_url=outcome.remote_url or record.url,
            kind=str(outcome.kind) if outcome.kind is not None else str(record.kind),
            **kinds.links(outcome.kind, outcome.object_id),
        )

    def _error_row(self, item: dict[str, Any], outcome: _Outcome) -> dict[str, Any]:
        return {
            "id": new_id(),
            "job_id": self.job_id,
            "item_id": item["id"],
            "level": outcome.level,
            "message": outcome.message,
            "details": outcome.details,
            "created_at": utcnow(),
        }

    @staticmethod
    def _log_rows(
        item: dict[str, Any], lines: list[tuple[str, str]], *, first_seq: int
    ) -> list[dict[str, Any]]:
        return [
            {"id": new_id(), "item_id": item["id"], "seq": seq, "level": level, "message": message}
            for seq, (level, message) in enumerate(lines, start=first_seq)
        ]

    def _note_page(self, record: RemoteRecord, outcome: _Outcome) -> None:
        progress = self.progress
        if record.page is not None:
            if outcome.status == ItemStatus.DONE and record.remote_id:
                progress.done_by_page.setdefault(record.page, set()).add(record.remote_id)
            else:
                progress.spoiled_pages.add(record.page)

    # ---------------------------------------------------------------- the write batch

    def _write_batch(self) -> None:
        """Write the rows the batch holds, in one savepoint; when that fails, redo its new
        datasets one by one (`moisson.harvest.batch`). Called before anything that reads
        what the batch may hold (the next lookups, an item reconciled through the ORM, the
        end of the job) and before every commit."""
        batch = self.batch
        if not batch:
            return
        try:
            with self.session.begin_nested():
                batch.write(self.session)
        except Exception as exc:
            if isinstance(exc, DBAPIError) and exc.connection_invalidated:
                raise
            logger.info(
                "Job %s: a batch write failed (%s); writing its items one by one",
                self.job_id,
                describe(exc),
            )
            batch.take_datasets()
            for pending in self._pending:
                self._redo(pending)
            batch.write_items(self.session)
        batch.written()
        self._pending = []

    def _redo(self, pending: _Pending) -> None:
        """Create the dataset of an item of a failed batch write through the ORM path, in
        its own savepoint; when that fails, the item fails as it would have in the first
        place (its counters, row, error and log lines corrected)."""
        record, item, old = pending.record, pending.row, pending.outcome
        creation, remote_id = pending.creation, pending.remote_id

        def create() -> _Outcome:
            obj = new_object(self.session, Dataset, creation.title, self.source)
            obj.id = creation.id
            kinds.DATASETS.apply(self.session, obj, creation.draft, self.source, pending.now)
            stamp(obj, self.source, remote_id, pending.now)
            self.session.flush()
            row = creation.record
            records.save(
                self.session,
                source_id=row["source_id"],
                remote_id=remote_id,
                kind=row["kind"],
                content_hash=row["content_hash"],
                payload=row["payload"],
                dataset_id=creation.id,
                dataservice_id=None,
                job_id=row["job_id"],
                now=pending.now,
                known_absent=True,
            )
            self.session.flush()
            return old

        with self.logs.capture() as lines:
            outcome = self._guarded(remote_id, lambda: self._in_savepoint(remote_id, create))
        if outcome is not old:
            self._count(old, -1)
            self._count(outcome, +1)
            self._set_outcome(item, record, outcome)
            self.progress.done_by_page.get(record.page or "", set()).discard(remote_id)
            self._note_page(record, outcome)
            errors = [self._error_row(item, outcome)] if outcome.message else []
            self.batch.add_notes(errors, self._log_rows(item, lines, first_seq=pending.logs))

    # ---------------------------------------------------------------- the end

    def _commit(self) -> None:
        self._write_batch()
        self.quality.flush(self.session, self.job)
        if not self.ctx.preview and self.job.status not in FINAL_JOB_STATUSES:
            # In the transaction of the items it follows: a resumed job starts from here.
            self.job.cursor = {"at": self._resume_at, "unreadable": self.progress.unreadable}
        self.checkpoint()

    def _finish(self) -> None:
        session, job, source = self.session, self.job, self.source
        self._write_batch()
        now = utcnow()
        jobs_repo.touch(session, job.id, now)
        records.mark_seen(session, self.record_source_id, self.progress.unchanged, job.id, now)
        if source.autoarchive and self.progress.unreadable:
            errors_repo.add(
                session,
                job.id,
                f"Autoarchive skipped: {self.progress.unreadable} record(s) could not be read, "
                "so the datasets they stand for cannot be told apart from vanished ones",
                level=ErrorLevel.WARNING,
            )
        elif source.autoarchive and source.id is not None and not self.progress.truncated:
            with session.begin_nested():
                refusal = autoarchive(
                    session,
                    source_id=source.id,
                    seen=self.progress.seen,
                    now=now,
                    grace_days=self.settings.harvest.autoarchive_grace_days,
                    max_ratio=self.settings.harvest.autoarchive_max_ratio,
                    report=self._archived_item,
                )
            if refusal is not None:
                errors_repo.add(session, job.id, refusal, level=ErrorLevel.WARNING)
        self._keep_pages()
        job.status = JobStatus.DONE_ERRORS if job.items_failed else JobStatus.DONE
        job.ended = utcnow()
        job.cursor = None
        self._commit()

    def _archived_item(self, archival: Archival) -> None:
        job, obj = self.job, archival.obj
        item = HarvestItem(
            job_id=job.id,
            seq=job.items_total,
            remote_id=obj.harvest_remote_id,
            remote_url=obj.harvest_remote_url,
            kind=str(archival.kind),
            status=ItemStatus.ARCHIVED,
        )
        kind = kinds.of_item(archival.kind)
        setattr(item, kind.link_column, obj.id)
        setattr(job, kind.counter, getattr(job, kind.counter) + 1)
        self.session.add(item)
        job.items_total += 1
        job.items_archived += 1

    def _keep_pages(self) -> None:
        progress = self.progress
        for page in self.pages.pending.values():
            needed = {remote_id for remote_id, _kind in page.records}
            if page.key in progress.spoiled_pages:
                continue
            if needed <= progress.done_by_page.get(page.key, set()):
                self.pages.inner.put(page)

    def _fail(self, exc: Exception) -> None:
        session = self.session
        job_id = self.job_id
        rolled_back = isinstance(exc, SQLAlchemyError)
        if not rolled_back:
            try:  # the items processed before the failure stay
                self._write_batch()
            except SQLAlchemyError:
                logger.exception("Job %s: its uncommitted items could not be written", job_id)
                rolled_back = True
        if rolled_back:
            session.rollback()
            self.batch.discard()
            self._pending = []
            job = jobs_repo.by_id(session, job_id)
            if job is None:  # the job row itself was rolled back (a preview): nothing to record on
                raise exc
            self.job = job
        level, message, details = classify(exc)
        if level == ErrorLevel.ERROR and not isinstance(exc, SourceError):
            logger.error("Harvest job %s failed: %s", job_id, message, exc_info=exc)
        else:
            logger.warning("Harvest job %s failed: %s", job_id, message)
        now = utcnow()
        jobs_repo.touch(session, job_id, now)
        errors_repo.add(session, job_id, message, level=level, details=details, now=now)
        self.job.status = JobStatus.FAILED
        self.job.ended = now
        self.job.cursor = None
        self._commit()


# --------------------------------------------------------------------------- helpers


def classify(exc: BaseException) -> tuple[ErrorLevel, str, str | None]:
    """(level, message, details) of a job-level failure (see the module docstring)."""
    trace = "".join(traceback.format_exception(exc))
    if isinstance(exc, SourceInvalid):
        return ErrorLevel.ERROR, exc.message, exc.details
    if isinstance(exc, SourceUnavailable):
        return ErrorLevel.WARNING, exc.message, exc.details or trace
    if isinstance(exc, BlockedAddress):
        return ErrorLevel.ERROR, describe(exc), trace
    if isinstance(exc, httpx.HTTPError):
        return ErrorLevel.WARNING, describe(exc), trace
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return ErrorLevel.ERROR, f"The database connection was lost: {describe(exc)}", trace
    return ErrorLevel.ERROR, describe(exc), trace


def describe(exc: BaseException) -> str:
    """A one-line message for an exception, naming the URL of a failed request, and for a
    database error the database's own message and detail (constraint, key) rather than
    SQLAlchemy's wrapping (its autoflush hint, the SQL)."""
    if isinstance(exc, DBAPIError):
        return db_errors.driver_message(exc)
    text = str(exc).strip()
    message = text.splitlines()[0] if text else type(exc).__name__
    if isinstance(exc, httpx.RequestError | httpx.HTTPStatusError):
        try:
            url = str(exc.request.url)
        except RuntimeError:  # an httpx error raised without its request
            url = ""
        if url and url not in message:
            message = f"{message} ({url})"
    if not text or isinstance(exc, httpx.TimeoutException):
        message = f"{type(exc).__name__}: {message}" if text else message
    return message


def payload_text(payload: Any) -> str | None:
    """The raw payload as text, when it is text, bytes or JSON data; else `None`."""
    if payload is None:
        return None
    if isinstance(payload, str):
        return payload
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace")
    try:
        return json.dumps(payload, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return None


def _bump(job: HarvestJob, status: ItemStatus, step: int = 1) -> None:
    name = f"items_{status.value}"
    setattr(job, name, getattr(job, name) + step)
