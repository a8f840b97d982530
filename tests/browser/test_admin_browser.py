"""The admin UI in a real browser, on pages that need no harvest engine: sign in, list and
filter sources, create one (with the API's message for a bad URL), accept it, and follow a
job to its end, its items and the dataset one of them produced."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker
from tests.admin.seed import People, make_harvest, make_people, make_source
from tests.browser.conftest import LiveServer, screenshot

from moisson.api import create_app
from moisson.config import Settings
from moisson.storage.models import HarvestJob
from moisson.storage.session import unit_of_work


@pytest.fixture
def people(committed_factory: sessionmaker[Session], settings: Settings) -> People:
    with unit_of_work(committed_factory) as session:
        return make_people(session, settings)


@pytest.fixture
def server(settings: Settings, committed_factory: sessionmaker[Session]) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings, session_factory=committed_factory)) as live:
        yield live


def sign_in(page: Page, server: LiveServer, key: str) -> None:
    page.goto(f"{server.url}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/sign-in"))
    page.fill("#api_key", key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/sources$"))


def test_sign_in_create_a_source_and_accept_it(
    page: Page, server: LiveServer, people: People, committed_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(committed_factory) as session:
        arbres = make_source(
            session,
            "Arbres de Rennes",
            people.owner.user,
            validation_state="accepted",
            schedule_cron="0 3 * * *",
        )
        make_harvest(session, arbres)
        make_source(session, "Bus de Brest", people.owner.user)

    page.goto(f"{server.url}/admin/")
    page.fill("#api_key", "moisson_not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Invalid API token")
    screenshot(page, "sign-in")

    page.fill("#api_key", people.sysadmin.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("root@example.test")
    expect(page.get_by_test_id("pending-notice")).to_contain_text("1 source waiting")
    expect(page.locator("tr.flagged")).to_have_count(1)
    screenshot(page, "sources")

    # The filter box narrows the table in place (htmx), and the URL follows.
    page.get_by_role("searchbox", name="Filter sources").fill("brest")
    expect(page.locator("#sources-table tbody tr")).to_have_count(1)
    expect(page.locator("#sources-table")).to_contain_text("Bus de Brest")
    expect(page).to_have_url(re.compile(r"q=brest"))

    page.get_by_role("link", name="New source").first.click()
    page.fill("#name", "Catalogue CSW de Rennes")
    page.fill("#url", "http://10.1.2.3/csw")
    page.select_option("#backend", "csw-iso-19139")
    # The backend's declared extra config appears without a reload.
    expect(page.locator('input[name="extra.remote_url_prefix"]')).to_be_visible()
    page.get_by_role("button", name="Create the source").click()
    expect(page.locator('[data-field="url"]')).to_have_text(
        'Invalid URL "http://10.1.2.3/csw": is a private URL'
    )
    expect(page.locator("#name")).to_have_value("Catalogue CSW de Rennes")
    screenshot(page, "source-form")

    page.fill("#url", "https://data.example.test/csw")
    page.get_by_role("button", name="Create the source").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue CSW de Rennes")
    expect(page.locator("#validation .status")).to_have_text("pending")

    page.get_by_role("button", name="Refuse").click()
    expect(page.locator("#validation .error")).to_have_text(
        "'comment' is required when 'state' is 'refused'"
    )
    page.get_by_role("button", name="Accept").click()
    expect(page.locator("#validation .status")).to_have_text("accepted")
    expect(page.locator("#actions")).to_contain_text("0 0 * * *")
    expect(page.locator("#history tbody tr")).to_have_count(1)
    screenshot(page, "source")


def test_follow_a_running_job_to_its_items_and_dataset(
    page: Page, server: LiveServer, people: People, committed_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(committed_factory) as session:
        source = make_source(
            session, "Arbres de Rennes", people.owner.user, validation_state="accepted"
        )
        for day in (1, 2):
            make_harvest(session, source, when=datetime(2026, 3, day, 3, tzinfo=UTC))
        job = HarvestJob(source_id=source.id, status="processing", items_total=3, items_done=1)
        session.add(job)
        session.flush()
        source_id, job_id = source.id, job.id

    sign_in(page, server, people.owner.key)
    page.goto(f"{server.url}/admin/sources/{source_id}")
    expect(page.locator("svg.chart g.bar")).to_have_count(3)
    page.locator("#history tbody a").first.click()
    expect(page.locator("#job-progress")).to_have_attribute("data-status", "processing")
    expect(page.get_by_test_id("job-progress-text")).to_have_text("1 of 3 items processed")

    # The worker finishes the job: the page polls, then reloads with the items.
    with unit_of_work(committed_factory) as session:
        running = session.get(HarvestJob, job_id)
        assert running is not None
        harvest = make_harvest(session, source, job=running, when=running.created)
        dataset_id = harvest.dataset.id
    expect(page.locator("#job-progress")).to_have_attribute(
        "data-status", "done-errors", timeout=8_000
    )
    expect(page.locator("article.item")).to_have_count(3)
    expect(page.locator("#items")).to_contain_text("The record has no title")
    screenshot(page, "job")

    page.locator('.tabs a[data-status="failed"]').click()
    expect(page.locator("article.item")).to_have_count(1)
    expect(page.locator("article.item")).to_contain_text("broken-record")
    page.locator('.tabs a[data-status="done"]').click()
    page.get_by_role("link", name="Arbres d'alignement").click()
    expect(page).to_have_url(re.compile(rf"/admin/datasets/{dataset_id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Arbres d'alignement")
    expect(page.locator("table.list tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("harvest-metadata")).to_contain_text("arbres-2026")
    screenshot(page, "dataset")
