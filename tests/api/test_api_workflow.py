"""Validation, runs and schedules of sources; API keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.api.conftest import CheckedClient, People, RecordingRunner, make_job, make_source

from moisson.storage.models import ApiKey, HarvestJob, HarvestSource


def url(source: HarvestSource, action: str = "") -> str:
    return f"/api/1/harvest/source/{source.id}/" + (f"{action}/" if action else "")


@pytest.fixture
def source(db: Session, people: People) -> HarvestSource:
    made = make_source(db, "Rennes", owner_id=people.owner.user.id)
    db.commit()
    return made


@pytest.fixture
def accepted(db: Session, source: HarvestSource) -> HarvestSource:
    source.validation_state = "accepted"
    db.commit()
    return source


def jobs_of(db: Session, source: HarvestSource) -> list[HarvestJob]:
    db.expire_all()
    return list(db.scalars(select(HarvestJob).where(HarvestJob.source_id == source.id)))


class TestValidate:
    def test_accept_schedules_by_default_and_launches_a_job(
        self,
        client: CheckedClient,
        people: People,
        source: HarvestSource,
        runner: RecordingRunner,
        db: Session,
    ) -> None:
        response = client.post(
            url(source, "validate"),
            json={"state": "accepted", "comment": " ok "},
            headers=people.sysadmin.headers,
        )
        assert response.status_code == 200
        shown = response.json()
        assert shown["validation"]["state"] == "accepted"
        assert shown["validation"]["comment"] == "ok"
        assert shown["validation"]["by"]["id"] == people.sysadmin.user.id
        assert shown["schedule"] == "0 0 * * *"
        jobs = jobs_of(db, source)
        assert [j.status for j in jobs] == ["pending"]
        assert runner.submitted == [jobs[0].id]
        assert shown["last_job"]["id"] == jobs[0].id
        db.refresh(source)
        assert source.next_run_at is not None
        assert source.next_run_at > datetime.now(UTC)

    def test_accepting_again_while_a_job_waits_keeps_that_job(
        self, client: CheckedClient, people: People, source: HarvestSource, db: Session
    ) -> None:
        for _ in range(2):
            response = client.post(
                url(source, "validate"), json={"state": "accepted"}, headers=people.sysadmin.headers
            )
            assert response.status_code == 200
        assert len(jobs_of(db, source)) == 1

    def test_refuse_needs_a_comment(
        self, client: CheckedClient, people: People, source: HarvestSource, runner: RecordingRunner
    ) -> None:
        blank = client.post(
            url(source, "validate"),
            json={"state": "refused", "comment": "  "},
            headers=people.sysadmin.headers,
        )
        assert blank.status_code == 400
        assert blank.json()["errors"] == {
            "comment": "'comment' is required when 'state' is 'refused'"
        }
        refused = client.post(
            url(source, "validate"),
            json={"state": "refused", "comment": "Not open data"},
            headers=people.sysadmin.headers,
        ).json()
        assert refused["validation"]["state"] == "refused"
        assert refused["schedule"] is None
        assert runner.submitted == []

    @pytest.mark.parametrize("body", [{}, {"state": "pending"}, {"state": "bogus"}])
    def test_anything_but_accepted_or_refused_is_400(
        self, client: CheckedClient, people: People, source: HarvestSource, body: dict, db: Session
    ) -> None:
        response = client.post(url(source, "validate"), json=body, headers=people.sysadmin.headers)
        assert response.status_code == 400
        assert "state" in response.json()["errors"]
        db.refresh(source)
        assert source.validation_state == "pending"


class TestRun:
    def test_run_answers_the_source_and_submits_after_commit(
        self,
        client: CheckedClient,
        people: People,
        accepted: HarvestSource,
        runner: RecordingRunner,
        db: Session,
    ) -> None:
        response = client.post(url(accepted, "run"), headers=people.owner.headers)
        assert response.status_code == 200
        shown = response.json()
        assert shown["id"] == accepted.id
        (job,) = jobs_of(db, accepted)
        assert runner.submitted == [job.id]
        assert shown["last_job"] == {**shown["last_job"], "id": job.id, "status": "pending"}

    def test_second_run_while_one_is_active_is_409(
        self, client: CheckedClient, people: People, accepted: HarvestSource, db: Session
    ) -> None:
        make_job(db, accepted, status="processing")
        db.commit()
        response = client.post(url(accepted, "run"), headers=people.owner.headers)
        assert response.status_code == 409
        assert "already processing" in response.json()["message"]

    def test_unvalidated_source_is_400_even_for_sysadmins(
        self, client: CheckedClient, people: People, source: HarvestSource, runner: RecordingRunner
    ) -> None:
        response = client.post(url(source, "run"), headers=people.sysadmin.headers)
        assert response.status_code == 400
        assert response.json()["message"] == (
            "Source is not validated. Please validate the source before running."
        )
        assert runner.submitted == []

    def test_manual_runs_disabled_is_400_before_403(
        self, client: CheckedClient, people: People, accepted: HarvestSource, app: FastAPI
    ) -> None:
        harvest = app.state.settings.harvest.model_copy(update={"enable_manual_run": False})
        app.state.settings = app.state.settings.model_copy(update={"harvest": harvest})
        for who in (people.owner, people.stranger):
            response = client.post(url(accepted, "run"), headers=who.headers)
            assert response.status_code == 400
            assert response.json()["message"].startswith("Cannot run source manually.")
        assert client.post(url(accepted, "run"), headers=people.sysadmin.headers).status_code == 200

    def test_without_a_runner_the_job_stays_pending(
        self, settings, session_factory, people: People, accepted: HarvestSource, db: Session
    ) -> None:
        from moisson.api import create_app

        app = create_app(settings, session_factory=session_factory)
        with CheckedClient(app, base_url="http://moisson.test") as bare:
            assert bare.post(url(accepted, "run"), headers=people.owner.headers).status_code == 200
        assert [j.status for j in jobs_of(db, accepted)] == ["pending"]


class TestSchedule:
    def test_schedule_and_unschedule(
        self, client: CheckedClient, people: People, source: HarvestSource, db: Session
    ) -> None:
        response = client.post(
            url(source, "schedule"), json="0  3 * * 1", headers=people.sysadmin.headers
        )
        assert response.status_code == 200
        assert response.json()["schedule"] == "0 3 * * 1"
        db.refresh(source)
        assert source.schedule_cron == "0 3 * * 1"
        assert source.next_run_at is not None
        assert source.next_run_at.weekday() == 0
        removed = client.delete(url(source, "schedule"), headers=people.sysadmin.headers)
        assert removed.status_code == 204
        again = client.delete(url(source, "schedule"), headers=people.sysadmin.headers)
        assert again.status_code == 400
        assert again.json()["message"] == "Harvesting on source Rennes is not scheduled"

    def test_raw_cron_declared_as_json_is_accepted(
        self, client: CheckedClient, people: People, source: HarvestSource
    ) -> None:
        response = client.post(
            url(source, "schedule"),
            content=b"5 4 * * *",
            headers={**people.sysadmin.headers, "Content-Type": "application/json"},
        )
        assert response.json()["schedule"] == "5 4 * * *"

    @pytest.mark.parametrize(
        ("body", "headers", "status"),
        [
            (b'"0 0 *"', {"Content-Type": "application/json"}, 400),
            (b'"a b c d e"', {"Content-Type": "application/json"}, 400),
            (b'"0 0 * * * *"', {"Content-Type": "application/json"}, 400),
            (b'{"cron": "0 0 * * *"}', {"Content-Type": "application/json"}, 400),
            (b"0 0 * * *", {"Content-Type": "text/plain"}, 415),
        ],
    )
    def test_bad_schedules(
        self,
        client: CheckedClient,
        people: People,
        source: HarvestSource,
        body: bytes,
        headers: dict,
        status: int,
    ) -> None:
        response = client.post(
            url(source, "schedule"), content=body, headers={**people.sysadmin.headers, **headers}
        )
        assert response.status_code == status

    def test_interval_schedules_are_described(
        self, client: CheckedClient, source: HarvestSource, db: Session
    ) -> None:
        source.schedule_interval = 7200
        db.commit()
        assert client.get(url(source)).json()["schedule"] == "every 2 hours"

    def test_an_interval_can_be_set_as_it_is_shown(
        self, client: CheckedClient, people: People, source: HarvestSource, db: Session
    ) -> None:
        response = client.post(
            url(source, "schedule"), json="every 6 hours", headers=people.sysadmin.headers
        )
        assert response.status_code == 200
        assert response.json()["schedule"] == "every 6 hours"
        db.refresh(source)
        assert (source.schedule_cron, source.schedule_interval) == (None, 21600)
        assert source.next_run_at is not None


class TestApiKeys:
    def test_a_bad_key_is_401_even_on_public_reads(self, client: CheckedClient) -> None:
        response = client.get("/api/1/harvest/sources/", headers={"X-API-KEY": "moisson_nope"})
        assert response.status_code == 401
        assert response.json()["message"] == "Invalid API token"

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"revoked_at": datetime.now(UTC)}, "Revoked API token"),
            ({"expires_at": datetime.now(UTC) - timedelta(seconds=1)}, "Expired API token"),
        ],
    )
    def test_revoked_and_expired_keys(
        self, client: CheckedClient, people: People, db: Session, change: dict, message: str
    ) -> None:
        key = db.scalars(select(ApiKey).where(ApiKey.user_id == people.owner.user.id)).one()
        for name, value in change.items():
            setattr(key, name, value)
        db.commit()
        response = client.get("/api/1/harvest/backends/", headers=people.owner.headers)
        assert (response.status_code, response.json()["message"]) == (401, message)

    def test_inactive_user(self, client: CheckedClient, people: People, db: Session) -> None:
        people.owner.user.active = False
        db.commit()
        response = client.get("/api/1/harvest/backends/", headers=people.owner.headers)
        assert response.json()["message"] == "Inactive user"

    def test_keys_are_stored_hashed_and_last_use_recorded(
        self, client: CheckedClient, people: People, db: Session
    ) -> None:
        key = db.scalars(select(ApiKey).where(ApiKey.user_id == people.owner.user.id)).one()
        assert people.owner.key.startswith("moisson_")
        assert people.owner.key not in (key.key_hash, key.prefix)
        assert key.last_used_at is None
        client.get("/api/1/harvest/sources/", headers=people.owner.headers)
        db.refresh(key)
        assert key.last_used_at is not None

    def test_secured_endpoint_without_key_is_401(self, client: CheckedClient) -> None:
        response = client.post("/api/1/harvest/sources/", json={})
        assert response.status_code == 401
        assert "could not verify that you are authorized" in response.json()["message"]
