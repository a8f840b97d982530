"""Jobs, items, datasets and dataservices as the API shows them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session
from tests.api.conftest import CheckedClient, People, make_job, make_source

from moisson.storage.models import (
    ContactPoint,
    Dataservice,
    Dataset,
    HarvestErrorRow,
    HarvestItem,
    HarvestJob,
    HarvestLogRow,
    HarvestSource,
    Resource,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def harvested(db: Session, people: People) -> dict[str, object]:
    """A source with a finished job: a created dataset, a dataservice, a failure, a skip."""
    source = make_source(db, "Rennes", organization_id=people.org.id)
    contact = ContactPoint(name=None, email="contact@rennes.example.test", role="publisher")
    db.add(contact)
    db.flush()
    dataset = Dataset(
        slug="arbres",
        title="Arbres d'alignement",
        description="Les arbres de la ville",
        organization_id=people.org.id,
        license="lov2",
        frequency="daily",
        tags=["arbres", "nature"],
        temporal_start=date(2020, 1, 1),
        spatial={"geom": None, "zones": ["fr:commune:35238"], "granularity": "fr:commune"},
        contact_point_ids=[contact.id],
        harvest_source_id=source.id,
        harvest_domain="data.example.test",
        harvest_remote_id="arbres-1",
        harvest_backend="DCAT",
        harvest_last_update=NOW,
        harvest_modified_at=NOW,
        harvest_extra={"doi": "10.1/x"},
        resources=[
            Resource(
                url="https://data.example.test/arbres.csv",
                title="arbres.csv",
                format="csv",
                checksum_type="sha256",
                checksum_value="abc",
                harvest={
                    "uri": "https://data.example.test/d/1",
                    "modified_at": "2026-02-01T00:00:00Z",
                },
            ),
            Resource(url="https://data.example.test/doc", title="Doc", type="documentation"),
        ],
    )
    archived = Dataset(
        slug="vieux",
        title="Vieux jeu",
        harvest_source_id=source.id,
        archived_at=NOW,
        harvest_archived_reason="not-on-remote",
        harvest_archived_at=NOW,
    )
    other = Dataset(slug="autre", title="Autre source")
    db.add_all([dataset, archived, other])
    db.flush()
    service = Dataservice(
        slug="api-arbres",
        title="API arbres",
        base_api_url="https://api.example.test/",
        dataset_ids=[dataset.id],
        harvest_source_id=source.id,
    )
    db.add(service)
    db.flush()
    job = make_job(
        db,
        source,
        status="done-errors",
        started=NOW,
        ended=NOW,
        items_total=4,
        items_done=2,
        items_failed=1,
        items_skipped=1,
        items_datasets=1,
        items_dataservices=1,
        items_unchanged=1,
    )
    items = [
        HarvestItem(
            job_id=job.id,
            seq=0,
            remote_id="arbres-1",
            status="done",
            dataset_id=dataset.id,
            remote_url="https://data.example.test/d/1",
            kwargs={"page_number": 0},
        ),
        HarvestItem(
            job_id=job.id,
            seq=1,
            remote_id="api",
            status="done",
            dataservice_id=service.id,
            unchanged=True,
        ),
        HarvestItem(job_id=job.id, seq=2, remote_id="broken", status="failed"),
        HarvestItem(job_id=job.id, seq=3, remote_id=None, status="skipped"),
    ]
    db.add_all(items)
    db.flush()
    db.add(
        HarvestErrorRow(job_id=job.id, item_id=items[2].id, message="No title", details="payload")
    )
    db.add(HarvestLogRow(item_id=items[2].id, seq=0, level="WARNING", message="odd date"))
    db.commit()
    return {
        "source": source,
        "job": job,
        "dataset": dataset,
        "service": service,
        "archived": archived,
    }


def test_job_with_its_items(client: CheckedClient, harvested: dict) -> None:
    job: HarvestJob = harvested["job"]  # type: ignore[assignment]
    shown = client.get(f"/api/1/harvest/job/{job.id}/").json()
    assert shown["source"] == harvested["source"].id  # type: ignore[attr-defined]
    assert shown["status"] == "done-errors"
    assert shown["items_by_status"] == {
        "pending": 0,
        "started": 0,
        "done": 2,
        "failed": 1,
        "skipped": 1,
        "archived": 0,
    }
    assert shown["items_by_type"] == {"dataset": 1, "dataservice": 1}
    assert shown["items_unchanged"] == 1
    first, second, failed, skipped = shown["items"]
    assert first["dataset"] == {
        "id": harvested["dataset"].id,  # type: ignore[attr-defined]
        "class": "Dataset",
        "title": "Arbres d'alignement",
        "acronym": None,
        "uri": f"http://moisson.test/api/1/datasets/{harvested['dataset'].id}/",  # type: ignore[attr-defined]
        "page": None,
    }
    assert first["kwargs"] == {"page_number": 0}
    assert first["args"] == []
    assert second["dataservice"]["class"] == "Dataservice"
    assert second["unchanged"] is True
    assert failed["errors"][0]["message"] == "No title"
    assert failed["errors"][0]["details"] is None
    assert failed["logs"] == [{"level": "WARNING", "message": "odd date"}]
    assert skipped["remote_id"] is None
    assert skipped["remote_url"] is None
    paged = client.get(f"/api/1/harvest/job/{job.id}/", params={"page": 2, "page_size": 3}).json()
    assert [i["remote_id"] for i in paged["items"]] == [None]


def test_items_endpoint_filters_by_status(client: CheckedClient, harvested: dict) -> None:
    job = harvested["job"]
    base = f"/api/1/harvest/job/{job.id}/items/"
    done = client.get(base, params={"status": "done"}).json()
    assert done["total"] == 2
    assert [i["remote_id"] for i in done["data"]] == ["arbres-1", "api"]
    page = client.get(base, params={"page_size": 3}).json()
    assert page["total"] == 4
    assert page["next_page"] is not None
    assert client.get(base, params={"page": 3, "page_size": 3}).status_code == 404
    bogus = client.get(base, params={"status": "bogus"})
    assert bogus.status_code == 400
    assert bogus.json()["errors"] == {
        "status": "The value 'bogus' is not a valid choice for 'status'."
    }


@pytest.mark.parametrize("ident", ["0123456789abcdef01234567", "not-an-id"])
def test_unknown_job_is_404(client: CheckedClient, ident: str) -> None:
    assert client.get(f"/api/1/harvest/job/{ident}/").status_code == 404
    assert client.get(f"/api/1/harvest/job/{ident}/items/").status_code == 404


def test_jobs_of_a_source(client: CheckedClient, harvested: dict, db: Session) -> None:
    source: HarvestSource = harvested["source"]  # type: ignore[assignment]
    newer = make_job(db, source, status="pending")
    db.commit()
    page = client.get(f"/api/1/harvest/source/{source.slug}/jobs/").json()
    assert [j["id"] for j in page["data"]] == [newer.id, harvested["job"].id]  # type: ignore[attr-defined]
    assert "items" not in page["data"][0]  # summaries carry counters, not items
    assert page["data"][1]["items_total"] == 4
    assert client.get(f"/api/1/harvest/source/{source.slug}/jobs/?page=2").status_code == 404


def test_dataset_shape(client: CheckedClient, harvested: dict) -> None:
    dataset: Dataset = harvested["dataset"]  # type: ignore[assignment]
    shown = client.get(f"/api/1/datasets/{dataset.id}/").json()
    assert shown["uri"] == f"http://moisson.test/api/1/datasets/{dataset.id}/"
    assert shown["harvest"]["remote_id"] == "arbres-1"
    assert shown["harvest"]["doi"] == "10.1/x"
    assert shown["harvest"]["last_update"] == "2026-03-01T12:00:00+00:00"
    assert shown["temporal_coverage"] == {"start": "2020-01-01T00:00:00+00:00", "end": None}
    assert shown["spatial"]["zones"] == ["fr:commune:35238"]
    assert shown["organization"]["name"] == "Ville de Rennes"
    assert shown["contact_points"][0]["name"] == "contact@rennes.example.test"
    assert [r["title"] for r in shown["resources"]] == ["arbres.csv", "Doc"]
    csv = shown["resources"][0]
    assert csv["checksum"] == {"type": "sha256", "value": "abc"}
    assert csv["harvest"]["modified_at"] == "2026-02-01T00:00:00+00:00"
    assert shown["resources"][1]["format"] == ""


def test_dataset_list_filters(client: CheckedClient, harvested: dict) -> None:
    source = harvested["source"]

    def titles(**params: object) -> list[str]:
        return sorted(
            d["title"] for d in client.get("/api/1/datasets/", params=params).json()["data"]
        )

    assert titles() == ["Arbres d'alignement", "Autre source", "Vieux jeu"]
    assert titles(harvest_source=source.id) == ["Arbres d'alignement", "Vieux jeu"]  # type: ignore[attr-defined]
    assert titles(harvest_source=source.id, archived="true") == ["Vieux jeu"]  # type: ignore[attr-defined]
    assert titles(archived="false") == ["Arbres d'alignement", "Autre source"]
    assert titles(q="ARBRES align") == ["Arbres d'alignement"]
    assert client.get("/api/1/datasets/", params={"harvest_source": "x"}).status_code == 400
    assert client.get("/api/1/datasets/0123456789abcdef01234567/").status_code == 404


def test_dataservices(client: CheckedClient, harvested: dict) -> None:
    service: Dataservice = harvested["service"]  # type: ignore[assignment]
    page = client.get(
        "/api/1/dataservices/", params={"harvest_source": harvested["source"].id}
    ).json()  # type: ignore[attr-defined]
    assert [d["id"] for d in page["data"]] == [service.id]
    shown = client.get(f"/api/1/dataservices/{service.id}/").json()
    assert shown["self_api_url"] == f"http://moisson.test/api/1/dataservices/{service.id}/"
    assert [d["id"] for d in shown["datasets"]] == [harvested["dataset"].id]  # type: ignore[attr-defined]
    assert client.get("/api/1/dataservices/nope/").status_code == 404


def test_backends(client: CheckedClient) -> None:
    shown = client.get("/api/1/harvest/backends/").json()
    labels = [b["label"] for b in shown]
    assert labels == sorted(labels)
    assert {"CKAN", "DCAT", "CSW-DCAT"} <= set(labels)
    csw = next(b for b in shown if b["id"] == "csw-dcat")
    assert csw["extra_configs"][0]["type"] == "string"
