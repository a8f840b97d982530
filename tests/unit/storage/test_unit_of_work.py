"""The unit of work of every edge: commit or roll back, then the actions that wait for the
commit (`after_commit`), such as handing a new job to a runner."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from moisson.services.runs import hand_over_after_commit
from moisson.storage.models import Organization
from moisson.storage.session import after_commit, unit_of_work


def organization_names(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(Organization.name).order_by(Organization.name)))


def test_actions_run_after_the_commit_in_order_and_see_the_data(
    committed_factory: sessionmaker[Session],
) -> None:
    seen: list[tuple[str, list[str]]] = []
    with unit_of_work(committed_factory) as session:
        session.add(Organization(name="Committed", slug="committed"))
        after_commit(session, lambda: seen.append(("first", organization_names(committed_factory))))
        after_commit(session, lambda: seen.append(("second", [])))
        assert seen == []  # nothing runs before the block ends
    assert seen == [("first", ["Committed"]), ("second", [])]


def test_actions_never_run_when_the_unit_rolls_back(
    committed_factory: sessionmaker[Session],
) -> None:
    ran: list[str] = []

    def refused_command() -> None:
        with unit_of_work(committed_factory) as session:
            session.add(Organization(name="Rolled back", slug="rolled-back"))
            after_commit(session, lambda: ran.append("action"))
            raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        refused_command()
    assert ran == []
    assert organization_names(committed_factory) == []


def test_a_failing_action_is_logged_and_the_others_still_run(
    committed_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("broker unreachable")

    with (
        caplog.at_level(logging.ERROR, logger="moisson.storage.session"),
        unit_of_work(committed_factory) as session,
    ):
        session.add(Organization(name="Kept", slug="kept"))
        after_commit(session, broken)
        after_commit(session, lambda: ran.append("after"))
    assert ran == ["after"]
    assert organization_names(committed_factory) == ["Kept"]
    assert "broker unreachable" in caplog.text


class RecordingRunner:
    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit(self, job_id: str) -> None:
        self.submitted.append(job_id)


def test_a_job_is_handed_to_the_runner_only_once_committed(
    committed_factory: sessionmaker[Session],
) -> None:
    runner = RecordingRunner()
    with unit_of_work(committed_factory) as session:
        hand_over_after_commit(session, runner, "job-1")
        hand_over_after_commit(session, runner, None)  # no job created: nothing to hand
        hand_over_after_commit(session, None, "job-2")  # no runner: the job stays pending
        assert runner.submitted == []
    assert runner.submitted == ["job-1"]
