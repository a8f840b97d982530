"""A real harvest from the admin UI: the engine and the `dcat` backend at work.

A tiny DCAT RDF/XML catalog is served from a loopback HTTP server (allowed by
`outbound_allow_networks`, as `MOISSON_OUTBOUND_ALLOW_NETWORKS=127.0.0.0/8` would). The
app runs with what `moisson serve` runs beside it (the in-process worker and the
scheduler): accepting the source starts a job that must run to its end while the job page
watches.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker
from tests.admin.seed import People, make_people
from tests.browser.conftest import LiveServer, screenshot
from tests.conftest import LOCAL_FIXTURES

from moisson.api import create_app
from moisson.backends import all_backends
from moisson.config import Settings
from moisson.storage.session import unit_of_work
from moisson.tasks.runtime import serving_background

CATALOG = (LOCAL_FIXTURES / "admin" / "catalog.rdf").read_bytes()


class CatalogHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/catalog.rdf":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rdf+xml")
        self.send_header("Content-Length", str(len(CATALOG)))
        self.end_headers()
        self.wfile.write(CATALOG)

    def log_message(self, *_: object) -> None:  # keep the test output quiet
        return


@pytest.fixture
def catalog_url() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), CatalogHandler)
    thread = threading.Thread(target=httpd.serve_forever, name="dcat-catalog")
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/catalog.rdf"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def loopback_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"outbound_allow_networks": [ipaddress.ip_network("127.0.0.0/8")]}
    )


@pytest.fixture
def people(committed_factory: sessionmaker[Session], loopback_settings: Settings) -> People:
    with unit_of_work(committed_factory) as session:
        return make_people(session, loopback_settings)


@pytest.fixture
def server(
    loopback_settings: Settings, committed_factory: sessionmaker[Session]
) -> Iterator[LiveServer]:
    background = serving_background(loopback_settings, committed_factory)
    app = create_app(loopback_settings, session_factory=committed_factory, runner=background.runner)
    background.start()
    try:
        with LiveServer(app) as live:
            yield live
    finally:
        background.stop()


def test_preview_accept_and_watch_a_dcat_harvest(
    page: Page, server: LiveServer, people: People, catalog_url: str
) -> None:
    assert "dcat" in all_backends(), "the dcat backend is not registered (not merged yet?)"
    page.goto(f"{server.url}/admin/")
    page.fill("#api_key", people.sysadmin.key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="New source").first.click()
    page.fill("#name", "Catalogue DCAT de test")
    page.fill("#url", catalog_url)
    page.select_option("#backend", "dcat")
    page.get_by_role("button", name="Create the source").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue DCAT de test")

    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview.locator("article.preview-item")).to_have_count(2, timeout=30_000)
    expect(preview).to_contain_text("Arbres d'alignement")
    expect(preview).to_contain_text("arrets.json")
    screenshot(page, "preview")

    page.get_by_role("button", name="Accept").click()
    expect(page.locator("#validation .status")).to_have_text("accepted")
    page.locator("#history tbody a").first.click()
    expect(page).to_have_url(re.compile(r"/admin/jobs/[0-9a-f]{24}$"))
    # The job page polls while the worker harvests, then reloads with the items.
    expect(page.locator("#job-progress")).to_have_attribute("data-status", "done", timeout=30_000)
    expect(page.locator("article.item")).to_have_count(2)
    expect(page.locator(".tabs a[data-status=done]")).to_have_text("done (2)")

    page.get_by_role("link", name="Arbres d'alignement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Arbres d'alignement")
    expect(page.get_by_test_id("resources")).to_contain_text(
        "https://data.example.test/files/arbres.csv"
    )
    expect(page.get_by_test_id("harvest-metadata")).to_contain_text("arbres")
