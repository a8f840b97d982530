"""The two groups of job statuses: a job is either active (waiting for or held by a worker)
or final, never both, never neither."""

import pytest

from moisson.domain.enums import ACTIVE_JOB_STATUSES, FINAL_JOB_STATUSES, JobStatus
from moisson.storage.models import ACTIVE_JOB_CONDITION


def test_active_and_final_statuses_partition_job_statuses() -> None:
    assert ACTIVE_JOB_STATUSES.isdisjoint(FINAL_JOB_STATUSES)
    assert set(JobStatus) == ACTIVE_JOB_STATUSES | FINAL_JOB_STATUSES


@pytest.mark.parametrize("status", list(JobStatus))
def test_is_final_agrees_with_the_groups(status: JobStatus) -> None:
    assert status.is_final is (status in FINAL_JOB_STATUSES)
    assert status.is_final is (status not in ACTIVE_JOB_STATUSES)


def test_the_groups_hold_the_statuses_of_the_api() -> None:
    assert {status.value for status in ACTIVE_JOB_STATUSES} == {
        "pending",
        "initializing",
        "initialized",
        "processing",
    }
    assert {status.value for status in FINAL_JOB_STATUSES} == {"done", "done-errors", "failed"}


def test_database_strings_are_members_of_the_groups() -> None:
    # Jobs read back from the database carry plain strings.
    assert "pending" in ACTIVE_JOB_STATUSES
    assert "done-errors" in FINAL_JOB_STATUSES
    assert "done" not in ACTIVE_JOB_STATUSES


def test_partial_index_condition_is_unchanged() -> None:
    # The migrations repeat this text: building it from the set must not reorder it.
    assert ACTIVE_JOB_CONDITION == (
        "status IN ('pending', 'initializing', 'initialized', 'processing')"
    )
