"""What time it is, asked of one place.

A harvest compares remote dates with "now" (a date in the future is dropped as a typo), so
every backend reads the time from its run's context (`HarvestContext.now`) instead of the
system clock: a test, or a replay of an old recording, sets the time of the run once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

#: A clock answers the current instant, timezone-aware UTC.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class FixedClock:
    """A clock stopped at `at` (aware UTC): the same answer for the whole run."""

    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("a clock tells aware UTC time: give `at` a timezone")

    def __call__(self) -> datetime:
        return self.at


def naive_utc(value: datetime) -> datetime:
    """`value` as naive UTC, the form the RDF, ISO and MAAF mappings compare dates in."""
    return value.astimezone(UTC).replace(tzinfo=None)
