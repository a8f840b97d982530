"""`run_job(on_progress=...)`: the counters a foreground run displays, after every item."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.fakes import FakeRecord, catalog_transport, fake_backend
from tests.integration.harvest.conftest import load_run, make_source

from moisson.config import Settings
from moisson.domain.exceptions import InvalidItem
from moisson.services.runs import JobProgress, create_pending_job, run_job_here


def run_with_progress(
    db: Session,
    factory: sessionmaker[Session],
    settings: Settings,
    records: list[FakeRecord],
    on_progress: object,
) -> str:
    source = make_source(db)
    job = create_pending_job(db, source)
    db.commit()
    run_job_here(
        factory,
        settings,
        job.id,
        on_progress=on_progress,  # type: ignore[arg-type]
        backend_registry={"fake": fake_backend(records)},
        http=httpx.Client(transport=catalog_transport({})),
    )
    db.expire_all()
    return job.id


class TestProgress:
    def test_reported_after_every_item_then_at_the_end(
        self, db: Session, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        seen: list[JobProgress] = []
        records = [
            FakeRecord("a"),
            FakeRecord("b", map_error=InvalidItem("broken")),
            FakeRecord("c", skip="not for us"),
        ]
        run_with_progress(db, session_factory, settings, records, seen.append)
        assert [(p.seen, p.done, p.failed, p.skipped) for p in seen] == [
            (1, 1, 0, 0),
            (2, 1, 1, 0),
            (3, 1, 1, 1),
            (3, 1, 1, 1),
        ]
        assert [p.status for p in seen][-1] == "done-errors"
        assert {p.status for p in seen[:-1]} == {"initialized"}

    def test_a_failing_callback_does_not_fail_the_harvest(
        self,
        db: Session,
        session_factory: sessionmaker[Session],
        settings: Settings,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        def broken(progress: JobProgress) -> None:
            raise RuntimeError("the terminal went away")

        job_id = run_with_progress(
            db, session_factory, settings, [FakeRecord("a"), FakeRecord("b")], broken
        )
        run = load_run(db, job_id)
        assert run.job.status == "done"
        assert run.statuses == ["done", "done"]
        assert "Progress callback" in caplog.text
