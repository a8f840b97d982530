"""Fixtures of the admin tests: the whole app (API + admin) on the rolled-back test session,
people with keys, and a browser-like client that signs in through the form."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.admin.seed import (
    FORM_BACKEND,
    People,
    make_people,
    register_form_backend,
    unregister_form_backend,
    with_backends,
)

from moisson.api import create_app
from moisson.config import Settings

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture(autouse=True)
def form_backend() -> Iterator[None]:
    register_form_backend()
    yield
    unregister_form_backend()


@pytest.fixture
def admin_settings(settings: Settings) -> Settings:
    return with_backends(settings, FORM_BACKEND.id)


@pytest.fixture
def people(db: Session, admin_settings: Settings) -> People:
    found = make_people(db, admin_settings)
    db.commit()
    return found


@pytest.fixture
def app(admin_settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    return create_app(admin_settings, session_factory=session_factory)


class Browser(TestClient):
    """A client that keeps cookies and knows the page's CSRF token, as a browser would."""

    csrf = ""

    def page(self, url: str, **kwargs: object) -> str:
        response = self.get(url, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
        self.csrf = csrf_of(response.text)
        return response.text

    def submit(self, url: str, data: dict[str, str] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)  # type: ignore[arg-type]

    def sign_in(self, key: str) -> None:
        self.page("/admin/sign-in")
        response = self.submit("/admin/sign-in", {"api_key": key})
        assert response.status_code == 303, response.text


@pytest.fixture
def browser(app: FastAPI) -> Iterator[Browser]:
    with Browser(app, base_url="http://moisson.test", follow_redirects=False) as client:
        yield client
