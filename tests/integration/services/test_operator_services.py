"""Service helpers the CLI needs: the system caller, operator lookups (slug first), taking
over a pending job, abandoning an interrupted one, installed backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.integration.harvest.conftest import make_org, make_source, make_user

from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.errors import Conflict, InvalidInput, NotFound
from moisson.services import runs, source_workflow, sources
from moisson.services.auth import system_caller
from moisson.services.organizations import find_organization
from moisson.services.users import find_user
from moisson.storage.models import HarvestErrorRow, HarvestJob, User


class TestSystemCaller:
    def test_is_a_sysadmin_that_is_no_account(self, db: Session) -> None:
        caller = system_caller()
        assert caller.is_sysadmin
        assert caller.user_id is None
        assert db.scalars(select(User)).all() == []

    def test_validations_it_makes_record_no_validator(
        self, db: Session, settings: Settings
    ) -> None:
        source = make_source(db, backend="dcat")
        source.validation_state = "pending"
        launched = source_workflow.validate_source(
            db, settings, system_caller(), source.id, {"state": "accepted"}
        )
        assert launched.source["validation"]["by"] is None
        assert launched.source["validation"]["state"] == "accepted"


class TestLookups:
    def test_find_source_by_slug_id_and_former_slug(self, db: Session, settings: Settings) -> None:
        source = make_source(db, backend="dcat", name="Old name", owner=make_user(db))
        assert sources.find_source(db, source.slug) is source
        assert sources.find_source(db, f" {source.id} ") is source
        former = source.slug
        sources.update_source(db, settings, system_caller(), source.id, {"name": "New name"})
        assert source.slug == "new-name"
        assert sources.find_source(db, former) is source
        with pytest.raises(NotFound) as info:
            sources.find_source(db, "missing")
        assert info.value.message == "Unknown source 'missing' (give its slug or id)"

    def test_find_user_and_organization(self, db: Session) -> None:
        user = make_user(db, "ana@example.test")
        org = make_org(db, "Brest")
        assert find_user(db, "ANA@example.test") is user
        assert find_user(db, user.id) is user
        assert find_organization(db, org.slug) is org
        assert find_organization(db, org.id) is org
        with pytest.raises(NotFound):
            find_user(db, "nobody")
        with pytest.raises(NotFound):
            find_organization(db, "0" * 24)

    def test_it_cannot_own_a_source(self, db: Session, settings: Settings) -> None:
        changes = {"backend": "dcat", "url": "https://example.org/catalog", "name": "S"}
        with pytest.raises(InvalidInput) as info:
            sources.create_source(db, settings, system_caller(), changes)
        assert info.value.errors == {"owner": sources.NO_PRODUCER}
        owner = make_user(db)
        created = sources.create_source(
            db, settings, system_caller(), {**changes, "owner": owner.id}
        )
        assert created["owner"]["id"] == owner.id


class TestTakingOverAPendingJob:
    def test_adopts_a_pending_job_but_not_a_running_one(
        self, db: Session, settings: Settings
    ) -> None:
        source = make_source(db, backend="dcat")
        first = source_workflow.run_source(db, settings, system_caller(), source.id)
        with pytest.raises(Conflict):
            source_workflow.run_source(db, settings, system_caller(), source.id)
        adopted = source_workflow.run_source(
            db, settings, system_caller(), source.id, adopt_pending=True
        )
        assert adopted.job_id == first.job_id
        job = db.get(HarvestJob, first.job_id)
        assert job is not None
        job.status = JobStatus.PROCESSING
        db.flush()
        with pytest.raises(Conflict):
            source_workflow.run_source(db, settings, system_caller(), source.id, adopt_pending=True)


class TestAbandonJob:
    def test_fails_an_active_job_with_the_reason(self, db: Session) -> None:
        source = make_source(db, backend="dcat")
        job = runs.create_pending_job(db, source)
        job.status = JobStatus.PROCESSING
        assert runs.abandon_job(db, job.id, "Interrupted by the operator") is True
        assert job.status == JobStatus.FAILED
        assert job.ended is not None
        errors = db.scalars(select(HarvestErrorRow.message).where(HarvestErrorRow.job_id == job.id))
        assert list(errors) == ["Interrupted by the operator"]
        assert runs.abandon_job(db, job.id, "again") is False
        assert runs.abandon_job(db, "0" * 24, "unknown") is False


def test_installed_backends_flag_the_enabled_ones(settings: Settings) -> None:
    only_dcat = settings.model_copy(
        update={"harvest": settings.harvest.model_copy(update={"backends": ["dcat"]})}
    )
    found = {b["id"]: b["enabled"] for b in sources.installed_backends(only_dcat)}
    assert found["dcat"] is True
    assert found["ckan"] is False
    assert list(found) == sorted(found)
