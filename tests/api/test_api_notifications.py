"""Notification subscriptions through the API: permissions, validation, deliveries shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.api.conftest import CheckedClient, People, make_source

from moisson.config import Settings
from moisson.services.notification_delivery import drain
from moisson.storage.notification_models import NotificationDelivery, NotificationSubscription


def notifications_url(source_id: str, rest: str = "") -> str:
    return f"/api/1/harvest/source/{source_id}/notifications/{rest}"


EMAIL = {"channel": "email", "target": "ops@example.org", "events": ["job.failed"]}


def test_the_owner_subscribes_lists_and_removes(
    client: CheckedClient, people: People, db: Session
) -> None:
    source = make_source(db, owner_id=people.owner.user.id)
    db.commit()
    created = client.post(
        notifications_url(source.id),
        json={**EMAIL, "thresholds": {"items_failed": 10}, "digest": True},
        headers=people.owner.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["events"] == ["job.failed"]
    assert body["digest"] is True
    assert body["secret"] == {"set": False}
    listed = client.get(notifications_url(source.id), headers=people.owner.headers)
    assert [s["id"] for s in listed.json()] == [body["id"]]
    for role in ("stranger", "org_admin"):
        refused = client.get(notifications_url(source.id), headers=people.by_role(role))
        assert refused.status_code == 403
    assert client.get(notifications_url(source.id)).status_code == 401
    removed = client.delete(
        notifications_url(source.id, f"{body['id']}/"), headers=people.owner.headers
    )
    assert removed.status_code == 204
    assert client.get(notifications_url(source.id), headers=people.owner.headers).json() == []


def test_a_webhook_secret_is_shown_once_and_never_again(
    client: CheckedClient, people: People, db: Session, settings: Settings
) -> None:
    source = make_source(db, owner_id=people.owner.user.id)
    db.commit()
    hook = {"channel": "webhook", "target": "https://hooks.example.org/x", "events": ["job.failed"]}
    created = client.post(notifications_url(source.id), json=hook, headers=people.owner.headers)
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]["value"]
    assert len(secret) >= 32
    stored = db.scalars(select(NotificationSubscription)).one()
    assert secret not in (stored.secret_token or "")
    listed = client.get(notifications_url(source.id), headers=people.owner.headers)
    assert secret not in listed.text
    assert listed.json()[0]["secret"] == {"set": True}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**EMAIL, "channel": "sms"}, "channel"),
        ({**EMAIL, "target": "not an address"}, "target"),
        ({**EMAIL, "events": ["job.exploded"]}, "events"),
        ({**EMAIL, "events": []}, "events"),
        ({**EMAIL, "thresholds": {"items_failed": -1}}, "thresholds"),
        ({**EMAIL, "thresholds": {"nope": 1}}, "thresholds"),
        ({"channel": "webhook", "target": "http://10.0.0.1/x", "events": ["job.failed"]}, "target"),
        (
            {
                "channel": "webhook",
                "target": "https://a.example.org/",
                "events": ["job.failed"],
                "digest": True,
            },
            "digest",
        ),
        (
            {
                "channel": "webhook",
                "target": "https://a.example.org/",
                "events": ["job.failed"],
                "secret": "short",
            },
            "secret",
        ),
    ],
)
def test_an_invalid_subscription_is_a_400_naming_the_field(
    client: CheckedClient, people: People, db: Session, body: dict, field: str
) -> None:
    source = make_source(db, owner_id=people.owner.user.id)
    db.commit()
    response = client.post(notifications_url(source.id), json=body, headers=people.owner.headers)
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"]


def test_organization_subscriptions_hear_of_validations_and_deliveries_are_visible(
    client: CheckedClient,
    people: People,
    db: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    source = make_source(db, organization_id=people.org.id)
    db.commit()
    org_url = f"/api/1/harvest/organization/{people.org.id}/notifications/"
    events = ["source.accepted", "source.refused"]
    assert (
        client.post(
            org_url, json={**EMAIL, "events": events}, headers=people.org_editor.headers
        ).status_code
        == 403
    )
    created = client.post(
        org_url, json={**EMAIL, "events": events}, headers=people.org_admin.headers
    )
    assert created.status_code == 201, created.text

    refused = client.post(
        f"/api/1/harvest/source/{source.id}/validate/",
        json={"state": "refused", "comment": "Not open data"},
        headers=people.sysadmin.headers,
    )
    assert refused.status_code == 200
    (queued,) = db.scalars(select(NotificationDelivery)).all()
    assert (queued.event, queued.payload["comment"]) == ("source.refused", "Not open data")

    drain(session_factory, settings)  # no SMTP server configured: the attempt says so
    for url in (notifications_url(source.id, "deliveries/"), org_url + "deliveries/"):
        shown = client.get(url, headers=people.org_admin.headers)
        assert shown.status_code == 200
        (delivery,) = shown.json()
        assert delivery["event"] == "source.refused"
        assert delivery["status"] == "pending"
        assert delivery["attempts"][0]["ok"] is False
        assert "MOISSON_NOTIFICATIONS__SMTP_HOST" in delivery["attempts"][0]["error"]


def test_the_endpoints_are_in_the_openapi_document(client: CheckedClient) -> None:
    paths = client.get("/api/1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/1/harvest/source/{source}/notifications/"])
    assert "get" in paths["/api/1/harvest/source/{source}/notifications/deliveries/"]
    assert "post" in paths["/api/1/harvest/organization/{org}/notifications/"]
