"""Notification subscriptions (create, list, delete) and the queueing of events.

Events of a job are queued by `notify_job_finished`, in a short transaction of its own once
the job's last commit is done (the worker calls it after the engine returns, the watchdog
after failing a dead job): never inside a harvest's transaction, never waiting on the
network. A source's validation queues its event in the validating transaction, so the
event exists if and only if the decision does. Sending is `notification_delivery`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.domain.enums import FINAL_JOB_STATUSES
from moisson.domain.json import Json
from moisson.domain.notifications import (
    Event,
    InvalidSubscription,
    JobFacts,
    job_events,
    parse_subscription,
    wants,
)
from moisson.encryption import seal_text
from moisson.errors import Forbidden, InvalidInput, NotFound
from moisson.services.auth import Caller, require_authenticated
from moisson.services.permissions import require_owner_admin
from moisson.services.sources import resolve_source
from moisson.services.url_policy import outbound_url_problem
from moisson.storage.models import HarvestJob, HarvestSource
from moisson.storage.notification_models import NotificationDelivery, NotificationSubscription
from moisson.storage.repositories import errors as errors_repo
from moisson.storage.repositories import jobs as jobs_repo
from moisson.storage.repositories import notifications as repo
from moisson.storage.repositories import organizations as orgs_repo
from moisson.storage.repositories import sources as sources_repo
from moisson.storage.session import unit_of_work

logger = logging.getLogger(__name__)
AUTOARCHIVE_REFUSAL = "Autoarchive skipped"


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


# --------------------------------------------------------------------------- subscriptions


def _scope(
    session: Session, caller: Caller, source: str | None, organization: str | None
) -> tuple[HarvestSource | None, str | None]:
    """The source (owner-admin) or organization (its admins) a caller manages."""
    require_authenticated(caller)
    if source is not None:
        found = resolve_source(session, source)
        require_owner_admin(caller, found)
        return found, None
    if organization is None or orgs_repo.by_id(session, organization) is None:
        raise NotFound()
    if not caller.is_sysadmin and not caller.is_org_admin(organization):
        raise Forbidden()
    return None, organization


def present_subscription(subscription: NotificationSubscription) -> Json:
    return {
        "id": subscription.id,
        "source": subscription.source_id,
        "organization": subscription.organization_id,
        "channel": subscription.channel,
        "target": subscription.target,
        "events": list(subscription.events),
        "thresholds": dict(subscription.thresholds or {}),
        "digest": subscription.digest,
        "secret": {"set": subscription.secret_token is not None},
        "created_at": iso(subscription.created_at),
    }


def create_subscription(
    session: Session,
    settings: Settings,
    caller: Caller,
    body: Mapping[str, Any],
    *,
    source: str | None = None,
    organization: str | None = None,
) -> Json:
    """Subscribe an address or a webhook. A webhook gets a signing secret: the one sent, or
    a generated one, returned in this answer only."""
    found, org_id = _scope(session, caller, source, organization)
    try:
        spec = parse_subscription(body)
    except InvalidSubscription as exc:
        raise InvalidInput(exc.message, field=exc.field) from None
    if spec.channel == "webhook":
        problem = outbound_url_problem(spec.target, settings.outbound_allow_networks)
        if problem:
            raise InvalidInput(problem, field="target")
    secret = spec.secret
    if spec.channel == "webhook" and secret is None:
        secret = secrets.token_urlsafe(32)
    subscription = NotificationSubscription(
        source_id=found.id if found is not None else None,
        organization_id=org_id,
        channel=spec.channel,
        target=spec.target,
        events=[event.value for event in spec.events],
        thresholds=dict(spec.thresholds),
        digest=spec.digest,
        secret_token=seal_text(settings, secret) if secret is not None else None,
    )
    session.add(subscription)
    session.flush()
    shown = present_subscription(subscription)
    if secret is not None and spec.secret is None:
        shown["secret"] = {"set": True, "value": secret}  # shown once, at creation
    return shown


def list_subscriptions(
    session: Session, caller: Caller, *, source: str | None = None, organization: str | None = None
) -> list[Json]:
    found, org_id = _scope(session, caller, source, organization)
    rows = repo.subscriptions_of(
        session, source_id=found.id if found else None, organization_id=org_id
    )
    return [present_subscription(row) for row in rows]


def delete_subscription(
    session: Session,
    caller: Caller,
    subscription_id: str,
    *,
    source: str | None = None,
    organization: str | None = None,
) -> None:
    found, org_id = _scope(session, caller, source, organization)
    subscription = repo.subscription(session, subscription_id)
    owner = (subscription.source_id, subscription.organization_id) if subscription else None
    if subscription is None or owner != (found.id if found else None, org_id):
        raise NotFound()
    session.delete(subscription)
    session.flush()


def present_delivery(delivery: NotificationDelivery, attempts: Iterable[Any]) -> Json:
    return {
        "id": delivery.id,
        "subscription": delivery.subscription_id,
        "event": delivery.event,
        "job": delivery.job_id,
        "status": delivery.status,
        "attempts": [
            {
                "at": iso(attempt.at),
                "ok": attempt.ok,
                "status_code": attempt.status_code,
                "error": attempt.error,
            }
            for attempt in attempts
        ],
        "next_attempt_at": iso(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "created_at": iso(delivery.created_at),
        "sent_at": iso(delivery.sent_at),
    }


def list_deliveries(
    session: Session, caller: Caller, *, source: str | None = None, organization: str | None = None
) -> list[Json]:
    """The latest deliveries (100) with every attempt: what was sent, what failed and why."""
    found, org_id = _scope(session, caller, source, organization)
    if found is not None:
        rows = repo.deliveries(session, source_id=found.id)
    else:
        subscribed = repo.subscriptions_of(session, organization_id=org_id)
        rows = repo.deliveries(session, subscription_ids=[s.id for s in subscribed])
    attempts = repo.attempts_of(session, (row.id for row in rows))
    return [present_delivery(row, attempts[row.id]) for row in rows]


# --------------------------------------------------------------------------- queueing


def next_digest_time(settings: Settings, now: datetime) -> datetime:
    """The next `digest_hour` o'clock (UTC) after `now`."""
    moment = now.astimezone(UTC).replace(
        hour=settings.notifications.digest_hour, minute=0, second=0, microsecond=0
    )
    return moment if moment > now else moment + timedelta(days=1)


def _source_json(source: HarvestSource) -> Json:
    return {"id": source.id, "slug": source.slug, "name": source.name, "url": source.url}


def _queue_event(
    session: Session,
    settings: Settings,
    source: HarvestSource,
    event: Event,
    count: int,
    payload: Json,
    *,
    job_id: str | None,
    now: datetime,
) -> int:
    queued = 0
    for subscription in repo.subscriptions_for(session, source):
        if not wants(subscription.events, subscription.thresholds or {}, event, count):
            continue
        delivery = NotificationDelivery(
            subscription_id=subscription.id,
            source_id=source.id,
            job_id=job_id,
            event=event.value,
            payload={**payload, "event": event.value, "count": count},
            next_attempt_at=next_digest_time(settings, now) if subscription.digest else now,
            created_at=now,
        )
        queued += repo.queue(session, delivery)
    return queued


def job_facts(session: Session, job: HarvestJob) -> JobFacts:
    errors = errors_repo.of_job(session, job.id)
    refusal = next((e.message for e in errors if e.message.startswith(AUTOARCHIVE_REFUSAL)), None)
    created = 0
    if job.started is not None and job.ended is not None:
        created = repo.datasets_created_between(session, job.source_id, job.started, job.ended)
    return JobFacts(
        status=job.status,
        items_failed=job.items_failed,
        datasets_created=created,
        archived=job.items_archived,
        autoarchive_refusal=refusal,
        error=errors[0].message if errors else None,
    )


def queue_job_events(session: Session, settings: Settings, job_id: str) -> int:
    """Queue the events of a finished job for its subscribers; returns how many deliveries.
    Idempotent: a job's event is queued once per subscription."""
    job = jobs_repo.by_id(session, job_id)
    if job is None or job.status not in FINAL_JOB_STATUSES:
        return 0
    source = sources_repo.by_id(session, job.source_id)
    if source is None:
        return 0
    facts = job_facts(session, job)
    payload = {
        "source": _source_json(source),
        "job": {
            "id": job.id,
            "status": job.status,
            "started": iso(job.started),
            "ended": iso(job.ended),
            "items_total": job.items_total,
            "items_done": job.items_done,
            "items_failed": job.items_failed,
            "items_archived": job.items_archived,
            "datasets_created": facts.datasets_created,
            "error": facts.error,
            "autoarchive_refusal": facts.autoarchive_refusal,
        },
    }
    now = datetime.now(UTC)
    return sum(
        _queue_event(session, settings, source, event, count, payload, job_id=job.id, now=now)
        for event, count in job_events(facts)
    )


def notify_job_finished(
    session_factory: sessionmaker[Session], settings: Settings, job_ids: Iterable[str]
) -> None:
    """Queue the events of jobs that just ended, each in its own short transaction. A
    failure here is logged and never reaches the harvest that ended."""
    for job_id in job_ids:
        try:
            with unit_of_work(session_factory) as session:
                queue_job_events(session, settings, job_id)
        except Exception:
            logger.exception("Could not queue the notifications of job %s", job_id)


def queue_validation_event(
    session: Session, settings: Settings, source: HarvestSource, state: str, comment: str | None
) -> int:
    """In the validating transaction: the source was accepted or refused."""
    event = Event.SOURCE_ACCEPTED if state == "accepted" else Event.SOURCE_REFUSED
    payload = {"source": _source_json(source), "job": None, "comment": comment}
    return _queue_event(
        session, settings, source, event, 1, payload, job_id=None, now=datetime.now(UTC)
    )


def purge_deliveries(session: Session, *, now: datetime, retention_days: int) -> int:
    """Forget sent and failed deliveries older than the jobs' retention; pending ones stay."""
    return repo.purge_finished(session, now - timedelta(days=retention_days))
