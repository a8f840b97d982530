"""Every secured operation x every kind of caller (docs/udata-behaviour.md §5), and x every
kind of bad key (3.1).

An org-owned source is used for organization roles and a user-owned one for its owner.
Allowed calls to preview an existing source are answered 400 here (its backend is disabled
on purpose, a check made after the permission) so that no harvest runs. Every refused call
is checked to have changed nothing: the source rows and the jobs are as before, and no job
was handed to the runner.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.api.conftest import (
    CheckedClient,
    People,
    RecordingRunner,
    make_job,
    make_source,
    stored_state,
)

from moisson.services.auth import UNAUTHENTICATED_MESSAGE
from moisson.storage.models import ApiKey, HarvestSource

ROLES = ("anonymous", "stranger", "owner", "org_editor", "org_admin", "sysadmin")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    """`{source}` is replaced by the id of the source under test."""
    body: Any = None
    expected: dict[str, int] | None = None

    def call(self, client: CheckedClient, source: HarvestSource, headers: dict[str, str]) -> Any:
        kwargs: dict[str, Any] = {"headers": headers}
        if self.body is not None:
            kwargs["json"] = self.body
        return client.request(self.method, self.path.format(source=source.id), **kwargs)


def codes(
    anonymous: int, stranger: int, owner: int, org_editor: int, org_admin: int, sysadmin: int
) -> dict[str, int]:
    return dict(
        zip(ROLES, (anonymous, stranger, owner, org_editor, org_admin, sysadmin), strict=True)
    )


OPERATIONS = {
    "update": Operation(
        "PUT",
        "/api/1/harvest/source/{source}/",
        {"description": "x"},
        codes(401, 403, 200, 403, 200, 200),
    ),
    "delete": Operation(
        "DELETE", "/api/1/harvest/source/{source}/", None, codes(401, 403, 204, 403, 204, 204)
    ),
    "run": Operation(
        "POST", "/api/1/harvest/source/{source}/run/", None, codes(401, 403, 200, 403, 200, 200)
    ),
    "preview": Operation(
        "GET", "/api/1/harvest/source/{source}/preview/", None, codes(401, 403, 400, 400, 400, 400)
    ),
    "validate": Operation(
        "POST",
        "/api/1/harvest/source/{source}/validate/",
        {"state": "refused", "comment": "no"},
        codes(401, 403, 403, 403, 403, 200),
    ),
    "schedule": Operation(
        "POST",
        "/api/1/harvest/source/{source}/schedule/",
        "0 1 * * *",
        codes(401, 403, 403, 403, 403, 200),
    ),
    "unschedule": Operation(
        "DELETE",
        "/api/1/harvest/source/{source}/schedule/",
        None,
        codes(401, 403, 403, 403, 403, 204),
    ),
}


#: Operations that name no source: a bad key is refused before the body is looked at.
SOURCELESS_OPERATIONS = {
    "create": Operation(
        "POST",
        "/api/1/harvest/sources/",
        {"name": "N", "url": "https://n.example.test/", "backend": "dcat"},
    ),
    "preview_config": Operation(
        "POST",
        "/api/1/harvest/source/preview/",
        {"name": "N", "url": "https://n.example.test/", "backend": "dcat"},
    ),
}
ALL_SECURED = {**OPERATIONS, **SOURCELESS_OPERATIONS}

#: Kinds of bad key -> the 401 message (udata's wording).
BAD_KEYS = {
    "none": UNAUTHENTICATED_MESSAGE,
    "malformed": "Invalid API token",
    "unknown": "Invalid API token",
    "revoked": "Revoked API token",
    "expired": "Expired API token",
}


def bad_key_headers(kind: str, db: Session, people: People) -> dict[str, str]:
    """Headers presenting a bad key of `kind`. Revoked and expired keys are the sysadmin's,
    who could do everything with them: only the key's state refuses the call."""
    if kind == "none":
        return {}
    if kind == "malformed":
        return {"X-API-KEY": "not a key: {}"}
    if kind == "unknown":
        return {"X-API-KEY": "moisson_" + secrets.token_urlsafe(32)}
    key = db.scalars(select(ApiKey).where(ApiKey.user_id == people.sysadmin.user.id)).one()
    if kind == "revoked":
        key.revoked_at = datetime.now(UTC) - timedelta(seconds=1)
    else:
        key.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.commit()
    return people.sysadmin.headers


@pytest.fixture
def sources(db: Session, people: People) -> dict[str, HarvestSource]:
    common = {"validation_state": "accepted", "schedule_cron": "0 0 * * *", "backend": "csw-dcat"}
    made = {
        "user": make_source(db, "Of a user", owner_id=people.owner.user.id, **common),
        "org": make_source(db, "Of an org", organization_id=people.org.id, **common),
    }
    db.commit()
    return made


@pytest.fixture
def without_csw_dcat(app: FastAPI) -> None:
    """Preview refuses a disabled backend after its permission check: no harvest runs."""
    harvest = app.state.settings.harvest.model_copy(update={"backends": ["dcat", "ckan"]})
    app.state.settings = app.state.settings.model_copy(update={"harvest": harvest})


def _source_for(role: str, sources: dict[str, HarvestSource]) -> HarvestSource:
    return sources["user"] if role == "owner" else sources["org"]


@pytest.mark.usefixtures("without_csw_dcat")
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_secured_operations(
    client: CheckedClient,
    people: People,
    sources: dict[str, HarvestSource],
    db: Session,
    runner: RecordingRunner,
    name: str,
    role: str,
) -> None:
    operation = OPERATIONS[name]
    assert operation.expected is not None
    source = _source_for(role, sources)
    # A disabled backend would also fail a PUT: the updated source keeps an enabled one.
    if name == "update":
        operation = Operation(
            operation.method,
            operation.path,
            {"description": "x", "backend": "dcat"},
            operation.expected,
        )
    before = stored_state(db)
    response = operation.call(client, source, people.by_role(role))
    assert response.status_code == operation.expected[role], response.text
    if response.status_code >= 400:
        assert stored_state(db) == before
        assert runner.submitted == []


@pytest.mark.parametrize("kind", sorted(BAD_KEYS))
@pytest.mark.parametrize("name", sorted(ALL_SECURED))
def test_secured_operations_refuse_bad_keys(
    client: CheckedClient,
    people: People,
    sources: dict[str, HarvestSource],
    db: Session,
    runner: RecordingRunner,
    name: str,
    kind: str,
) -> None:
    headers = bad_key_headers(kind, db, people)
    before = stored_state(db)
    response = ALL_SECURED[name].call(client, sources["org"], headers)
    assert (response.status_code, response.json()) == (401, {"message": BAD_KEYS[kind]})
    assert stored_state(db) == before
    assert runner.submitted == []


HOSTILE_BODIES = {
    "not-json-typed": (b'{"name": "x"}', "text/plain"),
    "malformed": (b"{", "application/json"),
    "not-an-object": (b"[]", "application/json"),
    "too-deep": (b"[" * 1000 + b"]" * 1000, "application/json"),
}


@pytest.mark.parametrize("body", sorted(HOSTILE_BODIES))
@pytest.mark.parametrize("name", sorted(ALL_SECURED))
def test_anonymous_callers_get_401_whatever_they_send(
    client: CheckedClient, db: Session, sources: dict[str, HarvestSource], name: str, body: str
) -> None:
    """udata checks authentication first: before the body, and before the source exists."""
    content, content_type = HOSTILE_BODIES[body]
    for path in (
        ALL_SECURED[name].path.format(source=sources["org"].id),
        ALL_SECURED[name].path.format(source="no-such-source"),
    ):
        response = client.request(
            ALL_SECURED[name].method, path, content=content, headers={"Content-Type": content_type}
        )
        assert (response.status_code, response.json()) == (401, {"message": BAD_KEYS["none"]})


@pytest.mark.parametrize("body", sorted(HOSTILE_BODIES))
@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("update", "stranger"),
        ("update", "org_editor"),
        ("validate", "owner"),
        ("validate", "org_admin"),
        ("schedule", "stranger"),
        ("schedule", "org_admin"),
    ],
)
def test_a_caller_without_the_right_gets_403_whatever_they_send(
    client: CheckedClient,
    people: People,
    db: Session,
    sources: dict[str, HarvestSource],
    name: str,
    role: str,
    body: str,
) -> None:
    """udata checks the permission on the source before it reads the body."""
    content, content_type = HOSTILE_BODIES[body]
    before = stored_state(db)
    response = client.request(
        OPERATIONS[name].method,
        OPERATIONS[name].path.format(source=_source_for(role, sources).id),
        content=content,
        headers={**people.by_role(role), "Content-Type": content_type},
    )
    assert response.status_code == 403, response.text
    assert stored_state(db) == before


@pytest.mark.parametrize(
    "key",
    [
        b"",
        b"   ",
        b"moisson_",
        b"Bearer moisson_abc",
        b"\xe9t\xe9",  # not ASCII: read as Latin-1, never an error
        b"x" * 8192,
    ],
    ids=["empty", "blank", "prefix-only", "bearer", "latin-1", "8-KiB"],
)
def test_malformed_keys_are_invalid_tokens(
    client: CheckedClient, db: Session, sources: dict[str, HarvestSource], key: bytes
) -> None:
    before = stored_state(db)
    response = OPERATIONS["delete"].call(client, sources["org"], {"X-API-KEY": key})  # type: ignore[dict-item]
    assert (response.status_code, response.json()) == (401, {"message": "Invalid API token"})
    assert stored_state(db) == before


PUBLIC_READS = (
    "/api/1/harvest/backends/",
    "/api/1/harvest/sources/",
    "/api/1/harvest/source/{source}/",
    "/api/1/harvest/source/{source}/jobs/",
    "/api/1/harvest/job/{job}/",
    "/api/1/harvest/job/{job}/items/",
    "/api/1/datasets/",
    "/api/1/datasets/0123456789abcdef01234567/",
    "/api/1/dataservices/",
    "/api/1/dataservices/0123456789abcdef01234567/",
)


@pytest.mark.parametrize("kind", ["malformed", "unknown", "revoked", "expired"])
@pytest.mark.parametrize("path", PUBLIC_READS)
def test_public_reads_refuse_bad_keys(
    client: CheckedClient,
    people: People,
    sources: dict[str, HarvestSource],
    db: Session,
    path: str,
    kind: str,
) -> None:
    job = make_job(db, sources["org"])
    db.commit()
    url = path.format(source=sources["org"].id, job=job.id)
    assert client.get(url).status_code in (200, 404)  # readable without a key
    response = client.get(url, headers=bad_key_headers(kind, db, people))
    assert (response.status_code, response.json()) == (401, {"message": BAD_KEYS[kind]})


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 401),
        ("stranger", 400),  # not a member: the organization field is wrong
        ("org_editor", 403),  # a member, not an admin
        ("org_admin", 201),
        ("sysadmin", 201),
    ],
)
def test_create_for_an_organization(
    client: CheckedClient, people: People, db: Session, role: str, expected: int
) -> None:
    body = {
        "name": "N",
        "url": "https://n.example.test/",
        "backend": "dcat",
        "organization": people.org.id,
    }
    before = stored_state(db)
    response = client.post("/api/1/harvest/sources/", json=body, headers=people.by_role(role))
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert stored_state(db) == before


@pytest.mark.parametrize("path", ["/api/1/harvest/sources/", "/api/1/harvest/source/preview/"])
def test_another_users_key_cannot_make_a_source_for_them(
    client: CheckedClient, people: People, db: Session, path: str
) -> None:
    body = {
        "name": "N",
        "url": "https://n.example.test/",
        "backend": "dcat",
        "owner": people.owner.user.id,
    }
    before = stored_state(db)
    response = client.post(path, json=body, headers=people.stranger.headers)
    assert response.status_code == 400
    assert response.json()["errors"] == {"owner": "You can only set yourself as owner"}
    assert stored_state(db) == before


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("stranger", 400), ("org_editor", 403)],
)
def test_preview_a_configuration_for_an_organization(
    client: CheckedClient, people: People, role: str, expected: int
) -> None:
    body = {
        "name": "N",
        "url": "https://n.example.test/",
        "backend": "dcat",
        "organization": people.org.id,
    }
    response = client.post(
        "/api/1/harvest/source/preview/", json=body, headers=people.by_role(role)
    )
    assert response.status_code == expected, response.text


@pytest.mark.parametrize("role", ["stranger", "owner", "sysadmin"])
def test_preview_a_configuration_checks_fields_before_harvesting(
    client: CheckedClient, people: People, role: str
) -> None:
    response = client.post(
        "/api/1/harvest/source/preview/",
        json={"name": "N", "backend": "dcat"},
        headers=people.by_role(role),
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"url": "Field is required"}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            "anonymous",
            dict.fromkeys(("edit", "delete", "run", "preview", "validate", "schedule"), False),
        ),
        (
            "stranger",
            dict.fromkeys(("edit", "delete", "run", "preview", "validate", "schedule"), False),
        ),
        (
            "org_editor",
            {
                "edit": False,
                "delete": False,
                "run": False,
                "preview": True,
                "validate": False,
                "schedule": False,
            },
        ),
        (
            "org_admin",
            {
                "edit": True,
                "delete": True,
                "run": True,
                "preview": True,
                "validate": False,
                "schedule": False,
            },
        ),
        (
            "sysadmin",
            dict.fromkeys(("edit", "delete", "run", "preview", "validate", "schedule"), True),
        ),
    ],
)
def test_permissions_object_of_an_org_source(
    client: CheckedClient,
    people: People,
    sources: dict[str, HarvestSource],
    role: str,
    expected: dict[str, bool],
) -> None:
    shown = client.get(f"/api/1/harvest/source/{sources['org'].id}/", headers=people.by_role(role))
    assert shown.json()["permissions"] == expected


def test_error_details_are_for_sysadmins_only(
    client: CheckedClient, people: People, sources: dict[str, HarvestSource], db: Session
) -> None:
    from tests.api.conftest import make_job

    from moisson.storage.models import HarvestErrorRow

    job = make_job(db, sources["org"], status="failed")
    db.add(HarvestErrorRow(job_id=job.id, message="Remote down", details="Traceback"))
    db.commit()
    for role, details in (("org_admin", None), ("sysadmin", "Traceback"), ("anonymous", None)):
        shown = client.get(f"/api/1/harvest/job/{job.id}/", headers=people.by_role(role)).json()
        assert shown["errors"][0]["details"] == details
