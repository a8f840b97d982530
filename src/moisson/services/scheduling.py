"""Schedules stored on the source: cron expressions or intervals, and which sources are due.

Intervals are written as the API shows them (`every day`, `every 6 hours`, at least a
minute). Cron expressions have exactly five fields (`minute hour day-of-month month
day-of-week`) and are evaluated in UTC. A fixed scheduler tick asks `claim_due_sources`
which sources to enqueue; the claim and the move of `next_run_at` happen in one transaction
under row locks (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the database write lock on
SQLite), so several schedulers never enqueue the same due source twice.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from croniter import croniter
from sqlalchemy.orm import Session

from moisson.errors import InvalidInput
from moisson.storage.models import HarvestSource
from moisson.storage.repositories import sources as sources_repo

CRON_FIELDS = 5
MIN_INTERVAL_SECONDS = 60


def parse_cron(expression: object) -> str:
    """The expression with its whitespace normalised, or `InvalidInput` naming the problem."""
    if not isinstance(expression, str):
        raise InvalidInput("The schedule should be a cron expression string", field="schedule")
    fields = expression.split()
    if len(fields) != CRON_FIELDS:
        raise InvalidInput(
            f"A cron expression has {CRON_FIELDS} fields (minute hour day-of-month month "
            f"day-of-week), got {len(fields)}: {expression!r}",
            field="schedule",
        )
    normalised = " ".join(fields)
    if not croniter.is_valid(normalised):
        raise InvalidInput(f"Invalid cron expression: {expression!r}", field="schedule")
    return normalised


def next_run_after(cron: str | None, interval: int | None, after: datetime) -> datetime | None:
    """When a schedule fires next, strictly after `after` (UTC); `None` if unscheduled."""
    if cron:
        return croniter(cron, after).get_next(datetime)  # type: ignore[no-any-return]
    if interval:
        return after + timedelta(seconds=interval)
    return None


def render_schedule(source: HarvestSource) -> str | None:
    """The `schedule` field of the API: the cron string, `every N <unit>`, or null."""
    if source.schedule_cron:
        return source.schedule_cron
    if source.schedule_interval:
        return render_interval(source.schedule_interval)
    return None


def render_interval(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {seconds} seconds"


def set_schedule(
    source: HarvestSource,
    *,
    cron: str | None = None,
    interval: int | None = None,
    now: datetime,
) -> None:
    """Schedule `source` by cron or interval (exactly one), replacing any previous one."""
    if (cron is None) == (interval is None):
        raise InvalidInput("Give either a cron expression or an interval", field="schedule")
    if interval is not None and interval < MIN_INTERVAL_SECONDS:
        raise InvalidInput("The interval must be at least 60 seconds", field="schedule")
    source.schedule_cron = parse_cron(cron) if cron is not None else None
    source.schedule_interval = interval
    source.next_run_at = next_run_after(source.schedule_cron, interval, now)


_INTERVAL = re.compile(r"^every\s+(?:(\d+)\s+)?(minute|hour|day)s?$", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def parse_interval(text: str) -> int | None:
    """Seconds of an interval written as the API shows one (`every day`, `every 6 hours`,
    `every 30 minutes`), or `None` when `text` is not an interval."""
    match = _INTERVAL.match(text.strip())
    if match is None:
        return None
    count = int(match.group(1) or 1)
    if count < 1:
        raise InvalidInput(f"Invalid interval: {text!r}", field="schedule")
    return count * _UNIT_SECONDS[match.group(2).lower()]


def schedule_from_text(source: HarvestSource, text: object, *, now: datetime) -> None:
    """Schedule `source` from what an operator typed: an interval, else a cron expression."""
    if not isinstance(text, str):
        raise InvalidInput(
            "The schedule should be a cron expression or an interval ('every 6 hours')",
            field="schedule",
        )
    interval = parse_interval(text)
    if interval is not None:
        set_schedule(source, interval=interval, now=now)
    else:
        set_schedule(source, cron=text, now=now)


def clear_schedule(source: HarvestSource) -> None:
    if not source.schedule_cron and not source.schedule_interval:
        raise InvalidInput(f"Harvesting on source {source.name} is not scheduled")
    source.schedule_cron = None
    source.schedule_interval = None
    source.next_run_at = None


def claim_due_sources(session: Session, now: datetime, *, limit: int = 100) -> list[HarvestSource]:
    """Lock the sources due at `now` and move their `next_run_at` past it.

    Only active, accepted, not deleted sources are due: unlike udata, a refused source that
    stayed scheduled is not harvested. The caller creates the jobs in the same transaction.
    """
    sources = sources_repo.lock_due(session, now, limit)
    for source in sources:
        source.next_run_at = next_run_after(source.schedule_cron, source.schedule_interval, now)
    session.flush()
    return sources
