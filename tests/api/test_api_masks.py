"""X-Fields masks through the API (docs/udata-behaviour.md §3.4)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from tests.api.conftest import CheckedClient, People, make_job, make_source


@pytest.fixture
def source_id(db: Session, people: People) -> str:
    source = make_source(db, "Masked", owner_id=people.owner.user.id)
    make_job(db, source, status="done", items_total=3, items_done=3)
    db.commit()
    return source.id


def get(client: CheckedClient, path: str, mask: str) -> object:
    response = client.get(path, headers={"X-Fields": mask})
    assert response.status_code == 200, response.text
    return response.json()


def test_nested_mask_and_unknown_names(client: CheckedClient, source_id: str) -> None:
    shown = get(client, f"/api/1/harvest/source/{source_id}/", "{id,name,last_job{status},nope}")
    assert shown == {"id": source_id, "name": "Masked", "last_job": {"status": "done"}}


def test_outer_braces_optional_and_whitespace_ignored(
    client: CheckedClient, source_id: str
) -> None:
    shown = get(client, f"/api/1/harvest/source/{source_id}/", " id ,\n owner { first_name } ")
    assert shown == {"id": source_id, "owner": {"first_name": "Olga"}}


def test_envelope_mask(client: CheckedClient, source_id: str) -> None:
    shown = get(client, "/api/1/harvest/sources/", "data{id},total,next_page")
    assert shown == {"data": [{"id": source_id}], "total": 1, "next_page": None}


def test_star_keeps_the_rest_of_a_level(client: CheckedClient, source_id: str) -> None:
    shown = get(client, f"/api/1/harvest/source/{source_id}/", "*,last_job{id}")
    assert isinstance(shown, dict)
    assert set(shown["last_job"]) == {"id"}
    assert shown["name"] == "Masked"
    assert "permissions" in shown


def test_nested_mask_on_a_null_object(client: CheckedClient, source_id: str) -> None:
    shown = get(client, f"/api/1/harvest/source/{source_id}/", "organization{name}")
    assert shown == {"organization": None}


def test_mask_on_a_list(client: CheckedClient) -> None:
    shown = get(client, "/api/1/harvest/backends/", "id")
    assert isinstance(shown, list)
    assert all(set(b) == {"id"} for b in shown)


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        ("{id,name", "Mask parse error: Missing closing bracket"),
        ("id,last_job{status", "Mask parse error: Missing closing bracket"),
        ("id}", "Mask parse error: Unexpected closing bracket"),
        ("{id,name}}", "Mask parse error: Unexpected closing bracket"),
        ("id,{name}", "Mask parse error: Unexpected opening bracket"),
        ("id,,name", "Mask parse error: Unexpected comma"),
        (",id", "Mask parse error: Unexpected comma"),
        ("name{x}", "Mask error: Mask is inconsistent with model"),
    ],
)
def test_mask_errors(client: CheckedClient, source_id: str, mask: str, message: str) -> None:
    response = client.get(f"/api/1/harvest/source/{source_id}/", headers={"X-Fields": mask})
    assert response.status_code == 400
    assert response.json() == {"message": message}


def test_a_malformed_mask_changes_nothing(
    client: CheckedClient, people: People, db: Session
) -> None:
    body = {"name": "Never", "url": "https://n.example.test/", "backend": "dcat"}
    response = client.post(
        "/api/1/harvest/sources/", json=body, headers={**people.owner.headers, "X-Fields": "{id"}
    )
    assert response.status_code == 400
    assert client.get("/api/1/harvest/sources/").json()["total"] == 0
