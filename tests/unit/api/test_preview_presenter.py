"""The preview shape, built from transient (never saved) ORM objects as the engine hands
them over in a `PreviewResult`."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.api.schema_check import assert_valid

from moisson.config import Settings
from moisson.harvest.results import PreviewItem, PreviewResult
from moisson.services.auth import ANONYMOUS
from moisson.services.presenters import ObjectRelations, present_preview
from moisson.storage.models import (
    Dataservice,
    Dataset,
    HarvestErrorRow,
    HarvestItem,
    HarvestJob,
    HarvestLogRow,
    Resource,
)

NOW = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)


def preview_result() -> PreviewResult:
    job = HarvestJob(id=None, status="done-errors", created=NOW, started=NOW, ended=NOW)
    dataset = Dataset(
        id="0123456789abcdef01234567",
        slug="arbres",
        title="Arbres",
        description="",
        frequency="unknown",
        created_at=NOW,
        last_modified=NOW,
        tags=[],
        extras={},
        contact_point_ids=[],
        harvest_source_id=None,
        harvest_remote_id="arbres",
        harvest_extra={},
        resources=[
            Resource(
                id="r1",
                url="https://x.example.test/a.csv",
                title="a.csv",
                created_at=NOW,
                last_modified=NOW,
                type="main",
                filetype="remote",
            )
        ],
    )
    service = Dataservice(
        id="89abcdef0123456789abcdef",
        slug="api",
        title="API",
        description="",
        created_at=NOW,
        last_modified=NOW,
        harvest_extra={},
        tags=[],
        extras={},
    )
    ok = HarvestItem(
        remote_id="arbres", status="done", created=NOW, started=NOW, ended=NOW, kwargs={}
    )
    served = HarvestItem(remote_id="api", status="done", created=NOW, kwargs={})
    failed = HarvestItem(remote_id=None, status="failed", created=NOW, kwargs={})
    return PreviewResult(
        job=job,
        errors=[
            HarvestErrorRow(
                level="WARNING", message="max items reached", details="x", created_at=NOW
            )
        ],
        items=[
            PreviewItem(
                item=ok, dataset=dataset, logs=[HarvestLogRow(level="DEBUG", message="mapped")]
            ),
            PreviewItem(item=served, dataservice=service),
            PreviewItem(
                item=failed,
                errors=[HarvestErrorRow(level="ERROR", message="No title", created_at=NOW)],
            ),
        ],
    )


def test_preview_shape_matches_the_reference() -> None:
    settings = Settings(_env_file=None, public_url="http://moisson.test")  # type: ignore[call-arg]
    shown = present_preview(
        preview_result(), ObjectRelations(), settings, ANONYMOUS, source_id=None
    )
    assert_valid(shown, {"$ref": "#/components/schemas/HarvestJobPreview"})
    assert shown["id"] is None
    assert shown["source"] is None
    assert shown["errors"] == [
        {
            "level": "WARNING",
            "message": "max items reached",
            "details": None,
            "created_at": "2026-05-04T03:02:01+00:00",
        }
    ]
    first, second, third = shown["items"]
    assert first["dataset"]["uri"] is None
    assert first["dataset"]["page"] is None
    assert first["dataset"]["harvest"]["source_id"] is None
    assert first["dataset"]["resources"][0]["url"] == "https://x.example.test/a.csv"
    assert first["logs"] == [{"level": "DEBUG", "message": "mapped"}]
    assert second["dataservice"]["self_api_url"] is None
    assert second["dataservice"]["title"] == "API"
    assert third["errors"][0]["message"] == "No title"


def test_preview_of_a_saved_source_names_it() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    shown = present_preview(
        preview_result(), ObjectRelations(), settings, ANONYMOUS, source_id="abc"
    )
    assert shown["source"] == "abc"
