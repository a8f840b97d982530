"""The notifications page of a source: subscribe, see deliveries and attempts, unsubscribe."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.admin.conftest import Browser, csrf_of
from tests.admin.seed import People, make_source

from moisson.config import Settings
from moisson.services.notification_delivery import drain
from moisson.services.notifications import queue_validation_event
from moisson.storage.notification_models import NotificationSubscription


def test_the_owner_subscribes_sees_deliveries_and_unsubscribes(
    browser: Browser,
    people: People,
    db: Session,
    admin_settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    source = make_source(db, "Arbres", people.owner.user)
    db.commit()
    browser.sign_in(people.owner.key)
    page_url = f"/admin/sources/{source.id}/notifications"
    assert page_url in browser.page(f"/admin/sources/{source.id}")
    html = browser.page(page_url)
    assert "Nobody is notified" in html

    refused = browser.submit(
        page_url, {"channel": "email", "target": "nope", "events": "job.failed"}
    )
    assert refused.status_code == 400
    assert "is not an e-mail address" in refused.text
    response = browser.post(
        page_url,
        data={
            "csrf_token": csrf_of(html),
            "channel": "email",
            "target": "ops@example.org",
            "events": ["job.failed", "source.accepted"],
            "items_failed": "5",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    subscription = db.scalars(select(NotificationSubscription)).one()
    assert subscription.events == ["job.failed", "source.accepted"]
    assert subscription.thresholds == {"items_failed": 5}

    queue_validation_event(db, admin_settings, source, "accepted", None)
    db.commit()
    drain(session_factory, admin_settings)  # no SMTP server: a failed attempt, shown
    html = browser.page(page_url)
    assert "ops@example.org" in html
    assert "source.accepted" in html
    assert "MOISSON_NOTIFICATIONS__SMTP_HOST" in html

    removed = browser.submit(f"{page_url}/{subscription.id}/delete", {})
    assert removed.status_code in (200, 303)
    db.expire_all()
    assert db.scalars(select(NotificationSubscription)).all() == []


def test_a_stranger_cannot_open_the_page(browser: Browser, people: People, db: Session) -> None:
    source = make_source(db, "Arbres", people.owner.user)
    db.commit()
    browser.sign_in(people.stranger.key)
    response = browser.get(f"/admin/sources/{source.id}/notifications")
    assert response.status_code == 403
