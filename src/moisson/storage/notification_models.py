"""Notification subscriptions and their delivery queue (`moisson.services.notifications`).

A delivery row is written in the transaction that decides the event (a source validated) or
in a short one right after a job's last commit, never inside a harvest's transactions; it is
sent later by the drainer, outside any transaction, and every attempt is recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from moisson.storage.base import Base, IdMixin, JSONType, utcnow


class NotificationSubscription(IdMixin, Base):
    """Who wants to hear about which events of one source, or of every source of an org."""

    __tablename__ = "notification_subscriptions"

    source_id: Mapped[str | None] = mapped_column(
        ForeignKey("harvest_sources.id", ondelete="CASCADE"), default=None, index=True
    )
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), default=None, index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    """`email` or `webhook`."""
    target: Mapped[str] = mapped_column(Text)
    """An e-mail address or a webhook URL."""
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """`items_failed`, `datasets_created`, `datasets_archived`: the event fires above it."""
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    """E-mail only: one message a day gathering the events instead of one per event."""
    secret_token: Mapped[str | None] = mapped_column(Text, default=None)
    """Webhooks: the HMAC secret, encrypted like source credentials."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationDelivery(IdMixin, Base):
    """One event for one subscription, queued until sent (or given up)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        # A job's events are queued once, even when the task that ends it runs twice.
        UniqueConstraint("subscription_id", "job_id", "event"),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
    )

    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("notification_subscriptions.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[str | None] = mapped_column(
        ForeignKey("harvest_sources.id", ondelete="CASCADE"), default=None, index=True
    )
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("harvest_jobs.id", ondelete="SET NULL"), default=None
    )
    event: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """`pending` (queued or waiting for a retry), `sent`, `failed` (attempts exhausted)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class NotificationAttempt(IdMixin, Base):
    """One try at sending a delivery: when, and what came back."""

    __tablename__ = "notification_attempts"

    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("notification_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
