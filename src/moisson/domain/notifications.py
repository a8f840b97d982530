"""Harvest events worth telling someone about, and what a subscription asks for.

Pure rules: which events a finished job raises (from its counters and errors), and whether a
subscription wants one. Queueing and sending are `moisson.services.notifications`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Event(StrEnum):
    JOB_FAILED = "job.failed"
    JOB_DONE_ERRORS = "job.done_errors"
    ITEMS_FAILED = "items.failed"
    """More items failed than the subscription's `items_failed` threshold."""
    AUTOARCHIVE_REFUSED = "autoarchive.refused"
    AUTOARCHIVE_DONE = "autoarchive.done"
    DATASETS_CREATED = "datasets.created"
    """More datasets created than the `datasets_created` threshold."""
    DATASETS_ARCHIVED = "datasets.archived"
    """More objects archived than the `datasets_archived` threshold."""
    SOURCE_REFUSED = "source.refused"
    SOURCE_ACCEPTED = "source.accepted"


#: The threshold each counted event is compared with (the event fires when count > it).
THRESHOLDS = {
    Event.ITEMS_FAILED: "items_failed",
    Event.DATASETS_CREATED: "datasets_created",
    Event.DATASETS_ARCHIVED: "datasets_archived",
}
CHANNELS = ("email", "webhook")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$|^[^@\s<>,;]+@localhost$")


class InvalidSubscription(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    channel: str
    target: str
    events: tuple[Event, ...]
    thresholds: Mapping[str, int] = field(default_factory=dict)
    digest: bool = False
    secret: str | None = None


def parse_subscription(body: Mapping[str, Any]) -> SubscriptionSpec:
    """A subscription from what an operator sent, or `InvalidSubscription` naming the field.
    The webhook URL's address policy is checked by the caller (it needs the settings)."""
    channel = body.get("channel")
    if channel not in CHANNELS:
        raise InvalidSubscription("channel", f"`channel` must be one of {', '.join(CHANNELS)}")
    target = body.get("target")
    if not isinstance(target, str) or not target.strip():
        raise InvalidSubscription("target", "`target` is required: an e-mail address or a URL")
    target = target.strip()
    if channel == "email" and not _EMAIL.match(target):
        raise InvalidSubscription("target", f"{target!r} is not an e-mail address")
    raw_events = body.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise InvalidSubscription("events", "`events` must be a non-empty list")
    valid = {event.value for event in Event}
    unknown = [e for e in raw_events if e not in valid]
    if unknown:
        raise InvalidSubscription(
            "events", f"Unknown event {unknown[0]!r} (one of {', '.join(sorted(valid))})"
        )
    thresholds = body.get("thresholds") or {}
    if not isinstance(thresholds, Mapping):
        raise InvalidSubscription("thresholds", "`thresholds` must be an object")
    checked: dict[str, int] = {}
    for key, value in thresholds.items():
        if key not in THRESHOLDS.values():
            known = ", ".join(THRESHOLDS.values())
            raise InvalidSubscription("thresholds", f"Unknown threshold {key!r} ({known})")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidSubscription("thresholds", f"`thresholds.{key}` must be an integer >= 0")
        checked[key] = value
    digest = body.get("digest", False)
    if not isinstance(digest, bool):
        raise InvalidSubscription("digest", "`digest` must be true or false")
    if digest and channel != "email":
        raise InvalidSubscription("digest", "Only e-mail subscriptions may be a daily digest")
    secret = body.get("secret")
    if secret is not None and (not isinstance(secret, str) or len(secret) < 16):
        raise InvalidSubscription("secret", "`secret` must be a string of 16 characters or more")
    if secret is not None and channel != "webhook":
        raise InvalidSubscription("secret", "Only webhooks have a signing secret")
    events = tuple(Event(e) for e in dict.fromkeys(raw_events))
    return SubscriptionSpec(channel, target, events, checked, digest, secret)


@dataclass(frozen=True, slots=True)
class JobFacts:
    """What a finished job did, as the event rules need it."""

    status: str
    items_failed: int
    datasets_created: int
    archived: int
    autoarchive_refusal: str | None
    """The job error saying autoarchive archived nothing, if any."""
    error: str | None
    """The job's first error (a failed job's reason)."""


def job_events(facts: JobFacts) -> list[tuple[Event, int]]:
    """The events a finished job raises, each with its count (1 for yes/no events)."""
    events: list[tuple[Event, int]] = []
    if facts.status == "failed":
        events.append((Event.JOB_FAILED, 1))
    if facts.status == "done-errors":
        events.append((Event.JOB_DONE_ERRORS, 1))
    if facts.items_failed:
        events.append((Event.ITEMS_FAILED, facts.items_failed))
    if facts.autoarchive_refusal:
        events.append((Event.AUTOARCHIVE_REFUSED, 1))
    if facts.archived:
        events.append((Event.AUTOARCHIVE_DONE, facts.archived))
        events.append((Event.DATASETS_ARCHIVED, facts.archived))
    if facts.datasets_created:
        events.append((Event.DATASETS_CREATED, facts.datasets_created))
    return events


def wants(events: Sequence[str], thresholds: Mapping[str, Any], event: Event, count: int) -> bool:
    """Whether a subscription to `events` with `thresholds` is told of `event` x `count`."""
    if event.value not in events:
        return False
    limit = THRESHOLDS.get(event)
    return limit is None or count > int(thresholds.get(limit, 0))
