"""The admin pages through the real app: what each shows, and the actions of its forms."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime
from typing import Any

from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.admin.conftest import Browser
from tests.admin.seed import RECORD_PAYLOAD, People, make_harvest, make_source

from moisson.storage.models import ContactPoint, HarvestJob, HarvestRecord, HarvestSource


def field_error(html: str, field: str) -> str | None:
    found = re.search(rf'data-field="{field}" role="alert">([^<]*)<', html)
    return html_lib.unescape(found.group(1)) if found else None


def submit_new_source(browser: Browser, people: People, fields: dict[str, str]) -> Response:
    """The owner signs in, opens the new-source form and posts `fields`."""
    browser.sign_in(people.owner.key)
    browser.page("/admin/sources/new")
    response: Response = browser.submit("/admin/sources/new", fields)
    return response


def open_source_page(
    browser: Browser, db: Session, people: People, key: str, **values: Any
) -> tuple[HarvestSource, str]:
    """A source "Arbres" of the owner, whose page the caller signed in with `key` opens;
    returns the source and the URL of its page."""
    source = make_source(db, "Arbres", people.owner.user, **values)
    db.commit()
    browser.sign_in(key)
    url = f"/admin/sources/{source.id}"
    browser.page(url)
    return source, url


class TestSourcesList:
    def test_lists_sources_with_their_last_job_and_filters_them(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        arbres = make_source(db, "Arbres de Rennes", people.owner.user, schedule_cron="0 3 * * *")
        make_source(db, "Bus de Brest", people.owner.user)
        make_harvest(db, arbres)
        db.commit()
        browser.sign_in(people.owner.key)
        html = browser.page("/admin/sources")
        assert "Arbres de Rennes" in html
        assert "Bus de Brest" in html
        assert "done 1" in html
        assert "failed 1" in html
        assert "skipped 1" in html
        assert "0 3 * * *" in html
        assert "csw-iso-19139" in html
        filtered = browser.page("/admin/sources?q=brest")
        assert "Bus de Brest" in filtered
        assert "Arbres de Rennes" not in filtered

    def test_pending_sources_are_flagged_for_sysadmins_only(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        make_source(db, "En attente", people.owner.user)
        make_source(db, "Acceptée", people.owner.user, validation_state="accepted")
        db.commit()
        browser.sign_in(people.sysadmin.key)
        html = browser.page("/admin/sources")
        assert "1 source waiting for validation" in html
        assert html.count('class="flagged"') == 1
        browser.sign_in(people.owner.key)
        html = browser.page("/admin/sources")
        assert "waiting for validation" not in html
        assert 'class="flagged"' not in html


class TestCreateAndEdit:
    def test_form_fields_come_from_the_backend_declarations(
        self, browser: Browser, people: People
    ) -> None:
        browser.sign_in(people.owner.key)
        html = browser.get("/admin/sources/config-fields?backend=admin-form-test").text
        for name in (
            "filter.tag.include",
            "filter.tag.exclude",
            "filter.year.include",
            "feature.geodcatap",
            "extra.remote_url_prefix",
        ):
            assert f'name="{name}"' in html
        assert "A tag of the remote catalog" in html
        assert (
            browser.get("/admin/sources/config-fields?backend=csw-iso-19139").text.count(
                'name="extra.'
            )
            == 1
        )

    def test_shows_the_api_messages_next_to_the_fields(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        response = submit_new_source(
            browser,
            people,
            {
                "name": "Arbres",
                "url": "http://127.0.0.1/catalog",
                "backend": "admin-form-test",
                "filter.year.include": "deux mille",
            },
        )
        assert response.status_code == 400
        assert (
            field_error(response.text, "url")
            == 'Invalid URL "http://127.0.0.1/catalog": is a local URL'
        )
        assert field_error(response.text, "config") == '"year" filter should be of type "integer"'
        assert 'value="Arbres"' in response.text  # what was typed is kept
        assert db.scalars(select(HarvestSource)).first() is None

    def test_creates_a_source_with_its_config_and_producer(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        response = submit_new_source(
            browser,
            people,
            {
                "name": "Arbres",
                "url": "https://data.example.test/catalog",
                "backend": "admin-form-test",
                "producer": people.org.id,
                "filter.tag.include": "arbres\nvoirie",
                "filter.tag.exclude": "brouillon",
                "filter.year.include": "2026",
                "feature.geodcatap": "on",
                "extra.remote_url_prefix": "https://portal.example.test/",
                "active": "on",
            },
        )
        assert response.status_code == 303
        source = db.scalars(select(HarvestSource)).one()
        assert response.headers["location"] == f"/admin/sources/{source.id}"
        assert source.organization_id == people.org.id
        assert source.owner_id is None
        assert source.active is True
        assert source.autoarchive is False
        assert source.config == {
            "filters": [
                {"key": "tag", "value": "arbres"},
                {"key": "tag", "value": "voirie"},
                {"key": "tag", "value": "brouillon", "type": "exclude"},
                {"key": "year", "value": 2026},
            ],
            "features": {"geodcatap": True},
            "extra_configs": [
                {"key": "remote_url_prefix", "value": "https://portal.example.test/"}
            ],
        }
        page = browser.page(response.headers["location"])
        assert "include arbres, voirie" in page
        assert "exclude brouillon" in page

    def test_edits_a_source_and_keeps_undeclared_config_keys(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        source = make_source(
            db,
            "Arbres",
            people.owner.user,
            backend="admin-form-test",
            config={"apikey": "secret", "filters": [{"key": "tag", "value": "arbres"}]},
        )
        db.commit()
        browser.sign_in(people.owner.key)
        html = browser.page(f"/admin/sources/{source.id}/edit")
        assert ">arbres</textarea>" in html
        response = browser.submit(
            f"/admin/sources/{source.id}/edit",
            {
                "name": "Arbres d'alignement",
                "url": source.url,
                "backend": "admin-form-test",
                "filter.tag.include": "platanes",
                "autoarchive": "on",
            },
        )
        assert response.status_code == 303
        db.refresh(source)
        assert source.name == "Arbres d'alignement"
        assert source.config == {
            "apikey": "secret",
            "filters": [{"key": "tag", "value": "platanes"}],
            "features": {"geodcatap": False},
        }

    def test_strangers_cannot_edit(self, browser: Browser, people: People, db: Session) -> None:
        source = make_source(db, "Arbres", people.owner.user)
        db.commit()
        browser.sign_in(people.stranger.key)
        assert browser.get(f"/admin/sources/{source.id}/edit").status_code == 403
        browser.page("/admin/sources")
        response = browser.submit(f"/admin/sources/{source.id}/edit", {"name": "Pris"})
        assert response.status_code == 403
        assert "You do not have the permission" in response.text


class TestSourceActions:
    def test_refusing_needs_a_comment_then_accepting_schedules_and_queues_a_job(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        source, url = open_source_page(browser, db, people, people.sysadmin.key)
        refused = browser.submit(f"{url}/validate", {"state": "refused", "comment": " "})
        assert refused.status_code == 400
        assert (
            "&#39;comment&#39; is required when &#39;state&#39; is &#39;refused&#39;"
            in refused.text
        )
        accepted = browser.submit(f"{url}/validate", {"state": "accepted", "comment": ""})
        assert accepted.status_code == 303
        db.refresh(source)
        assert source.validation_state == "accepted"
        assert source.schedule_cron == "0 0 * * *"
        job = db.scalars(select(HarvestJob)).one()
        assert job.status == "pending"
        html = browser.page(url)
        assert "status-accepted" in html
        assert "0 0 * * *" in html
        # A second run while the first job waits is refused with the service's message.
        running = browser.submit(f"{url}/run")
        assert running.status_code == 409
        assert "already pending" in running.text

    def test_run_opens_the_new_job(self, browser: Browser, people: People, db: Session) -> None:
        _, url = open_source_page(
            browser, db, people, people.owner.key, validation_state="accepted"
        )
        response = browser.submit(f"{url}/run")
        job = db.scalars(select(HarvestJob)).one()
        assert response.status_code == 303
        assert response.headers["location"] == f"/admin/jobs/{job.id}"
        html = browser.page(response.headers["location"])
        assert 'hx-trigger="every 2s"' in html  # pending: the progress polls

    def test_running_an_unvalidated_source_says_why(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        _, url = open_source_page(browser, db, people, people.owner.key)
        response = browser.submit(f"{url}/run")
        assert response.status_code == 400
        assert "Source is not validated" in response.text

    def test_schedule_and_unschedule(self, browser: Browser, people: People, db: Session) -> None:
        source, url = open_source_page(browser, db, people, people.sysadmin.key)
        bad = browser.submit(f"{url}/schedule", {"cron": "every fortnight"})
        assert bad.status_code == 400
        assert "A cron expression has 5 fields" in bad.text
        assert browser.submit(f"{url}/schedule", {"cron": "0 3 * * 1"}).status_code == 303
        db.refresh(source)
        assert source.schedule_cron == "0 3 * * 1"
        assert source.next_run_at is not None
        assert browser.submit(f"{url}/unschedule").status_code == 303
        db.refresh(source)
        assert source.schedule_cron is None
        assert source.next_run_at is None

    def test_owners_see_no_sysadmin_forms(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        source = make_source(db, "Arbres", people.owner.user)
        db.commit()
        browser.sign_in(people.owner.key)
        html = browser.page(f"/admin/sources/{source.id}")
        assert "/validate" not in html
        assert "/schedule" not in html
        assert "/run" in html
        assert "/delete" in html

    def test_delete(self, browser: Browser, people: People, db: Session) -> None:
        source, url = open_source_page(browser, db, people, people.owner.key)
        response = browser.submit(f"{url}/delete")
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/sources"
        db.refresh(source)
        assert source.deleted_at is not None
        assert "Arbres" not in browser.page("/admin/sources")

    def test_history_chart_has_one_bar_per_job(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        source = make_source(db, "Arbres", people.owner.user)
        for day in (1, 2, 3):
            make_harvest(db, source, when=datetime(2026, 3, day, 3, tzinfo=UTC))
        db.commit()
        browser.sign_in(people.owner.key)
        html = browser.page(f"/admin/sources/{source.id}")
        assert html.count('<g class="bar"') == 3
        assert "03-01" in html
        assert "03-03" in html

    def test_unknown_source_is_a_404_page(self, browser: Browser, people: People) -> None:
        browser.sign_in(people.owner.key)
        response = browser.get("/admin/sources/nope")
        assert response.status_code == 404
        assert "was not found" in response.text


class TestJobAndDataset:
    def test_job_page_shows_items_errors_logs_and_filters_by_status(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        source = make_source(db, "Arbres", people.owner.user)
        harvest = make_harvest(db, source)
        db.commit()
        browser.sign_in(people.sysadmin.key)
        html = browser.page(f"/admin/jobs/{harvest.job.id}")
        assert "every 2s" not in html  # final: no polling
        assert "The record has no title" in html
        assert "WARNING no abstract" in html
        assert "Traceback: InvalidItem" in html  # details: sysadmins only
        assert f'href="/admin/datasets/{harvest.dataset.id}"' in html
        failed = browser.page(f"/admin/jobs/{harvest.job.id}?status=failed")
        assert "broken-record" in failed
        assert "arbres-2026" not in failed
        browser.sign_in(people.owner.key)
        assert "Traceback" not in browser.page(f"/admin/jobs/{harvest.job.id}")

    def test_progress_polls_while_running_and_reloads_when_final(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        source = make_source(db, "Arbres", people.owner.user)
        job = HarvestJob(source_id=source.id, status="processing", items_total=4, items_done=1)
        db.add(job)
        db.commit()
        browser.sign_in(people.owner.key)
        progress = f"/admin/jobs/{job.id}/progress"
        running = browser.get(progress, headers={"HX-Request": "true"})
        assert 'hx-trigger="every 2s"' in running.text
        assert "1 of 4 items processed" in running.text
        job.status, job.items_done = "done", 4
        db.commit()
        final = browser.get(progress, headers={"HX-Request": "true"})
        assert final.headers["HX-Refresh"] == "true"

    def test_dataset_page_shows_resources_metadata_and_record(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        source = make_source(db, "Arbres", people.owner.user)
        harvest = make_harvest(db, source)
        db.commit()
        browser.sign_in(people.owner.key)
        html = browser.page(f"/admin/datasets/{harvest.dataset.id}")
        assert "Arbres d&#39;alignement" in html
        assert "arbres.csv" in html
        assert "arbres.json" in html
        assert "arbres-2026" in html
        assert "CSW-ISO-19139" in html
        assert "&lt;gmd:MD_Metadata" in html
        assert RECORD_PAYLOAD not in html
        assert f'href="/admin/sources/{source.id}"' in html

    def test_dataset_page_shows_what_was_mapped_and_the_record_indented(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        source = make_source(db, "Arbres", people.owner.user)
        harvest = make_harvest(db, source)
        contact = ContactPoint(name="Service des espaces verts", email="verts@example.test")
        db.add(contact)
        db.flush()
        harvest.dataset.contact_point_ids = [contact.id]
        harvest.dataset.extras = {"ckan:license_id": "city-licence-2"}
        harvest.dataset.resources[0].mime = "text/csv"
        harvest.dataset.resources[0].checksum_type = "sha256"
        harvest.dataset.resources[0].checksum_value = "ab" * 32
        record = db.scalars(
            select(HarvestRecord).where(HarvestRecord.remote_id == "arbres-2026")
        ).one()
        record.payload = (
            '{"id": "arbres-2026", "notes": "Les arbres", "tags": [{"name": "arbres"}]}'
        )
        db.commit()
        browser.sign_in(people.owner.key)
        page = browser.page(f"/admin/datasets/{harvest.dataset.id}")
        assert "Service des espaces verts &lt;verts@example.test&gt;" in page
        assert "ckan:license_id" in page
        assert "city-licence-2" in page
        assert "text/csv" in page
        assert f"sha256:{'ab' * 32}" in page
        shown = re.search(r'data-testid="remote-record">(.*?)</pre>', page, re.S)
        assert shown is not None
        assert html_lib.unescape(shown[1]).splitlines()[:3] == [
            "{",
            '  "id": "arbres-2026",',
            '  "notes": "Les arbres",',
        ]

    def test_harvested_links_are_http_only(
        self, browser: Browser, people: People, db: Session
    ) -> None:
        source = make_source(db, "Arbres", people.owner.user)
        harvest = make_harvest(db, source)
        harvest.dataset.resources[0].url = "javascript:alert(1)"
        db.commit()
        browser.sign_in(people.owner.key)
        html = browser.page(f"/admin/datasets/{harvest.dataset.id}")
        assert 'href="javascript:' not in html


def test_dataset_page_links_its_dcat_descriptions(
    browser: Browser, people: People, db: Session
) -> None:
    source = make_source(db, "Arbres", people.owner.user)
    harvest = make_harvest(db, source)
    db.commit()
    browser.sign_in(people.owner.key)
    html = browser.page(f"/admin/datasets/{harvest.dataset.id}")
    for ext in ("ttl", "rdf", "jsonld", "nt"):
        assert f'/api/1/datasets/{harvest.dataset.id}/rdf.{ext}"' in html
