"""Sending queued notifications: e-mail through SMTP, webhooks through the guarded client.

`drain` makes one pass over the due deliveries: a short transaction claims them, the
sending happens with no transaction open, another short transaction records each attempt.
A failed attempt is retried later with exponential backoff (`retry_backoff`, doubling,
capped at 6 hours) until `max_attempts`, then the delivery is `failed`. Claims are leases:
a sender that dies mid-send leaves its deliveries due again a few minutes later, so an
event may (rarely) be sent twice, never lost. Receivers deduplicate on
`X-Moisson-Delivery`.

Webhooks: a JSON POST whose body is signed with the subscription's secret,
`X-Moisson-Signature: sha256=<hex HMAC-SHA256 of the body>`; any 2xx is a success. They go
through the SSRF-guarded client with its own retries off (each try is an attempt recorded
here), and redirects are not followed. E-mail digests gather every due event of one
subscription into one message, once a day at `digest_hour`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import ssl
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.encryption import UndecryptableCredentials, unseal_text
from moisson.http import build_client
from moisson.storage.notification_models import NotificationAttempt
from moisson.storage.repositories import notifications as repo
from moisson.storage.session import unit_of_work

logger = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
BATCH = 50
SIGNATURE_HEADER = "X-Moisson-Signature"

SUBJECTS = {
    "job.failed": "harvest failed",
    "job.done_errors": "harvest done with errors",
    "items.failed": "{count} items failed",
    "autoarchive.refused": "autoarchive refused",
    "autoarchive.done": "{count} objects archived",
    "datasets.created": "{count} datasets created",
    "datasets.archived": "{count} objects archived",
    "source.refused": "source refused",
    "source.accepted": "source accepted",
}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A claimed delivery, detached from the session, with what sending it needs."""

    id: str
    attempts: int
    channel: str
    target: str
    digest: bool
    subscription_id: str
    secret_token: str | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(delivery_id: str, payload: dict[str, Any]) -> bytes:
    document = {**payload, "delivery": delivery_id}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def webhook_client(settings: Settings) -> httpx.Client:
    """The guarded client, with no retries of its own (this queue retries) and the
    webhook timeout."""
    http = settings.http.model_copy(
        update={"max_retries": 0, "read_timeout": settings.notifications.webhook_timeout}
    )
    return build_client(settings.model_copy(update={"http": http}), backend_id="webhook")


def send_webhook(settings: Settings, client: httpx.Client, outgoing: Outgoing) -> Outcome:
    if outgoing.secret_token is None:
        return Outcome(ok=False, error="This webhook has no signing secret")
    try:
        secret = unseal_text(settings, outgoing.secret_token)
    except UndecryptableCredentials as exc:
        return Outcome(ok=False, error=str(exc))
    body = webhook_body(outgoing.id, outgoing.payload)
    headers = {
        "Content-Type": "application/json",
        "X-Moisson-Event": str(outgoing.payload.get("event", "")),
        "X-Moisson-Delivery": outgoing.id,
        SIGNATURE_HEADER: sign(secret, body),
    }
    try:
        response = client.post(outgoing.target, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")
    if 200 <= response.status_code < 300:
        return Outcome(ok=True, status_code=response.status_code)
    return Outcome(
        ok=False,
        status_code=response.status_code,
        error=f"The receiver answered {response.status_code}",
    )


def _describe(payload: dict[str, Any]) -> tuple[str, str]:
    """Subject and text of one event."""
    source = payload.get("source") or {}
    event = str(payload.get("event", ""))
    subject = SUBJECTS.get(event, event).format(count=payload.get("count", 1))
    lines = [f"Source: {source.get('name')} ({source.get('url')})", f"Event: {event}"]
    job = payload.get("job")
    if job:
        lines.append(
            f"Job {job['id']}: {job['status']}, {job['items_total']} items, "
            f"{job['items_failed']} failed, {job['datasets_created']} datasets created, "
            f"{job['items_archived']} archived"
        )
        for key in ("error", "autoarchive_refusal"):
            if job.get(key):
                lines.append(f"{key.replace('_', ' ').capitalize()}: {job[key]}")
    if payload.get("comment"):
        lines.append(f"Comment: {payload['comment']}")
    return f"{source.get('name')}: {subject}", "\n".join(lines)


def email_message(
    settings: Settings, target: str, payloads: Sequence[dict[str, Any]]
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.notifications.sender
    message["To"] = target
    if len(payloads) == 1:
        subject, text = _describe(payloads[0])
        message["Subject"] = f"[Moisson] {subject}"
    else:
        parts = [_describe(payload) for payload in payloads]
        message["Subject"] = f"[Moisson] daily digest: {len(parts)} events"
        text = "\n\n".join(f"{subject}\n{body}" for subject, body in parts)
    message.set_content(text + "\n")
    return message


def send_email(settings: Settings, target: str, payloads: Sequence[dict[str, Any]]) -> Outcome:
    config = settings.notifications
    if not config.smtp_host:
        return Outcome(ok=False, error="No SMTP server: set MOISSON_NOTIFICATIONS__SMTP_HOST")
    message = email_message(settings, target, payloads)
    try:
        smtp: smtplib.SMTP
        if config.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(
                config.smtp_host,
                config.smtp_port,
                timeout=config.smtp_timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.smtp_timeout)
        with smtp:
            if config.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if config.smtp_username:
                smtp.login(config.smtp_username, config.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")
    return Outcome(ok=True)


def _claim(session: Session, now: datetime) -> list[Outgoing]:
    claimed = []
    for delivery in repo.due(session, now, BATCH):
        subscription = repo.subscription(session, delivery.subscription_id)
        if subscription is None or not repo.claim(session, delivery, now + LEASE):
            continue
        claimed.append(
            Outgoing(
                id=delivery.id,
                attempts=delivery.attempts,
                channel=subscription.channel,
                target=subscription.target,
                digest=subscription.digest,
                subscription_id=subscription.id,
                secret_token=subscription.secret_token,
                payload=dict(delivery.payload or {}),
            )
        )
    return claimed


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Delay after the `attempts`-th failed attempt."""
    seconds = settings.notifications.retry_backoff * 2 ** max(0, attempts - 1)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def _record(session: Session, settings: Settings, outgoing: Outgoing, outcome: Outcome) -> None:
    now = datetime.now(UTC)
    delivery = repo.delivery(session, outgoing.id)
    if delivery is None:  # its subscription was deleted meanwhile
        return
    session.add(
        NotificationAttempt(
            delivery_id=delivery.id,
            at=now,
            ok=outcome.ok,
            status_code=outcome.status_code,
            error=outcome.error,
        )
    )
    delivery.attempts = outgoing.attempts + 1
    if outcome.ok:
        delivery.status = "sent"
        delivery.sent_at = now
    elif delivery.attempts >= settings.notifications.max_attempts:
        delivery.status = "failed"
        logger.warning(
            "Notification %s given up after %d attempts: %s",
            delivery.id,
            delivery.attempts,
            outcome.error,
        )
    else:
        delivery.next_attempt_at = now + backoff(settings, delivery.attempts)


def drain(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime | None = None,
    client_factory: Callable[[Settings], httpx.Client] = webhook_client,
) -> int:
    """Send every delivery due at `now` once; returns how many attempts were made."""
    with unit_of_work(session_factory) as session:
        claimed = _claim(session, now or datetime.now(UTC))
    if not claimed:
        return 0
    outcomes: list[tuple[Outgoing, Outcome]] = []
    digests: dict[str, list[Outgoing]] = defaultdict(list)
    webhooks = [o for o in claimed if o.channel == "webhook"]
    if webhooks:
        with client_factory(settings) as client:
            outcomes += [(o, send_webhook(settings, client, o)) for o in webhooks]
    for outgoing in claimed:
        if outgoing.channel == "email" and outgoing.digest:
            digests[outgoing.subscription_id].append(outgoing)
        elif outgoing.channel == "email":
            outcomes.append((outgoing, send_email(settings, outgoing.target, [outgoing.payload])))
    for group in digests.values():
        outcome = send_email(settings, group[0].target, [o.payload for o in group])
        outcomes += [(outgoing, outcome) for outgoing in group]
    with unit_of_work(session_factory) as session:
        for outgoing, outcome in outcomes:
            _record(session, settings, outgoing, outcome)
    return len(outcomes)
