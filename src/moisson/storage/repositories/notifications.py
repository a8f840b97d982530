"""Queries of notification subscriptions, deliveries and attempts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moisson.storage.models import HarvestSource
from moisson.storage.notification_models import (
    NotificationAttempt,
    NotificationDelivery,
    NotificationSubscription,
)


def subscription(session: Session, subscription_id: str) -> NotificationSubscription | None:
    return session.get(NotificationSubscription, subscription_id)


def delivery(session: Session, delivery_id: str) -> NotificationDelivery | None:
    return session.get(NotificationDelivery, delivery_id)


def subscriptions_of(
    session: Session, *, source_id: str | None = None, organization_id: str | None = None
) -> list[NotificationSubscription]:
    """The subscriptions made on this source, or on this organization."""
    query = select(NotificationSubscription)
    if source_id is not None:
        query = query.where(NotificationSubscription.source_id == source_id)
    else:
        query = query.where(NotificationSubscription.organization_id == organization_id)
    return list(session.scalars(query.order_by(NotificationSubscription.created_at)))


def subscriptions_for(session: Session, source: HarvestSource) -> list[NotificationSubscription]:
    """Everyone to tell about `source`: its own subscribers and its organization's."""
    scope = [NotificationSubscription.source_id == source.id]
    if source.organization_id is not None:
        scope.append(NotificationSubscription.organization_id == source.organization_id)
    query = select(NotificationSubscription).where(or_(*scope))
    return list(session.scalars(query.order_by(NotificationSubscription.id)))


def with_secrets(session: Session) -> list[NotificationSubscription]:
    query = select(NotificationSubscription).where(
        NotificationSubscription.secret_token.is_not(None)
    )
    return list(session.scalars(query.order_by(NotificationSubscription.id)))


def queue(session: Session, delivery: NotificationDelivery) -> bool:
    """Add a delivery unless the same event of the same job is queued already."""
    try:
        with session.begin_nested():
            session.add(delivery)
            session.flush()
    except IntegrityError:
        return False
    return True


def due(session: Session, now: datetime, limit: int) -> list[NotificationDelivery]:
    query = (
        select(NotificationDelivery)
        .where(
            NotificationDelivery.status == "pending", NotificationDelivery.next_attempt_at <= now
        )
        .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim(session: Session, delivery: NotificationDelivery, until: datetime) -> bool:
    """Push the delivery's next attempt to `until` if no one else has: the winner sends it;
    a sender that dies leaves it due again at `until`."""
    result = session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.id == delivery.id,
            NotificationDelivery.status == "pending",
            NotificationDelivery.next_attempt_at == delivery.next_attempt_at,
        )
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def deliveries(
    session: Session, *, source_id: str | None = None, subscription_ids: Iterable[str] = ()
) -> list[NotificationDelivery]:
    """The latest deliveries of a source, or of some subscriptions (newest first, 100)."""
    query = select(NotificationDelivery)
    if source_id is not None:
        query = query.where(NotificationDelivery.source_id == source_id)
    else:
        query = query.where(NotificationDelivery.subscription_id.in_(list(subscription_ids)))
    query = query.order_by(NotificationDelivery.created_at.desc(), NotificationDelivery.id)
    return list(session.scalars(query.limit(100)))


def attempts_of(
    session: Session, delivery_ids: Iterable[str]
) -> dict[str, list[NotificationAttempt]]:
    ids = list(delivery_ids)
    found: dict[str, list[NotificationAttempt]] = {i: [] for i in ids}
    if not ids:
        return found
    query = (
        select(NotificationAttempt)
        .where(NotificationAttempt.delivery_id.in_(ids))
        .order_by(NotificationAttempt.at, NotificationAttempt.id)
    )
    for attempt in session.scalars(query):
        found[attempt.delivery_id].append(attempt)
    return found


def datasets_created_between(
    session: Session, source_id: str, start: datetime, end: datetime
) -> int:
    """Datasets of a source created in `[start, end]`: those a job created."""
    from sqlalchemy import func

    from moisson.storage.models import Dataset

    query = select(func.count()).where(
        Dataset.harvest_source_id == source_id,
        Dataset.created_at >= start,
        Dataset.created_at <= end,
    )
    return int(session.scalar(query) or 0)


def purge_finished(session: Session, before: datetime) -> int:
    """Delete sent and given-up deliveries created before `before` (attempts cascade)."""
    from sqlalchemy import delete

    result = session.execute(
        delete(NotificationDelivery).where(
            NotificationDelivery.created_at < before,
            NotificationDelivery.status.in_(("sent", "failed")),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
