"""Fixtures of the engine tests: producers, sources, and running a fake catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.factories import SourceFactory, stored
from tests.fakes import FakeBackend, FakeRecord, catalog_transport, fake_backend

from moisson.config import Settings
from moisson.harvest.engine import run_job
from moisson.services.runs import create_pending_job
from moisson.storage.base import new_id
from moisson.storage.models import (
    Dataservice,
    Dataset,
    HarvestErrorRow,
    HarvestItem,
    HarvestJob,
    HarvestSource,
    Organization,
    User,
)


def make_org(db: Session, name: str = "Org") -> Organization:
    org = Organization(name=name, slug=f"{name.lower()}-{new_id()}")
    db.add(org)
    db.flush()
    return org


def make_user(db: Session, email: str | None = None) -> User:
    token = new_id()
    user = User(email=email or f"{token}@example.test", slug=f"user-{token}", first_name="Ann")
    db.add(user)
    db.flush()
    return user


def make_source(
    db: Session,
    *,
    url: str = "https://remote.test/catalog",
    organization: Organization | None = None,
    owner: User | None = None,
    backend: str = "fake",
    **fields: Any,
) -> HarvestSource:
    token = new_id()
    source = SourceFactory.build(
        name=fields.pop("name", f"Source {token}"),
        slug=f"source-{token}",
        url=url,
        backend=backend,
        organization_id=organization.id if organization else None,
        owner_id=owner.id if owner else None,
        validation_state="accepted",
        **fields,
    )
    return stored(db, source, commit=True)


@dataclass
class Run:
    job: HarvestJob
    items: list[HarvestItem]
    errors: list[HarvestErrorRow]
    """Job-level errors."""

    def item_errors(self, db: Session, item: HarvestItem) -> list[str]:
        return list(
            db.scalars(select(HarvestErrorRow.message).where(HarvestErrorRow.item_id == item.id))
        )

    @property
    def statuses(self) -> list[str]:
        return [item.status for item in self.items]


Runner = Callable[..., Run]


@pytest.fixture
def harvest(db: Session, session_factory: sessionmaker[Session], settings: Settings) -> Runner:
    """`harvest(source, backend_cls_or_records, settings=...)` runs one real job to its end."""

    def run(
        source: HarvestSource,
        catalog: type[FakeBackend] | Iterable[FakeRecord],
        *,
        settings: Settings = settings,
    ) -> Run:
        backend = catalog if isinstance(catalog, type) else fake_backend(catalog)
        job = create_pending_job(db, source)
        db.commit()
        http = httpx.Client(transport=catalog_transport({}))
        run_job(session_factory, settings, job.id, backend_registry={"fake": backend}, http=http)
        db.expire_all()
        return load_run(db, job.id)

    return run


def load_run(db: Session, job_id: str) -> Run:
    job = db.get(HarvestJob, job_id)
    assert job is not None
    items = list(
        db.scalars(
            select(HarvestItem).where(HarvestItem.job_id == job_id).order_by(HarvestItem.seq)
        )
    )
    errors = list(
        db.scalars(
            select(HarvestErrorRow).where(
                HarvestErrorRow.job_id == job_id, HarvestErrorRow.item_id.is_(None)
            )
        )
    )
    return Run(job, items, errors)


def count(db: Session, model: type[Dataset] | type[Dataservice] | type[HarvestJob]) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)
