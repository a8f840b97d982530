"""The admin source page says which credentials a source has, never what they are."""

from __future__ import annotations

import base64

from sqlalchemy.orm import Session
from tests.admin.conftest import Browser
from tests.admin.seed import People, make_source

from moisson.config import Settings
from moisson.domain.credentials import parse_credentials
from moisson.encryption import seal

SECRET = "admin-page-secret-777"


def test_the_source_page_shows_the_kind_of_credentials_only(
    browser: Browser, people: People, db: Session, admin_settings: Settings
) -> None:
    credentials = parse_credentials({"type": "basic", "username": "ann", "password": SECRET})
    token = seal(admin_settings, credentials)
    source = make_source(
        db, "Verrouillé", people.owner.user, credentials_kind="basic", credentials_token=token
    )
    db.commit()
    browser.sign_in(people.sysadmin.key)
    pages = [
        browser.page(f"/admin/sources/{source.id}"),
        browser.page(f"/admin/sources/{source.id}/edit"),
        browser.page("/admin/sources"),
    ]
    assert 'basic <span class="muted">(set, not shown)</span>' in pages[0]
    encoded = base64.b64encode(f"ann:{SECRET}".encode()).decode()
    for html in pages:
        assert SECRET not in html
        assert encoded not in html
        assert token not in html
