"""Cron schedules of sources: validation, next run time, udata's display string."""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter

from moisson.errors import InvalidInput

CRON_FIELDS = 5


def check_cron(expression: object) -> str:
    """A normalised 5-field cron expression (`m h dom mon dow`, UTC), or 400.

    udata only checks that there are five fields and stores `a b c d e` as is; we refuse
    anything croniter cannot evaluate, so a stored schedule always has a next run."""
    if not isinstance(expression, str):
        raise InvalidInput("The schedule should be a cron expression string", field="schedule")
    fields = expression.split()
    if len(fields) != CRON_FIELDS:
        raise InvalidInput(
            f"A cron expression has exactly {CRON_FIELDS} fields (minute hour day-of-month "
            f"month day-of-week), got {len(fields)}: {expression!r}",
            field="schedule",
        )
    normalised = " ".join(fields)
    if not croniter.is_valid(normalised):
        raise InvalidInput(f"Invalid cron expression {normalised!r}", field="schedule")
    return normalised


def next_run(expression: str, after: datetime | None = None) -> datetime:
    start = after or datetime.now(UTC)
    result: datetime = croniter(expression, start).get_next(datetime)
    return result.astimezone(UTC)


def describe_schedule(cron: str | None, interval: int | None) -> str | None:
    """`schedule` as udata renders it: the cron string, or `every N <unit>` for intervals."""
    if cron:
        return cron
    if not interval:
        return None
    for seconds, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if interval % seconds == 0:
            count = interval // seconds
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return None  # unreachable: every integer is a whole number of seconds
