"""Source credentials through the API: write-only, encrypted at rest, never read back."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.api.conftest import CheckedClient, People

from moisson.config import Settings
from moisson.encryption import unseal
from moisson.storage.models import HarvestSource

SOURCES = "/api/1/harvest/sources/"
SECRET = "pa55-word-not-to-be-seen"
BASIC = {"type": "basic", "username": "ann", "password": SECRET}


def source_url(ident: str) -> str:
    return f"/api/1/harvest/source/{ident}/"


def create(client: CheckedClient, people: People, **body: object) -> dict:
    body = {"name": "Locked", "url": "https://data.example.test/", "backend": "dcat", **body}
    response = client.post(SOURCES, json=body, headers=people.owner.headers)
    assert response.status_code == 201, response.text
    assert SECRET not in response.text
    return response.json()


def stored(db: Session, source_id: str) -> HarvestSource:
    db.expire_all()
    return db.scalars(select(HarvestSource).where(HarvestSource.id == source_id)).one()


def test_credentials_are_stored_encrypted_and_reads_only_say_they_are_set(
    client: CheckedClient, people: People, db: Session, settings: Settings
) -> None:
    created = create(client, people, credentials=BASIC)
    assert created["credentials"] == {"type": "basic", "set": True}
    row = stored(db, created["id"])
    assert row.credentials_token is not None
    assert SECRET not in row.credentials_token
    assert unseal(settings, row.credentials_token).headers()["Authorization"].startswith("Basic ")
    reads = [
        client.get(source_url(created["id"]), headers=people.owner.headers),
        client.get(source_url(created["id"]), headers=people.sysadmin.headers),
        client.get(SOURCES, headers=people.sysadmin.headers),
        client.get(SOURCES),
    ]
    for response in reads:
        assert response.status_code == 200
        assert SECRET not in response.text
        assert row.credentials_token not in response.text
    assert reads[0].json()["credentials"] == {"type": "basic", "set": True}


def test_sending_the_read_shape_back_keeps_them_and_null_removes_them(
    client: CheckedClient, people: People, db: Session
) -> None:
    created = create(client, people, credentials={"type": "bearer", "token": SECRET})
    token = stored(db, created["id"]).credentials_token
    echoed = client.put(
        source_url(created["id"]),
        json={"credentials": created["credentials"], "description": "edited"},
        headers=people.owner.headers,
    )
    assert echoed.status_code == 200, echoed.text
    assert echoed.json()["credentials"] == {"type": "bearer", "set": True}
    assert stored(db, created["id"]).credentials_token == token
    replaced = client.put(
        source_url(created["id"]),
        json={"credentials": {"type": "headers", "headers": {"X-API-Key": "k-" + SECRET}}},
        headers=people.owner.headers,
    )
    assert replaced.json()["credentials"] == {"type": "headers", "set": True}
    assert SECRET not in replaced.text
    cleared = client.put(
        source_url(created["id"]), json={"credentials": None}, headers=people.owner.headers
    )
    assert cleared.json()["credentials"] == {"type": None, "set": False}
    row = stored(db, created["id"])
    assert (row.credentials_kind, row.credentials_token) == (None, None)


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ({"type": "digest"}, "`credentials.type` must be one of headers, basic, bearer"),
        ({"type": "basic", "username": "ann"}, "`credentials.password` must be"),
        ({"type": "basic", "username": "a:b", "password": "x"}, "may not contain ':'"),
        ({"type": "bearer", "token": "a\r\nX-Evil: 1"}, "may not contain line breaks"),
        ({"type": "headers", "headers": {"Host": "x"}}, "Host may not be set"),
        ({"type": "headers", "headers": {"bad name": "x"}}, "is not a header name"),
        ({"type": "bearer", "token": "t", "extra": 1}, "`credentials.extra` is not a field"),
        ("secret", "`credentials` must be an object"),
    ],
)
def test_invalid_credentials_are_a_400_naming_the_field(
    client: CheckedClient, people: People, credentials: object, message: str
) -> None:
    body = {"name": "Locked", "url": "https://data.example.test/", "backend": "dcat"}
    response = client.post(
        SOURCES, json={**body, "credentials": credentials}, headers=people.owner.headers
    )
    assert response.status_code == 400, response.text
    assert message in json.dumps(response.json())
    assert "credentials" in response.json().get("errors", {})


def test_moving_the_url_to_another_origin_drops_the_credentials(
    client: CheckedClient, people: People, db: Session
) -> None:
    created = create(client, people, credentials=BASIC)
    same_origin = client.put(
        source_url(created["id"]),
        json={"url": "https://data.example.test/v2/catalog"},
        headers=people.owner.headers,
    )
    assert same_origin.json()["credentials"] == {"type": "basic", "set": True}
    moved = client.put(
        source_url(created["id"]),
        json={"url": "https://elsewhere.example.test/catalog"},
        headers=people.owner.headers,
    )
    assert moved.json()["credentials"] == {"type": None, "set": False}
    assert stored(db, created["id"]).credentials_token is None
    resent = client.put(
        source_url(created["id"]),
        json={"url": "https://third.example.test/", "credentials": BASIC},
        headers=people.owner.headers,
    )
    assert resent.json()["credentials"] == {"type": "basic", "set": True}
