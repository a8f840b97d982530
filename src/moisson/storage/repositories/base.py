"""Helpers shared by the repositories."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

T = TypeVar("T")

_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def is_object_id(value: str) -> bool:
    """Whether `value` has the shape of our identifiers (24 lower-case hex digits)."""
    return bool(_OBJECT_ID.match(value))


def paginate(
    session: Session, stmt: Select[Any], page: int, page_size: int
) -> tuple[list[Any], int]:
    """One page of `stmt`'s rows (scalars) and the total row count before paging."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(page_size).offset((page - 1) * page_size)).all()
    return list(rows), total


def grouped(rows: Iterable[T], key: Callable[[T], str]) -> defaultdict[str, list[T]]:
    """The rows by `key`, each list in the rows' order (a `defaultdict`: a key without rows
    reads as an empty list)."""
    found: defaultdict[str, list[T]] = defaultdict(list)
    for row in rows:
        found[key(row)].append(row)
    return found


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def all_words_match(q: str, columns: Sequence[Any]) -> list[ColumnElement[bool]]:
    """One condition per word of `q`: the word appears, case-insensitively, in one of `columns`.

    A portable LIKE-based search (SQLite and PostgreSQL alike): every word must match
    somewhere, as udata's full-text search requires every word."""
    conditions: list[ColumnElement[bool]] = []
    for word in q.split():
        pattern = f"%{_escape_like(word.lower())}%"
        conditions.append(or_(*(func.lower(col).like(pattern, escape="\\") for col in columns)))
    return conditions
