"""Notifications end to end: real SMTP (aiosmtpd) and a real webhook receiver on loopback."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.fakes import FakeRecord, catalog_transport, fake_backend
from tests.http_server import Reply, Seen, loopback_server
from tests.integration.harvest.conftest import make_org, make_source, make_user

from moisson.config import NotificationSettings, Settings
from moisson.domain.exceptions import SourceInvalid
from moisson.services.auth import system_caller
from moisson.services.notification_delivery import drain
from moisson.services.notifications import (
    create_subscription,
    purge_deliveries,
    queue_job_events,
)
from moisson.services.runs import create_pending_job, run_job_here
from moisson.storage.models import HarvestSource
from moisson.storage.notification_models import NotificationAttempt, NotificationDelivery
from moisson.tasks.local import LocalWorker
from moisson.tasks.notifier import NotificationDrainer

SECRET = "a-webhook-secret-of-some-length"


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.original_content))  # type: ignore[attr-defined]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))  # type: ignore[attr-defined]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def notifying(settings: Settings, inbox: tuple[Inbox, int]) -> Settings:
    return settings.model_copy(
        update={
            "outbound_allow_networks": [ipaddress.IPv4Network("127.0.0.1/32")],
            "notifications": NotificationSettings(
                smtp_host="127.0.0.1",
                smtp_port=inbox[1],
                sender="harvest@moisson.test",
                retry_backoff=60.0,
                max_attempts=3,
            ),
        }
    )


def harvest(
    db: Session,
    factory: sessionmaker[Session],
    settings: Settings,
    source: HarvestSource,
    backend: type,
) -> str:
    job = create_pending_job(db, source)
    db.commit()
    run_job_here(factory, settings, job.id, backend_registry={"fake": backend})
    db.expire_all()
    return job.id


def subscribe(db: Session, settings: Settings, source: HarvestSource, **body: object) -> dict:
    created = create_subscription(db, settings, system_caller(), body, source=source.id)
    db.commit()
    return created


def deliveries(db: Session) -> list[NotificationDelivery]:
    db.expire_all()
    return list(db.scalars(select(NotificationDelivery).order_by(NotificationDelivery.event)))


def attempts(db: Session, delivery: NotificationDelivery) -> list[NotificationAttempt]:
    query = select(NotificationAttempt).where(NotificationAttempt.delivery_id == delivery.id)
    return list(db.scalars(query.order_by(NotificationAttempt.at)))


def test_a_failed_job_is_mailed_after_the_job_ended(
    db: Session,
    session_factory: sessionmaker[Session],
    notifying: Settings,
    inbox: tuple[Inbox, int],
) -> None:
    owner = make_user(db)
    source = make_source(db, owner=owner, name="Arbres")
    subscribe(
        db, notifying, source, channel="email", target="ops@example.org", events=["job.failed"]
    )
    broken = fake_backend(gather_error=SourceInvalid("The catalog answered garbage"))

    job_id = harvest(db, session_factory, notifying, source, broken)

    queued = deliveries(db)
    assert [(d.event, d.status, d.job_id) for d in queued] == [("job.failed", "pending", job_id)]
    assert inbox[0].messages == []  # nothing is sent by the harvest itself
    assert drain(session_factory, notifying) == 1
    (message,) = inbox[0].messages
    assert message["Subject"] == "[Moisson] Arbres: harvest failed"
    assert message["From"] == "harvest@moisson.test"
    assert inbox[0].envelopes == [("harvest@moisson.test", ["ops@example.org"])]
    assert "The catalog answered garbage" in message.get_payload()
    (sent,) = deliveries(db)
    assert sent.status == "sent"
    assert [a.ok for a in attempts(db, sent)] == [True]
    assert drain(session_factory, notifying) == 0  # sent once


def test_thresholds_and_organization_subscriptions(
    db: Session, session_factory: sessionmaker[Session], notifying: Settings
) -> None:
    org = make_org(db)
    source = make_source(db, organization=org)
    for events, thresholds, target in (
        (["datasets.created"], {"datasets_created": 2}, "above-two@example.org"),
        (["datasets.created"], {"datasets_created": 3}, "above-three@example.org"),
        (["job.failed", "job.done_errors"], {}, "errors@example.org"),
    ):
        create_subscription(
            db,
            notifying,
            system_caller(),
            {"channel": "email", "target": target, "events": events, "thresholds": thresholds},
            organization=org.id,
        )
    db.commit()
    catalog = fake_backend([FakeRecord(f"r{i}", title=f"Record {i}") for i in range(3)])

    job_id = harvest(db, session_factory, notifying, source, catalog)
    queue_job_events(db, notifying, job_id)  # a redelivered task queues nothing twice
    db.commit()

    queued = deliveries(db)
    assert [(d.event, d.payload["count"]) for d in queued] == [("datasets.created", 3)]
    assert queued[0].payload["job"]["datasets_created"] == 3
    assert queued[0].payload["source"]["id"] == source.id


def test_an_smtp_server_down_delays_the_mail_never_the_harvest(
    db: Session, session_factory: sessionmaker[Session], notifying: Settings
) -> None:
    down = notifying.model_copy(
        update={
            "notifications": notifying.notifications.model_copy(update={"smtp_port": free_port()})
        }
    )
    source = make_source(db, owner=make_user(db))
    subscribe(db, down, source, channel="email", target="ops@example.org", events=["job.failed"])
    job_id = harvest(
        db, session_factory, down, source, fake_backend(gather_error=SourceInvalid("x"))
    )

    assert drain(session_factory, down) == 1
    (pending,) = deliveries(db)
    assert pending.job_id == job_id
    assert pending.status == "pending"
    assert pending.attempts == 1
    (failed,) = attempts(db, pending)
    assert "Connection refused" in (failed.error or "")
    assert pending.next_attempt_at > datetime.now(UTC) + timedelta(seconds=50)
    for _ in range(2):  # attempts 2 and 3, each when due: then given up
        drain(session_factory, down, now=datetime.now(UTC) + timedelta(days=1))
    assert [(d.status, d.attempts) for d in deliveries(db)] == [("failed", 3)]


def test_a_webhook_is_signed_and_retried_until_the_receiver_accepts_it(
    db: Session, session_factory: sessionmaker[Session], notifying: Settings
) -> None:
    received: list[Seen] = []

    def receiver(seen: Seen) -> Reply:
        received.append(seen)
        expected = hmac.new(SECRET.encode(), seen.body, hashlib.sha256).hexdigest()
        if seen.headers.get("X-Moisson-Signature") != f"sha256={expected}":
            return Reply(status=401, body=b"bad signature")
        tries = sum(
            r.headers["X-Moisson-Delivery"] == seen.headers["X-Moisson-Delivery"] for r in received
        )
        return Reply(status=500 if tries == 1 else 200)  # each delivery: 500, then 200

    source = make_source(db, owner=make_user(db), name="Bus")
    with loopback_server({"/hook": receiver}) as server:
        subscribe(
            db,
            notifying,
            source,
            channel="webhook",
            target=server.url("/hook"),
            events=["job.done_errors", "items.failed"],
            secret=SECRET,
        )
        catalog = fake_backend(
            [FakeRecord("ok", title="Fine"), FakeRecord("bad", map_error=ValueError("broken"))]
        )
        job_id = harvest(db, session_factory, notifying, source, catalog)
        assert drain(session_factory, notifying) == 2
        later = datetime.now(UTC) + timedelta(minutes=2)
        assert drain(session_factory, notifying, now=later) == 2

    statuses = sorted((d.event, d.status, d.attempts) for d in deliveries(db))
    assert statuses == [("items.failed", "sent", 2), ("job.done_errors", "sent", 2)]
    bodies = [json.loads(seen.body) for seen in received]
    assert {body["event"] for body in bodies} == {"items.failed", "job.done_errors"}
    assert all(body["job"]["id"] == job_id for body in bodies)
    assert all(body["source"]["name"] == "Bus" for body in bodies)
    first = next(d for d in deliveries(db) if d.event == "job.done_errors")
    assert [(a.ok, a.status_code) for a in attempts(db, first)] == [(False, 500), (True, 200)]
    assert all(seen.headers["X-Moisson-Delivery"] for seen in received)


def test_a_daily_digest_gathers_the_events_in_one_message(
    db: Session,
    session_factory: sessionmaker[Session],
    notifying: Settings,
    inbox: tuple[Inbox, int],
) -> None:
    source = make_source(db, owner=make_user(db), name="Gares")
    subscribe(
        db,
        notifying,
        source,
        channel="email",
        target="digest@example.org",
        events=["job.failed"],
        digest=True,
    )
    for _ in range(2):
        harvest(
            db, session_factory, notifying, source, fake_backend(gather_error=SourceInvalid("x"))
        )

    assert drain(session_factory, notifying) == 0  # not before the digest hour
    assert drain(session_factory, notifying, now=datetime.now(UTC) + timedelta(days=1)) == 2
    (message,) = inbox[0].messages
    assert message["Subject"] == "[Moisson] daily digest: 2 events"
    assert message.get_payload().count("Gares: harvest failed") == 2
    assert [d.status for d in deliveries(db)] == ["sent", "sent"]


def test_the_in_process_worker_queues_and_its_drainer_delivers(
    committed_factory: sessionmaker[Session], settings: Settings
) -> None:
    """The real path of `moisson serve`: the worker runs the job, then queues its events;
    the drainer thread posts them."""
    fast = settings.model_copy(
        update={
            "outbound_allow_networks": [ipaddress.IPv4Network("127.0.0.1/32")],
            "notifications": NotificationSettings(poll_interval=0.05),
        }
    )
    received: list[Seen] = []

    def receiver(seen: Seen) -> Reply:
        received.append(seen)
        return Reply(status=204)

    with loopback_server({"/hook": receiver}) as server:
        with committed_factory() as db:
            source = make_source(db, owner=make_user(db))
            subscribe(
                db, fast, source, channel="webhook", target=server.url("/hook"),
                events=["job.failed"], secret=SECRET,
            )  # fmt: skip
            job_id = create_pending_job(db, source).id
            db.commit()
        broken = fake_backend(gather_error=SourceInvalid("The catalog is gone"))
        worker = LocalWorker(
            committed_factory,
            fast,
            backend_registry={"fake": broken},
            http=httpx.Client(transport=catalog_transport({})),
        )
        drainer = NotificationDrainer(committed_factory, fast)
        worker.start(resume_pending=False)
        drainer.start()
        try:
            worker.submit(job_id).result(timeout=30)
            deadline = time.monotonic() + 30
            while not received:
                assert time.monotonic() < deadline, "the webhook was never called"
                time.sleep(0.05)
        finally:
            drainer.stop()
            worker.stop()
    body = json.loads(received[0].body)
    assert (body["event"], body["job"]["id"]) == ("job.failed", job_id)
    assert "The catalog is gone" in body["job"]["error"]
    expected = hmac.new(SECRET.encode(), received[0].body, hashlib.sha256).hexdigest()
    assert received[0].headers["X-Moisson-Signature"] == f"sha256={expected}"
    with committed_factory() as db:
        assert [d.status for d in deliveries(db)] == ["sent"]


def test_old_finished_deliveries_are_purged_pending_ones_kept(
    db: Session, session_factory: sessionmaker[Session], notifying: Settings
) -> None:
    source = make_source(db, owner=make_user(db))
    subscribe(
        db, notifying, source, channel="email", target="ops@example.org", events=["job.failed"]
    )
    for _ in range(2):
        harvest(
            db, session_factory, notifying, source, fake_backend(gather_error=SourceInvalid("x"))
        )
    sent, waiting = deliveries(db)
    sent.status = "sent"
    db.commit()
    later = datetime.now(UTC) + timedelta(days=400)
    assert purge_deliveries(db, now=later, retention_days=365) == 1
    db.commit()
    assert [d.id for d in deliveries(db)] == [waiting.id]
