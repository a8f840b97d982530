"""Two API processes creating a source, an organization or a user of the same name at once.

Each finds the same slug free; the database refuses the second insert (unique slug), and the
service chooses again instead of failing the request. The other process is staged with
`tests.races` (a second connection committing between our lookup and our insert on
PostgreSQL; see there for SQLite).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.races import Database, race_database

from moisson.services import organizations, sources, users
from moisson.services.auth import system_caller
from moisson.storage.base import new_id
from moisson.storage.models import HarvestSource, Organization, User
from moisson.storage.repositories import bulk
from moisson.storage.repositories import organizations as orgs_repo
from moisson.storage.repositories import sources as sources_repo
from moisson.storage.repositories import users as users_repo


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with race_database(request.param, tmp_path) as found:
        yield found


def test_a_source_named_like_one_created_meanwhile_takes_the_next_slug(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with database.sessions() as session:
        owner = User(email="owner@example.test", slug="owner")
        session.add(owner)
        session.commit()
        owner_id = owner.id
    theirs = bulk.complete_row(
        HarvestSource,
        {
            "id": new_id(),
            "name": "Région",
            "slug": "region",
            "url": "https://other.example/catalog",
            "backend": "dcat",
        },
    )
    calls = database.race(
        monkeypatch,
        (sources_repo, "by_slug"),
        HarvestSource.__table__,
        theirs,
        hide=lambda found: None if found is not None and found.slug == "region" else found,
    )
    changes = {
        "name": "Région",
        "url": "https://mine.example/catalog",
        "backend": "dcat",
        "owner": owner_id,
    }
    with database.sessions() as session:
        created = sources.create_source(session, database.settings, system_caller(), changes)
        session.commit()

    assert created["slug"] == "region-1"
    assert len(calls) >= 3, "looked up 'region', lost it, looked up 'region' and 'region-1'"
    with database.sessions() as session:
        assert sorted(session.scalars(select(HarvestSource.slug))) == ["region", "region-1"]


def test_an_organization_created_meanwhile_keeps_its_slug_ours_takes_the_next(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = bulk.complete_row(Organization, {"id": new_id(), "name": "Brest", "slug": "brest"})
    database.race(
        monkeypatch,
        (orgs_repo, "slug_taken"),
        Organization.__table__,
        theirs,
        hide=lambda _taken: False,
    )
    with database.sessions() as session:
        org = organizations.create_organization(session, "Brest")
        session.commit()
        assert org.slug == "brest-1"


def test_a_user_created_meanwhile_with_the_same_slug(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = bulk.complete_row(User, {"id": new_id(), "email": "ana@one.test", "slug": "ana"})
    database.race(
        monkeypatch, (users_repo, "slug_taken"), User.__table__, theirs, hide=lambda _t: False
    )
    with database.sessions() as session:
        created = users.create_user(session, database.settings, "ana@two.test")
        session.commit()
        assert created.user.slug == "ana-1"
