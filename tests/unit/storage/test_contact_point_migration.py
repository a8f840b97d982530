"""Revision 0021 merges duplicate contact points before making their identity unique."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from tests.conftest import fresh_postgres_database

from moisson.config import Settings
from moisson.storage.base import JSONType, UTCDateTime
from moisson.storage.migrate import upgrade
from moisson.storage.models import contact_identity
from moisson.storage.session import make_engine

ORG = "0000000000000000000000f1"
# "a1"/"a2" are one contact point, so are "c1"/"c2" (no name); "b1" differs from "a1" by role.
A1, A2, B1, C1, C2 = (f"0000000000000000000000{n}" for n in ("a1", "a2", "b1", "c1", "c2"))
POINTS = [
    (A1, "Desk", "desk@x.test", "contact"),
    (A2, "Desk", "desk@x.test", "contact"),
    (B1, "Desk", "desk@x.test", "publisher"),
    (C1, None, "n@x.test", "contact"),
    (C2, None, "n@x.test", "contact"),
]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def database_before_0021(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the suite's kind, migrated to the revision before 0021."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'contacts.db'}"
        upgrade(url, "0020")
        yield url
        return
    with fresh_postgres_database(database_url, f"moisson_contacts_{os.getpid()}") as url:
        upgrade(url, "0020")
        yield url


def engine_for(url: str) -> Engine:
    return make_engine(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]


def table(table_name: str, /, **columns: Any) -> sa.TableClause:
    return sa.table(table_name, *(sa.column(key, kind) for key, kind in columns.items()))


def harvested_object(name: str, **extra: Any) -> tuple[sa.TableClause, dict[str, Any]]:
    """A `datasets` or `dataservices` row naming contact points (and its table)."""
    values: dict[str, Any] = {
        "id": "0000000000000000000000d1",
        "slug": "d",
        "title": "D",
        "description": "",
        "tags": [],
        "extras": {},
        "harvest_extra": {},
        "created_at": NOW,
        "last_modified": NOW,
        "version": 1,
        "contact_point_ids": [A2, B1, A1, C2, C1],
        **extra,
    }
    kinds = {key: JSONType if isinstance(v, list | dict) else None for key, v in values.items()}
    kinds.update(created_at=UTCDateTime(), last_modified=UTCDateTime())
    return table(name, **kinds), values


def test_duplicates_are_merged_into_the_oldest_and_references_follow(
    database_before_0021: str,
) -> None:
    engine = engine_for(database_before_0021)
    with engine.begin() as conn:
        organizations = table(
            "organizations", id=None, name=None, slug=None, created_at=UTCDateTime()
        )
        conn.execute(organizations.insert().values(id=ORG, name="Org", slug="org", created_at=NOW))
        points = table(
            "contact_points", id=None, name=None, email=None, role=None, organization_id=None
        )
        for point_id, name, email, role in POINTS:
            conn.execute(
                points.insert().values(
                    id=point_id, name=name, email=email, role=role, organization_id=ORG
                )
            )
        for objects, row in (
            harvested_object("datasets", frequency="unknown", private=False),
            harvested_object("dataservices", dataset_ids=[]),
        ):
            conn.execute(objects.insert().values(**row))
    engine.dispose()

    upgrade(database_before_0021)

    engine = engine_for(database_before_0021)
    with engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT id, identity FROM contact_points ORDER BY id")).all()
        lists = [
            conn.execute(table(name, contact_point_ids=JSONType).select()).scalar_one()
            for name in ("datasets", "dataservices")
        ]
    engine.dispose()
    assert [tuple(row) for row in kept] == [
        (A1, contact_identity("Desk", "desk@x.test", None, "contact", ORG, None)),
        (B1, contact_identity("Desk", "desk@x.test", None, "publisher", ORG, None)),
        (C1, contact_identity(None, "n@x.test", None, "contact", ORG, None)),
    ]
    # Each list names the kept rows, in the order it first named each, once.
    assert lists == [[A1, B1, C1], [A1, B1, C1]]
