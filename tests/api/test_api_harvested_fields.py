"""A real DKAN record harvested by the engine, then read through the API: everything the
mapping found (contact points, frequency, spatial, temporal, licence, extras) is shown."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.api.conftest import CheckedClient, People, make_source
from tests.conftest import SHARED_FIXTURES
from tests.fakes import catalog_transport

from moisson.config import Settings
from moisson.services.runs import create_pending_job, run_job_here
from moisson.storage.models import Dataset, HarvestItem

HAUTS_DE_FRANCE = SHARED_FIXTURES / "dkan" / "hautsdefrance" / "dkan-french-w-license.json"
REMOTE_ID = "04be6288-696d-4331-850d-a144871a7e3a"


def test_dkan_record_shows_what_was_mapped(
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    client: CheckedClient,
    people: People,
) -> None:
    source = make_source(
        db,
        "Hauts-de-France",
        backend="dkan",
        url="https://harvest.me/",
        organization_id=people.org.id,
        validation_state="accepted",
    )
    job = create_pending_job(db, source)
    db.commit()
    routes = {
        "/api/3/action/package_list": httpx.Response(
            200, json={"success": True, "result": ["fake-name"]}
        ),
        "/api/3/action/package_show": httpx.Response(
            200, content=HAUTS_DE_FRANCE.read_bytes(), headers={"content-type": "application/json"}
        ),
    }
    run_job_here(
        session_factory, settings, job.id, http=httpx.Client(transport=catalog_transport(routes))
    )
    db.expire_all()
    (item,) = db.scalars(select(HarvestItem).where(HarvestItem.job_id == job.id))
    assert item.status == "done"
    dataset = db.scalars(select(Dataset).where(Dataset.harvest_remote_id == REMOTE_ID)).one()

    shown = client.get(f"/api/1/datasets/{dataset.id}/").json()
    assert shown["frequency"] == "punctual"
    assert shown["license"] == "fr-lo"
    assert shown["spatial"]["geom"]["type"] == "MultiPolygon"
    assert [(c["name"], c["email"], c["role"]) for c in shown["contact_points"]] == [
        ("Opendata de la Région Hauts-de-France", "opendata@hautsdefrance.fr", "contact"),
        ("Région Hauts-de-France", "sig@hautsdefrance.fr", "contact"),
        ("sig@hautsdefrance.fr", "sig@hautsdefrance.fr", "creator"),  # no name: the address
    ]
    assert shown["harvest"]["modified_at"].startswith("2019-10-01")
    assert shown["extras"]["frequency-of-update"] == "asNeeded"
    assert {r["format"] for r in shown["resources"]} >= {"xlsx"}
