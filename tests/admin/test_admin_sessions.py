"""The admin session cookie and the CSRF check, through the real app (Starlette TestClient)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from tests.admin.conftest import Browser, csrf_of
from tests.admin.seed import People

from moisson.admin.sessions import COOKIE_NAME, AdminSession, SessionCodec
from moisson.admin.views import router
from moisson.api import create_app
from moisson.config import Settings
from moisson.storage.models import ApiKey

SIGN_IN = "/admin/sign-in"


def cookie_header(browser: Browser, url: str = SIGN_IN) -> str:
    browser.cookies.clear()
    response = browser.get(url)
    return response.headers["set-cookie"]


class TestCookie:
    def test_is_signed_http_only_lax_and_scoped_to_the_admin(self, browser: Browser) -> None:
        header = cookie_header(browser)
        assert header.startswith(f"{COOKIE_NAME}=")
        attributes = [part.strip() for part in header.split(";")]
        assert "HttpOnly" in attributes
        assert "SameSite=Lax" in attributes
        assert "Path=/admin" in attributes
        assert "Secure" not in attributes  # public_url is http in the test settings

    def test_is_secure_when_published_over_https(
        self, admin_settings: Settings, session_factory: sessionmaker[Session]
    ) -> None:
        app = create_app(
            admin_settings.model_copy(update={"public_url": "https://harvest.example.org"}),
            session_factory=session_factory,
        )
        with Browser(app, base_url="https://harvest.example.org") as client:
            assert "Secure" in [p.strip() for p in cookie_header(client).split(";")]

    def test_holds_the_key_hash_never_the_key(self, browser: Browser, people: People) -> None:
        browser.sign_in(people.owner.key)
        value = browser.cookies[COOKIE_NAME]
        decoded = SessionCodec("dev-insecure-secret-key").loads(value)
        assert decoded is not None
        assert decoded.key_hash is not None
        assert people.owner.key not in value
        assert people.owner.key not in str(decoded)

    def test_a_tampered_cookie_is_a_new_anonymous_session(
        self, browser: Browser, people: People
    ) -> None:
        browser.sign_in(people.owner.key)
        value = browser.cookies[COOKIE_NAME]
        browser.cookies.set(COOKIE_NAME, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
        response = browser.get("/admin/sources")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/sign-in")

    def test_a_cookie_signed_with_another_secret_is_refused(
        self, browser: Browser, people: People
    ) -> None:
        forged = SessionCodec("another-secret").dumps(
            AdminSession(csrf_token="x", key_hash="0" * 64)
        )
        browser.cookies.set(COOKIE_NAME, forged)
        assert browser.get("/admin/sources").status_code == 303

    def test_codec_expires_sessions(self) -> None:
        codec = SessionCodec("secret")
        value = codec.dumps(AdminSession(csrf_token="t", key_hash="h"))
        assert codec.loads(value) == AdminSession(csrf_token="t", key_hash="h")
        assert SessionCodec("secret", max_age=-1).loads(value) is None
        assert codec.loads("garbage") is None
        assert codec.loads(None) is None


class TestSignIn:
    def test_pages_need_a_signed_in_session(self, browser: Browser) -> None:
        response = browser.get("/admin/sources?q=arbres")
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/sign-in?next=%2Fadmin%2Fsources%3Fq%3Darbres"

    def test_signs_in_with_a_key_and_goes_back_where_asked(
        self, browser: Browser, people: People
    ) -> None:
        browser.page("/admin/sign-in?next=/admin/sources/new")
        response = browser.submit(
            SIGN_IN, {"api_key": people.owner.key, "next": "/admin/sources/new"}
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/sources/new"
        assert "owner@example.test" in browser.page("/admin/sources")

    def test_never_redirects_to_another_site(self, browser: Browser, people: People) -> None:
        browser.page(SIGN_IN)
        for target in ("https://evil.example/", "//evil.example/admin/", "/api/1/"):
            response = browser.submit(SIGN_IN, {"api_key": people.owner.key, "next": target})
            assert response.headers["location"] == "/admin/sources"
            browser.page(SIGN_IN)

    def test_a_wrong_key_is_refused_with_the_reason(self, browser: Browser) -> None:
        browser.page(SIGN_IN)
        response = browser.submit(SIGN_IN, {"api_key": "moisson_wrong"})
        assert response.status_code == 401
        assert "Invalid API token" in response.text
        assert browser.get("/admin/sources").status_code == 303

    def test_signing_in_rotates_the_csrf_token(self, browser: Browser, people: People) -> None:
        before = csrf_of(browser.page(SIGN_IN))
        browser.submit(SIGN_IN, {"api_key": people.owner.key})
        after = csrf_of(browser.page("/admin/sources"))
        assert after != before

    def test_sign_out_forgets_the_key(self, browser: Browser, people: People) -> None:
        browser.sign_in(people.owner.key)
        browser.page("/admin/sources")
        response = browser.submit("/admin/sign-out")
        assert response.status_code == 303
        assert browser.get("/admin/sources").status_code == 303

    def test_a_revoked_key_ends_the_session(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        browser.sign_in(people.owner.key)
        assert browser.get("/admin/sources").status_code == 200
        for key in db.query(ApiKey).filter_by(user_id=people.owner.user.id):
            key.revoked_at = datetime.now(UTC)
        db.commit()
        response = browser.get("/admin/sources")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/sign-in")


def unsafe_routes() -> list[str]:
    """Every POST path of the admin's router, with a placeholder for path parameters."""
    found = []
    for route in router.routes:
        if "POST" in (getattr(route, "methods", None) or ()):
            found.append("/admin" + route.path.replace("{source}", "some-source"))  # type: ignore[attr-defined]
    return found


class TestCsrf:
    def test_the_admin_has_forms_to_protect(self) -> None:
        assert len(unsafe_routes()) >= 10

    def test_every_post_without_the_token_is_refused(
        self, browser: Browser, people: People
    ) -> None:
        browser.sign_in(people.sysadmin.key)
        for url in unsafe_routes():
            response = browser.post(url, data={"name": "x"})
            assert response.status_code == 403, url
            assert "This form has expired" in response.text

    def test_a_wrong_token_is_refused(self, browser: Browser, people: People) -> None:
        browser.sign_in(people.owner.key)
        browser.page("/admin/sources")
        response = browser.post("/admin/sign-out", data={"csrf_token": browser.csrf + "x"})
        assert response.status_code == 403
        assert browser.get("/admin/sources").status_code == 200  # still signed in

    def test_the_token_of_another_session_is_refused(
        self, app: FastAPI, browser: Browser, people: People
    ) -> None:
        with Browser(app, base_url="http://moisson.test") as other:
            other.page(SIGN_IN)
            stolen = other.csrf
        browser.page(SIGN_IN)
        response = browser.post(SIGN_IN, data={"csrf_token": stolen, "api_key": people.owner.key})
        assert response.status_code == 403

    def test_the_header_works_for_htmx_requests(self, browser: Browser, people: People) -> None:
        browser.sign_in(people.owner.key)
        browser.page("/admin/sources")
        response = browser.post(
            "/admin/sign-out", headers={"X-CSRF-Token": browser.csrf, "HX-Request": "true"}
        )
        assert response.status_code == 303

    def test_a_post_without_a_session_cookie_is_refused(self, browser: Browser) -> None:
        browser.cookies.clear()
        assert browser.post(SIGN_IN, data={"csrf_token": "", "api_key": "k"}).status_code == 403

    def test_an_oversized_body_is_refused(self, browser: Browser) -> None:
        browser.page(SIGN_IN)
        response = browser.post(SIGN_IN, content=b"a" * (1024 * 1024 + 1))
        assert response.status_code == 413

    @pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
    def test_other_unsafe_methods_are_checked_too(self, browser: Browser, method: str) -> None:
        browser.page(SIGN_IN)
        assert browser.request(method, "/admin/sources/x").status_code == 403
