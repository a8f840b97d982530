"""What happens to a source after it is registered: validation, runs, schedules, previews.

Starting a job is two steps: a `pending` job row is created in the caller's transaction, and
the caller hands its id to the job runner only once that transaction has committed
(`Launched.job_id`), so a worker never looks for a job that is not there yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from moisson.backends import enabled_backends
from moisson.config import Settings
from moisson.domain.enums import JobStatus, ValidationState
from moisson.domain.exceptions import SourceInvalid
from moisson.domain.json import Json
from moisson.errors import Conflict, InvalidInput
from moisson.harvest.results import PreviewResult
from moisson.mapping.text import slugify
from moisson.services import presenters
from moisson.services.auth import Caller, require_authenticated
from moisson.services.notifications import queue_validation_event
from moisson.services.permissions import (
    require_owner_admin,
    require_owner_editor,
    require_sysadmin,
)
from moisson.services.runs import active_job, create_pending_job
from moisson.services.scheduling import clear_schedule, schedule_from_text, set_schedule
from moisson.services.sources import check_new_source, present_one, resolve_source
from moisson.storage.models import HarvestSource
from moisson.storage.repositories import datasets as datasets_repo
from moisson.storage.repositories import organizations as orgs_repo
from moisson.storage.repositories import users as users_repo
from moisson.storage.session import end_before_wait, writer_like

MANUAL_RUN_DISABLED = (
    "Cannot run source manually. Please contact the platform if you need to reschedule the "
    "harvester."
)
NOT_VALIDATED = "Source is not validated. Please validate the source before running."


@dataclass(frozen=True, slots=True)
class Launched:
    """A presented source, and the job to submit once the transaction has committed."""

    source: Json
    job_id: str | None


def run_source(
    session: Session,
    settings: Settings,
    caller: Caller,
    segment: str,
    *,
    adopt_pending: bool = False,
) -> Launched:
    """Checks in udata's order: the manual-run switch (400, before the permission), the
    permission (403), the validation (400, sysadmins included); then one pending job, or
    409 if the source already has one waiting or running.

    With `adopt_pending`, a job of the source still waiting in the queue is returned instead
    of a 409: the CLI's foreground `run` takes over the job `validate` or `launch` queued
    (whichever worker takes a pending job first runs it; the other finds nothing to do)."""
    source = resolve_source(session, segment)
    require_authenticated(caller)
    if not settings.harvest.enable_manual_run and not caller.is_sysadmin:
        raise InvalidInput(MANUAL_RUN_DISABLED)
    require_owner_admin(caller, source)
    if source.validation_state != ValidationState.ACCEPTED:
        raise InvalidInput(NOT_VALIDATED)
    waiting = active_job(session, source.id) if adopt_pending else None
    if waiting is not None and waiting.status == JobStatus.PENDING:
        return Launched(source=present_one(session, caller, source), job_id=waiting.id)
    job = create_pending_job(session, source)
    return Launched(source=present_one(session, caller, source), job_id=job.id)


def validate_source(
    session: Session,
    settings: Settings,
    caller: Caller,
    segment: str,
    decision: Mapping[str, Any],
) -> Launched:
    """Accept (schedule by default and launch a job) or refuse (comment required).

    Unlike udata, `{}` or `pending` is a 400, not a refusal (docs/design.md §4). Accepting a
    source whose job is already waiting or running keeps that job instead of failing."""
    source = resolve_source(session, segment)
    require_sysadmin(caller)
    state = decision.get("state")
    comment = decision.get("comment")
    comment = comment.strip() if isinstance(comment, str) and comment.strip() else None
    if state not in (ValidationState.ACCEPTED, ValidationState.REFUSED):
        shown = "missing" if state is None else repr(state)
        raise InvalidInput(
            f"The validation state must be 'accepted' or 'refused' (got {shown})",
            field="state",
        )
    if state == ValidationState.REFUSED and comment is None:
        raise InvalidInput("'comment' is required when 'state' is 'refused'", field="comment")
    source.validation_state = state
    source.validation_comment = comment
    source.validation_by_id = caller.user_id
    source.validation_on = datetime.now(UTC)
    job_id = None
    if state == ValidationState.ACCEPTED:
        set_schedule(source, cron=settings.harvest.default_schedule, now=datetime.now(UTC))
        try:
            job_id = create_pending_job(session, source).id
        except Conflict:
            job_id = None
    queue_validation_event(session, settings, source, state, comment)
    session.flush()
    return Launched(source=present_one(session, caller, source), job_id=job_id)


def schedule_source(session: Session, caller: Caller, segment: str, cron: object) -> Json:
    source = resolve_source(session, segment)
    require_sysadmin(caller)
    schedule_from_text(source, cron, now=datetime.now(UTC))
    session.flush()
    return present_one(session, caller, source)


def unschedule_source(session: Session, caller: Caller, segment: str) -> None:
    source = resolve_source(session, segment)
    require_sysadmin(caller)
    clear_schedule(source)
    session.flush()


# --------------------------------------------------------------------------- previews


def _present_preview(
    session: Session,
    settings: Settings,
    caller: Caller,
    result: PreviewResult,
    source_id: str | None,
) -> Json:
    objects = [e.dataset for e in result.items if e.dataset is not None] + [
        e.dataservice for e in result.items if e.dataservice is not None
    ]
    related = presenters.ObjectRelations(
        users=users_repo.by_ids(session, (o.owner_id for o in objects if o.owner_id)),
        organizations=orgs_repo.by_ids(
            session, (o.organization_id for o in objects if o.organization_id)
        ),
        contact_points=datasets_repo.contact_points_by_ids(
            session, (cid for o in objects for cid in o.contact_point_ids or [])
        ),
    )
    return presenters.present_preview(result, related, settings, caller, source_id=source_id)


def _run_preview(session: Session, settings: Settings, source: HarvestSource) -> PreviewResult:
    # Imported here: the engine depends on the storage layer and the backends, which the
    # rest of this module does not need.
    from moisson.harvest.preview import preview_source

    # The caller's transaction ends before the preview waits on the remote; the preview's
    # own short transaction (rolled back) comes after the fetch (`moisson.harvest.preview`).
    # A request that previews writes nothing before. Bound to a connection (tests joined to
    # an outer transaction), the preview joins it in a savepoint instead.
    try:
        writer = writer_like(session)
        if writer is None:
            joined = sessionmaker(
                bind=session.connection(),
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
            )
            return preview_source(joined, settings, source)
        return preview_source(writer, settings, source, release=lambda: end_before_wait(session))
    except SourceInvalid as exc:  # e.g. credentials no configured key decrypts
        raise InvalidInput(str(exc)) from None


def preview_new_source(
    session: Session,
    settings: Settings,
    caller: Caller,
    changes: Mapping[str, Any],
) -> Json:
    """A dry run of a configuration that is never saved (`source` and `harvest.source_id`
    are null in the result)."""
    values = check_new_source(session, settings, caller, changes, saving=False)
    source = HarvestSource(
        **values,
        slug=slugify(values["name"]) or "source",
        validation_state=ValidationState.PENDING,
        created_at=datetime.now(UTC),
    )
    result = _run_preview(session, settings, source)
    return _present_preview(session, settings, caller, result, None)


def preview_existing_source(
    session: Session,
    settings: Settings,
    caller: Caller,
    segment: str,
) -> Json:
    """A dry run of a stored source, whatever its validation state (owner-editor)."""
    source = resolve_source(session, segment)
    require_owner_editor(caller, source)
    if source.backend not in enabled_backends(settings.harvest.backends):
        raise InvalidInput(
            f"Backend {source.backend} unknown. Make sure it is declared in "
            "MOISSON_HARVEST__BACKENDS."
        )
    result = _run_preview(session, settings, source)
    return _present_preview(session, settings, caller, result, source.id)
