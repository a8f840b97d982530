"""A request is one transaction, committed before the response and before the job runner
hears of a job (real commits here, seen from other connections)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.api.conftest import CheckedClient

from moisson.api import create_app
from moisson.config import Settings
from moisson.services.users import create_user
from moisson.storage.models import HarvestJob, HarvestSource
from moisson.storage.session import unit_of_work


@dataclass
class CheckingRunner:
    """Looks for the submitted job from a connection of its own, as a worker would."""

    factory: sessionmaker[Session]
    seen: list[str | None] = field(default_factory=list)

    def submit(self, job_id: str) -> None:
        with self.factory() as session:
            job = session.get(HarvestJob, job_id)
            self.seen.append(job.status if job is not None else None)


def test_job_is_committed_before_it_is_submitted(
    settings: Settings, committed_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(committed_factory) as session:
        owner = create_user(session, settings, "o@example.test")
        session.add(
            HarvestSource(
                name="S",
                slug="s",
                url="https://s.example.test/",
                backend="dcat",
                owner_id=owner.user.id,
                validation_state="accepted",
            )
        )
    runner = CheckingRunner(committed_factory)
    app = create_app(settings, session_factory=committed_factory, runner=runner)
    with CheckedClient(app, base_url="http://moisson.test") as client:
        response = client.post("/api/1/harvest/source/s/run/", headers={"X-API-KEY": owner.api_key})
    assert response.status_code == 200
    assert runner.seen == ["pending"]


def test_a_failed_request_leaves_nothing_behind(
    settings: Settings, committed_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(committed_factory) as session:
        owner = create_user(session, settings, "o@example.test")
    app = create_app(settings, session_factory=committed_factory)
    body = {"name": "Half", "url": "https://h.example.test/", "backend": "dcat"}
    with CheckedClient(app, base_url="http://moisson.test") as client:
        response = client.post(
            "/api/1/harvest/sources/",
            json=body,
            headers={"X-API-KEY": owner.api_key, "X-Fields": "name{x}"},
        )
    # The mask is applied after the source was flushed: the error must roll it back.
    assert response.status_code == 400
    with committed_factory() as session:
        assert session.scalars(select(HarvestSource)).all() == []
