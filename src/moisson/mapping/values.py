"""Value coercions shared by every format's mapping: instants as naive UTC, the days a
year or a month alone stands for in a temporal coverage, and what passes for a link.

The formats differ where their specifications do, and those differences are keywords here
rather than copies: CKAN and RDF write a month with one digit (`2017-6`), maaf.xsd and ISO
19139 always with two; CKAN and MAAF links are web pages (http, https), ISO and RDF ones may
be FTP too; a MAAF resource URL may hold a space (it is percent-encoded before use, not
dropped).
"""

from __future__ import annotations

import calendar
import re
from datetime import MINYEAR, date, datetime
from typing import TypeGuard
from urllib.parse import urlsplit

from moisson.domain.clock import naive_utc

WEB_SCHEMES = frozenset({"http", "https"})
LINK_SCHEMES = WEB_SCHEMES | {"ftp", "ftps"}
_YEAR = re.compile(r"\d{4}")
_WHITESPACE = re.compile(r"\s")
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


def is_link(
    value: str | None, *, schemes: frozenset[str] = LINK_SCHEMES, spaces: bool = False
) -> TypeGuard[str]:
    """An absolute URL of one of `schemes` (in any case) naming a host; whitespace in it
    only with `spaces`. Whether the host is one to publish is `rdf.urls.is_valid_url`'s."""
    if not value or (not spaces and _WHITESPACE.search(value)):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # a malformed IPv6 host
        return False
    return parts.scheme.lower() in schemes and bool(host)
