"""A hostile dataset in a real browser: harvested for real, then shown by the admin pages.

The DCAT record carries script in its title, keywords and resource titles, HTML with
`javascript:` links, `onerror` images and iframes in its description, a `javascript:`
distribution URL and one with a quote and angle brackets. After a real run of the engine,
the source, job and dataset pages must open no dialog, put no `javascript:` link and no
event-handler attribute into the DOM, and show the description as sanitized HTML whose
links work.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from html import escape

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.admin.seed import People, make_people, make_source
from tests.browser.conftest import LiveServer
from tests.http_server import Reply, loopback_server

from moisson.api import create_app
from moisson.config import Settings
from moisson.harvest.engine import run_job
from moisson.services.runs import create_pending_job
from moisson.storage.models import HarvestItem
from moisson.storage.session import unit_of_work

DESCRIPTION = (
    "<p>Read <a href='https://doc.example.org/guide'>the guide</a> or "
    "<a href='javascript:alert(1)'>click me</a>.</p>"
    "<img src=x onerror=alert(2)><iframe src='https://evil.example.org'></iframe>"
    "<script>alert(3)</script><p>Write to <a href='mailto:team@example.org'>the team</a>.</p>"
)
CATALOG = f"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="https://data.example.org/ds/hostile?&quot;&gt;&lt;b">
    <dct:identifier>hostile</dct:identifier>
    <dct:title>&lt;script&gt;alert('title')&lt;/script&gt; Hostile</dct:title>
    <dct:description>{escape(DESCRIPTION)}</dct:description>
    <dcat:keyword>&lt;b onmouseover=alert(4)&gt;tag&lt;/b&gt;</dcat:keyword>
    <dcat:landingPage rdf:resource="javascript:alert(5)"/>
    <dcat:distribution><dcat:Distribution>
      <dct:title>&lt;img src=x onerror=alert(6)&gt;</dct:title>
      <dcat:accessURL rdf:resource="https://data.example.org/q.csv?a=&quot;&gt;&lt;script&gt;alert(7)&lt;/script&gt;"/>
    </dcat:Distribution></dcat:distribution>
    <dcat:distribution><dcat:Distribution>
      <dct:title>Script link</dct:title>
      <dcat:accessURL rdf:resource="javascript:alert(8)"/>
    </dcat:Distribution></dcat:distribution>
  </dcat:Dataset>
</rdf:RDF>""".encode()

#: Every attribute that holds a URL or an event handler, as the browser sees it.
DOM_PROBE = """() => {
  const handlers = [], urls = [];
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      if (attribute.name.startsWith('on')) handlers.push(element.tagName + ' ' + attribute.name);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(attribute.name))
        urls.push(attribute.value.trim().toLowerCase());
    }
  }
  const scripts = [...document.scripts].map(s => s.src || 'inline');
  const frames = document.querySelectorAll('iframe, object, embed').length;
  return {handlers, urls, scripts, frames};
}"""


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
    with LiveServer(create_app(loopback_settings, session_factory=committed_factory)) as live:
        yield live


def harvest_hostile(
    factory: sessionmaker[Session], settings: Settings, people: People
) -> tuple[str, str, str]:
    """Source, job and dataset ids of a real harvest of the hostile catalog."""
    with loopback_server({}) as remote:
        remote.script(
            "/catalog.rdf", Reply(body=CATALOG, headers={"Content-Type": "application/rdf+xml"})
        )
        with unit_of_work(factory) as session:
            source = make_source(
                session,
                "Hostile catalog",
                people.owner.user,
                url=remote.url("/catalog.rdf"),
                backend="dcat",
                validation_state="accepted",
            )
            job = create_pending_job(session, source)
            source_id, job_id = source.id, job.id
        run_job(factory, settings, job_id)
    with unit_of_work(factory) as session:
        item = session.scalars(select(HarvestItem).where(HarvestItem.job_id == job_id)).one()
        assert item.status == "done"
        assert item.dataset_id is not None
        return source_id, job_id, item.dataset_id


def test_hostile_values_stay_inert_in_the_admin(
    page: Page,
    server: LiveServer,
    people: People,
    committed_factory: sessionmaker[Session],
    loopback_settings: Settings,
) -> None:
    source_id, job_id, dataset_id = harvest_hostile(committed_factory, loopback_settings, people)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{server.url}/admin/")
    page.fill("#api_key", people.sysadmin.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("root@example.test")

    for path in (f"sources/{source_id}", f"jobs/{job_id}", f"datasets/{dataset_id}"):
        page.goto(f"{server.url}/admin/{path}")
        page.wait_for_load_state("load")
        page.mouse.move(200, 300)  # would fire an onmouseover, were there one
        found = page.evaluate(DOM_PROBE)
        assert found["handlers"] == [], path
        assert not [u for u in found["urls"] if u.startswith(("javascript:", "data:", "vbscript:"))]
        static = f"{server.url}/admin/static/"
        assert all(src.startswith(static) for src in found["scripts"]), found["scripts"]
        assert found["frames"] == 0

    # The job page says what was dropped and what was repaired.
    page.goto(f"{server.url}/admin/jobs/{job_id}")
    logs = page.locator("pre.logs")
    expect(logs).to_contain_text("[resources.1.url] unusable URL dropped")
    expect(logs).to_contain_text("javascript:alert(8)")
    expect(logs).to_contain_text("characters a URL cannot hold were percent-encoded")

    page.goto(f"{server.url}/admin/datasets/{dataset_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("<script>alert('title')</script>")
    description = page.get_by_test_id("description")
    guide = description.get_by_role("link", name="the guide")
    expect(guide).to_have_attribute("href", "https://doc.example.org/guide")
    expect(guide).to_have_attribute("rel", "nofollow noopener noreferrer")
    expect(description.get_by_role("link", name="the team")).to_have_attribute(
        "href", "mailto:team@example.org"
    )
    expect(description.locator("a")).to_have_count(2)  # "click me" is not a link
    expect(description).to_contain_text("click me")
    expect(description.locator("p").first).to_be_visible()
    resources = page.get_by_test_id("resources").locator("tbody tr")
    expect(resources).to_have_count(1)
    expect(resources).to_contain_text("<img src=x onerror=alert(6)>")
    expect(resources.locator("a")).to_have_attribute(
        "href", "https://data.example.org/q.csv?a=%22%3E%3Cscript%3Ealert(7)%3C/script%3E"
    )
    assert dialogs == []
