"""Value coercions shared by every format's mapping: instants as naive UTC, and the days a
year or a month alone stands for in a temporal coverage.

The formats differ where their specifications do, and those differences are keywords here
rather than copies: CKAN and RDF write a month with one digit (`2017-6`), maaf.xsd and ISO
19139 always with two.
"""

from __future__ import annotations

import calendar
import re
from datetime import MINYEAR, date, datetime

from moisson.domain.clock import naive_utc

_YEAR = re.compile(r"\d{4}")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR_SHORT_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def naive(value: datetime) -> datetime:
    """`value` as naive UTC; a naive value is taken as UTC already."""
    return naive_utc(value) if value.tzinfo is not None else value


def iso_instant(text: str) -> datetime | None:
    """An ISO 8601 date or date-time (with `Z` or an offset, or none) as naive UTC; `None`
    when it is not one. A date alone is midnight; a zoned date without a time is refused."""
    try:
        return naive(datetime.fromisoformat(text))
    except ValueError:
        return None


def period_span(text: str, *, one_digit_month: bool = False) -> tuple[date, date] | None:
    """The first and last day of `YYYY` or `YYYY-MM` (`YYYY-M` too with `one_digit_month`);
    `None` when `text` is neither, or names a month no calendar has."""
    text = text.strip()
    if _YEAR.fullmatch(text):
        year = int(text)
        return (date(year, 1, 1), date(year, 12, 31)) if year >= MINYEAR else None
    match = (_YEAR_SHORT_MONTH if one_digit_month else _YEAR_MONTH).fullmatch(text)
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    if year < MINYEAR or not 1 <= month <= 12:
        return None
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
