"""Fixtures of the API tests: a checked test client, people with roles, sources and jobs.

Every response the `client` fixtures receive is checked against the reference schemas
(`schema_check.check_response`), so every API test is also a contract test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.api.schema_check import check_response
from tests.factories import SourceFactory, stored

from moisson import backends as registry
from moisson.api import create_app
from moisson.config import Settings
from moisson.domain.capabilities import BackendInfo, ExtraConfigSpec, FeatureSpec, FilterSpec
from moisson.domain.enums import MemberRole
from moisson.services.organizations import add_member, create_organization
from moisson.services.users import create_user
from moisson.storage.models import HarvestJob, HarvestSource, Organization, User


class _StandIn:
    """A registry entry for a built-in backend not written yet: the API only reads `info`
    (declared as docs/udata-behaviour.md §2.9 lists them)."""

    info: ClassVar[BackendInfo]

    def gather(self, ctx: Any) -> Iterator[Any]:
        raise AssertionError("the API tests never harvest")

    def map(self, record: Any, ctx: Any) -> Any:
        raise AssertionError("the API tests never harvest")


STAND_IN_INFOS = (
    BackendInfo(id="dcat", label="DCAT"),
    BackendInfo(
        id="ckan",
        label="CKAN",
        filters=(
            FilterSpec("organization", "Organization", str, "A CKAN Organization name"),
            FilterSpec("tags", "Tag", str, "A CKAN tag name"),
        ),
    ),
    BackendInfo(
        id="csw-dcat",
        label="CSW-DCAT",
        features=(FeatureSpec("geodcatap", "GeoDCAT-AP", "Request GeoDCAT-AP output", False),),
        extra_configs=(ExtraConfigSpec("remote_url_prefix", "Remote URL prefix", str),),
    ),
)


@pytest.fixture(autouse=True)
def declared_backends() -> Iterator[None]:
    """dcat, ckan and csw-dcat are registered: the real ones once written, else stand-ins
    removed after the test."""
    present = registry.all_backends()  # loads the built-in modules first
    added = []
    for info in STAND_IN_INFOS:
        if info.id not in present:
            registry.register(type(f"StandIn_{info.id}", (_StandIn,), {"info": info}))
            added.append(info.id)
    yield
    for name in added:
        registry._REGISTRY.pop(name, None)


@dataclass
class RecordingRunner:
    """Stands in for the job queue until the worker lands: records what was submitted."""

    submitted: list[str] = field(default_factory=list)

    def submit(self, job_id: str) -> None:
        self.submitted.append(job_id)


class CheckedClient(TestClient):
    """A test client that checks every response against the reference schemas."""

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        check_response(response)
        return response


@dataclass
class Person:
    user: User
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-KEY": self.key}


@dataclass
class People:
    sysadmin: Person
    owner: Person
    """Owns sources of their own (no organization)."""
    org_admin: Person
    org_editor: Person
    stranger: Person
    """Authenticated, related to nothing."""
    org: Organization

    def by_role(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        person: Person = getattr(self, role)
        return person.headers


@pytest.fixture
def people(db: Session, settings: Settings) -> People:
    def person(email: str, **kwargs: Any) -> Person:
        created = create_user(db, settings, email, **kwargs)
        return Person(created.user, created.api_key)

    found = {
        "sysadmin": person("root@example.test", sysadmin=True),
        "owner": person("owner@example.test", first_name="Olga"),
        "org_admin": person("admin@org.example.test"),
        "org_editor": person("editor@org.example.test"),
        "stranger": person("stranger@example.test"),
    }
    org = create_organization(db, "Ville de Rennes")
    add_member(db, org, "admin@org.example.test", MemberRole.ADMIN)
    add_member(db, org, "editor@org.example.test", MemberRole.EDITOR)
    db.commit()
    return People(org=org, **found)


@pytest.fixture
def runner() -> RecordingRunner:
    return RecordingRunner()


@pytest.fixture
def app(
    settings: Settings, session_factory: sessionmaker[Session], runner: RecordingRunner
) -> FastAPI:
    return create_app(settings, session_factory=session_factory, runner=runner)


@pytest.fixture
def client(app: FastAPI) -> Iterator[CheckedClient]:
    with CheckedClient(app, base_url="http://moisson.test", follow_redirects=False) as checked:
        yield checked


_clock = [datetime(2026, 1, 1, tzinfo=UTC)]


def _tick() -> datetime:
    _clock[0] += timedelta(seconds=1)
    return _clock[0]


def make_source(db: Session, name: str = "Catalogue", **values: Any) -> HarvestSource:
    """A stored source (slug from the name, user- or org-owned as given)."""
    values.setdefault("created_at", _tick())
    return stored(db, SourceFactory.build(name=name, **values))


def make_job(db: Session, source: HarvestSource, **values: Any) -> HarvestJob:
    values.setdefault("created", _tick())
    values.setdefault("status", "done")
    job = HarvestJob(source_id=source.id, **values)
    db.add(job)
    db.flush()
    return job


def stored_state(db: Session) -> tuple[list[Any], list[Any]]:
    """Every column of every source and job row, as the database has them now: equal
    before and after a refused call."""
    db.expire_all()
    sources = db.execute(select(HarvestSource.__table__).order_by(HarvestSource.id)).all()
    jobs = db.execute(select(HarvestJob.__table__).order_by(HarvestJob.id)).all()
    return [tuple(row) for row in sources], [tuple(row) for row in jobs]
