"""Sources: create, read, list (filters, pages), partial update, slugs, soft delete."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.api.conftest import CheckedClient, People, make_job, make_source

from moisson.storage.models import HarvestSource

SOURCES = "/api/1/harvest/sources/"


def source_url(ident: str) -> str:
    return f"/api/1/harvest/source/{ident}/"


def create(client: CheckedClient, people: People, **body: object) -> dict:
    body = {"name": "Test source", "url": "https://data.example.test/", "backend": "dcat", **body}
    response = client.post(SOURCES, json=body, headers=people.owner.headers)
    assert response.status_code == 201, response.text
    return response.json()


class TestCreate:
    def test_defaults_and_caller_becomes_owner(self, client: CheckedClient, people: People) -> None:
        created = create(client, people, description="  ")
        assert created["slug"] == "test-source"
        assert created["validation"] == {
            "state": "pending",
            "by": None,
            "on": None,
            "comment": None,
        }
        assert created["active"] is True
        assert created["autoarchive"] is True
        assert created["description"] is None
        assert created["owner"]["id"] == people.owner.user.id
        assert created["owner"]["class"] == "User"
        assert created["organization"] is None
        assert created["schedule"] is None
        assert created["last_job"] is None
        assert created["permissions"] == {
            "edit": True,
            "delete": True,
            "run": True,
            "preview": True,
            "validate": False,
            "schedule": False,
        }
        assert created["created_at"].endswith("+00:00")

    def test_slug_collisions_get_a_counter_even_against_deleted_sources(
        self, client: CheckedClient, people: People
    ) -> None:
        first = create(client, people)
        client.delete(source_url(first["id"]), headers=people.owner.headers)
        assert create(client, people)["slug"] == "test-source-1"
        assert create(client, people)["slug"] == "test-source-2"

    def test_read_only_and_unknown_keys_are_ignored(
        self, client: CheckedClient, people: People
    ) -> None:
        created = create(
            client, people, slug="custom", validation={"state": "accepted"}, nope=1, id="x"
        )
        assert created["slug"] == "test-source"
        assert created["validation"]["state"] == "pending"

    def test_config_is_kept_verbatim(self, client: CheckedClient, people: People) -> None:
        config = {
            "filters": [
                {"key": "tags", "value": "a"},
                {"key": "tags", "value": "b", "type": "exclude"},
            ],
            "custom": "value",
        }
        created = create(client, people, backend="ckan", config=config)
        assert created["config"] == config

    def test_organization_source_by_its_admin(self, client: CheckedClient, people: People) -> None:
        body = {"name": "Org", "url": "https://o.example.test/", "backend": "dcat"}
        body["organization"] = people.org.id
        response = client.post(SOURCES, json=body, headers=people.org_admin.headers)
        assert response.status_code == 201
        shown = response.json()
        assert shown["owner"] is None
        assert shown["organization"]["id"] == people.org.id
        assert shown["organization"]["permissions"]["harvest"] is True

    @pytest.mark.parametrize(
        ("body", "field", "message"),
        [
            ({"name": " "}, "name", "Field is required"),
            ({"name": "x" * 256}, "name", "String value is too long"),
            ({"url": None}, "url", "Field is required"),
            ({"url": "ftp://data.example.test/"}, "url", "Invalid scheme ftp"),
            ({"url": "http://127.0.0.1/"}, "url", "is a local URL"),
            ({"url": "http://10.1.2.3/catalog"}, "url", "is a private URL"),
            ({"url": "http://localhost:8080/"}, "url", "is a local URL"),
            ({"backend": "nope"}, "backend", 'Unknown backend "nope"'),
            ({"backend": ""}, "backend", "Field is required"),
            ({"config": []}, "config", "The configuration should be an object"),
            ({"config": {"features": []}}, "config", "Features should be an object"),
            (
                {"config": {"filters": [{"key": "nope", "value": 1}]}},
                "config",
                'Unknown filter key "nope" for "dcat" backend',
            ),
            ({"active": "false"}, "active", "valid boolean"),
            ({"name": 5}, "name", "valid string"),
            ({"owner": "0123456789abcdef01234567"}, "owner", "Unknown reference"),
        ],
    )
    def test_invalid_fields_are_named(
        self, client: CheckedClient, people: People, body: dict, field: str, message: str
    ) -> None:
        payload = {"name": "Test", "url": "https://data.example.test/", "backend": "dcat", **body}
        response = client.post(SOURCES, json=payload, headers=people.owner.headers)
        assert response.status_code == 400
        assert message in response.json()["errors"][field]

    def test_both_producers_are_refused(self, client: CheckedClient, people: People) -> None:
        body = {"name": "Both", "url": "https://b.example.test/", "backend": "dcat"}
        body |= {"owner": people.org_admin.user.id, "organization": people.org.id}
        response = client.post(SOURCES, json=body, headers=people.org_admin.headers)
        assert response.status_code == 400
        assert "exactly one producer" in response.json()["errors"]["organization"]

    def test_someone_else_as_owner_is_refused(self, client: CheckedClient, people: People) -> None:
        body = {"name": "X", "url": "https://x.example.test/", "backend": "dcat"}
        body["owner"] = people.stranger.user.id
        response = client.post(SOURCES, json=body, headers=people.owner.headers)
        assert response.json()["errors"]["owner"] == "You can only set yourself as owner"

    def test_allowed_network_lets_an_intranet_url_in(
        self, client: CheckedClient, people: People, app
    ) -> None:
        allow = [ipaddress.ip_network("10.0.0.0/8")]
        app.state.settings = app.state.settings.model_copy(
            update={"outbound_allow_networks": allow}
        )
        created = create(client, people, url="http://10.1.2.3/catalog")
        assert created["url"] == "http://10.1.2.3/catalog"

    @pytest.mark.parametrize(
        ("content", "headers"),
        [
            (b'{"name": "x"}', {"Content-Type": "text/plain"}),
            (b'{"name": "x"}', {}),
            (b"", {}),
        ],
    )
    def test_a_body_not_declared_as_json_is_415(
        self, client: CheckedClient, people: People, content: bytes, headers: dict
    ) -> None:
        response = client.post(
            SOURCES, content=content, headers={**people.owner.headers, **headers}
        )
        assert response.status_code == 415
        assert "Content-Type was not 'application/json'" in response.json()["message"]

    @pytest.mark.parametrize("body", [[], "text", 3])
    def test_a_body_that_is_not_an_object_is_400(
        self, client: CheckedClient, people: People, body: object
    ) -> None:
        response = client.post(SOURCES, json=body, headers=people.owner.headers)
        assert response.status_code == 400
        assert response.json()["errors"] == {"request": "expecting a JSON object"}

    def test_malformed_json_is_400(self, client: CheckedClient, people: People) -> None:
        response = client.post(
            SOURCES,
            content=b"{nope",
            headers={**people.owner.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert "Failed to decode JSON" in response.json()["message"]


class TestRead:
    def test_by_id_and_by_slug(self, client: CheckedClient, people: People) -> None:
        created = create(client, people)
        assert client.get(source_url(created["id"])).json()["id"] == created["id"]
        assert client.get(source_url("test-source")).json()["id"] == created["id"]

    @pytest.mark.parametrize("ident", ["0123456789abcdef01234567", "no-such-source", "preview"])
    def test_unknown_is_404(self, client: CheckedClient, ident: str) -> None:
        response = client.get(source_url(ident))
        assert response.status_code == 404
        assert "The requested URL was not found" in response.json()["message"]

    def test_non_canonical_slug_redirects(self, client: CheckedClient, people: People) -> None:
        create(client, people)
        response = client.get(source_url("Test-Source") + "?x=1")
        assert response.status_code == 308
        assert (
            response.headers["location"]
            == "http://moisson.test" + source_url("test-source") + "?x=1"
        )

    def test_deleted_source_is_still_served(self, client: CheckedClient, people: People) -> None:
        created = create(client, people)
        client.delete(source_url(created["id"]), headers=people.owner.headers)
        shown = client.get(source_url(created["id"])).json()
        assert shown["deleted"] is not None

    def test_last_job_is_the_real_latest_job(
        self, client: CheckedClient, people: People, db: Session
    ) -> None:
        source = make_source(db, owner_id=people.owner.user.id)
        make_job(db, source, status="failed")
        latest = make_job(
            db, source, status="done-errors", items_total=3, items_done=2, items_failed=1
        )
        from moisson.storage.models import HarvestErrorRow

        db.add(HarvestErrorRow(job_id=latest.id, message="boom", details="Traceback..."))
        db.commit()
        shown = client.get(source_url(source.id)).json()["last_job"]
        assert shown["id"] == latest.id
        assert shown["source"] == source.id
        assert shown["status"] == "done-errors"
        assert shown["items_total"] == 3
        assert shown["items_by_status"]["failed"] == 1
        assert shown["errors"] == [
            {
                "level": "ERROR",
                "message": "boom",
                "details": None,
                "created_at": shown["errors"][0]["created_at"],
            }
        ]
        as_admin = client.get(source_url(source.id), headers=people.sysadmin.headers).json()
        assert as_admin["last_job"]["errors"][0]["details"] == "Traceback..."


class TestList:
    def test_deleted_sources_hidden_unless_asked(
        self, client: CheckedClient, people: People, db: Session
    ) -> None:
        from datetime import UTC, datetime

        make_source(db, "Live", owner_id=people.owner.user.id)
        make_source(db, "Gone", owner_id=people.owner.user.id, deleted_at=datetime.now(UTC))
        db.commit()
        names = lambda r: [s["name"] for s in r.json()["data"]]  # noqa: E731
        assert names(client.get(SOURCES)) == ["Live"]
        assert names(client.get(SOURCES, params={"deleted": "false"})) == ["Live"]
        assert names(client.get(SOURCES, params={"deleted": "true"})) == ["Gone", "Live"]
        assert client.get(SOURCES, params={"deleted": "maybe"}).json()["errors"]["deleted"]

    def test_owner_filter_matches_user_or_organization(
        self, client: CheckedClient, people: People, db: Session
    ) -> None:
        make_source(db, "Mine", owner_id=people.owner.user.id)
        make_source(db, "Theirs", organization_id=people.org.id)
        make_source(db, "Other", owner_id=people.stranger.user.id)
        db.commit()

        def names(**params: str) -> list[str]:
            return [s["name"] for s in client.get(SOURCES, params=params).json()["data"]]

        assert names(owner=people.owner.user.id) == ["Mine"]
        assert names(owner=people.org.id) == ["Theirs"]
        assert names(organization=people.org.id) == ["Theirs"]
        assert names(owner="") == ["Other", "Theirs", "Mine"]
        response = client.get(SOURCES, params={"owner": "not-an-id"})
        assert response.status_code == 400
        assert response.json()["errors"] == {"owner": "`owner` must be an identifier"}

    def test_q_matches_every_word_case_insensitively(
        self, client: CheckedClient, people: People, db: Session
    ) -> None:
        make_source(
            db, "Moissonneur GeoNetwork de la ville de Rennes", owner_id=people.owner.user.id
        )
        make_source(
            db,
            "GeoNetwork de Brest",
            owner_id=people.owner.user.id,
            url="https://brest.example.test/",
        )
        make_source(
            db, "Ailleurs", owner_id=people.owner.user.id, url="https://rennes.example.test/x_y"
        )
        db.commit()

        def names(q: str) -> list[str]:
            return sorted(s["name"] for s in client.get(SOURCES, params={"q": q}).json()["data"])

        assert names("geonetwork rennes") == ["Moissonneur GeoNetwork de la ville de Rennes"]
        assert names("GEONETWORK") == [
            "GeoNetwork de Brest",
            "Moissonneur GeoNetwork de la ville de Rennes",
        ]
        assert names("rennes") == ["Ailleurs", "Moissonneur GeoNetwork de la ville de Rennes"]
        assert names("x_y") == ["Ailleurs"]
        assert names("x%y") == []

    def test_pages(self, client: CheckedClient, people: People, db: Session) -> None:
        for number in range(25):
            make_source(db, f"Source {number:02}", owner_id=people.owner.user.id)
        db.commit()
        first = client.get(SOURCES).json()
        assert (first["page"], first["page_size"], first["total"]) == (1, 20, 25)
        assert len(first["data"]) == 20
        assert first["previous_page"] is None
        assert first["data"][0]["name"] == "Source 24"  # newest first
        assert first["next_page"] == f"http://moisson.test{SOURCES}?page=2"
        second = client.get(first["next_page"]).json()
        assert len(second["data"]) == 5
        assert second["next_page"] is None
        assert second["previous_page"] == f"http://moisson.test{SOURCES}?page=1"
        sized = client.get(SOURCES, params={"page_size": 10, "page": 2, "q": "source"}).json()
        next_url = httpx.URL(sized["next_page"])
        assert next_url.path == SOURCES
        assert dict(next_url.params) == {"page_size": "10", "page": "3", "q": "source"}
        assert client.get(SOURCES, params={"page": 3}).status_code == 404

    def test_empty_first_page_is_not_404(self, client: CheckedClient) -> None:
        assert client.get(SOURCES).json()["data"] == []

    @pytest.mark.parametrize(
        ("param", "value"), [("page", "0"), ("page", "x"), ("page_size", "-1")]
    )
    def test_page_parameters_must_be_positive_integers(
        self, client: CheckedClient, param: str, value: str
    ) -> None:
        response = client.get(SOURCES, params={param: value})
        assert response.status_code == 400
        assert list(response.json()["errors"]) == [param]


class TestUpdate:
    def test_partial_update(self, client: CheckedClient, people: People) -> None:
        created = create(client, people, description="Before")
        response = client.put(
            source_url(created["id"]),
            json={"active": False, "slug": "ignored", "validation": {"state": "accepted"}},
            headers=people.owner.headers,
        )
        assert response.status_code == 200
        updated = response.json()
        assert updated["active"] is False
        assert updated["description"] == "Before"
        assert updated["slug"] == "test-source"
        assert updated["validation"]["state"] == "pending"

    def test_rename_moves_the_slug_and_the_old_one_redirects(
        self, client: CheckedClient, people: People
    ) -> None:
        created = create(client, people)
        renamed = client.put(
            source_url("test-source"), json={"name": "New name"}, headers=people.owner.headers
        ).json()
        assert renamed["slug"] == "new-name"
        response = client.get(source_url("test-source") + "jobs/")
        assert response.status_code == 308
        assert response.headers["location"].endswith("/harvest/source/new-name/jobs/")
        put = client.put(
            source_url("test-source"), json={"name": "x"}, headers=people.owner.headers
        )
        assert put.status_code == 308
        # The old slug is free for a new source, which then wins over the redirect.
        assert create(client, people)["slug"] == "test-source"
        assert client.get(source_url("test-source")).json()["id"] != created["id"]

    def test_rename_to_the_same_slug_keeps_it(self, client: CheckedClient, people: People) -> None:
        created = create(client, people)
        renamed = client.put(
            source_url(created["id"]), json={"name": "TEST source"}, headers=people.owner.headers
        ).json()
        assert (renamed["name"], renamed["slug"]) == ("TEST source", "test-source")

    def test_config_alone_is_checked_against_the_stored_backend(
        self, client: CheckedClient, people: People
    ) -> None:
        created = create(client, people, backend="ckan")
        ok = client.put(
            source_url(created["id"]),
            json={"config": {"filters": [{"key": "organization", "value": "x"}]}},
            headers=people.owner.headers,
        )
        assert ok.status_code == 200
        switched = client.put(
            source_url(created["id"]), json={"backend": "dcat"}, headers=people.owner.headers
        )
        assert switched.status_code == 400
        assert 'Unknown filter key "organization"' in switched.json()["errors"]["config"]

    def test_a_disabled_stored_backend_fails_every_update(
        self, client: CheckedClient, people: People, app
    ) -> None:
        created = create(client, people)
        harvest = app.state.settings.harvest.model_copy(update={"backends": ["ckan"]})
        app.state.settings = app.state.settings.model_copy(update={"harvest": harvest})
        response = client.put(
            source_url(created["id"]), json={"description": "x"}, headers=people.owner.headers
        )
        assert response.json()["errors"] == {"backend": 'Unknown backend "dcat"'}

    def test_name_null_is_required(self, client: CheckedClient, people: People) -> None:
        created = create(client, people)
        response = client.put(
            source_url(created["id"]), json={"name": None}, headers=people.owner.headers
        )
        assert response.json()["errors"] == {"name": "Field is required"}

    def test_producer_is_frozen_for_non_sysadmins(
        self, client: CheckedClient, people: People
    ) -> None:
        created = create(client, people)
        same = client.put(
            source_url(created["id"]),
            json={"owner": people.owner.user.id, "organization": None},
            headers=people.owner.headers,
        )
        assert same.status_code == 200
        moved = client.put(
            source_url(created["id"]),
            json={"organization": people.org.id},
            headers=people.owner.headers,
        )
        assert moved.json()["errors"] == {
            "organization": "Cannot modify organization after creation"
        }

    def test_sysadmin_moves_the_producer_and_the_other_is_cleared(
        self, client: CheckedClient, people: People
    ) -> None:
        created = create(client, people)
        moved = client.put(
            source_url(created["id"]),
            json={"organization": people.org.id},
            headers=people.sysadmin.headers,
        ).json()
        assert moved["organization"]["id"] == people.org.id
        assert moved["owner"] is None


class TestDelete:
    def test_soft_delete(self, client: CheckedClient, people: People, db: Session) -> None:
        created = create(client, people)
        response = client.delete(source_url(created["id"]), headers=people.owner.headers)
        assert response.status_code == 204
        assert response.content == b""
        again = client.delete(source_url(created["id"]), headers=people.owner.headers)
        assert again.status_code == 204
        row = db.scalars(select(HarvestSource).where(HarvestSource.id == created["id"])).one()
        db.refresh(row)
        assert row.deleted_at is not None
