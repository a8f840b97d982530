"""Every secured operation x every kind of caller (behaviour spec section 5).

An org-owned source is used for organization roles and a user-owned one for its owner.
Allowed calls to preview an existing source are answered 400 here (its backend is disabled
on purpose, a check made after the permission) so that no harvest runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session
from tests.api.conftest import CheckedClient, People, make_source

from moisson.storage.models import HarvestSource

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
    response = operation.call(client, source, people.by_role(role))
    assert response.status_code == operation.expected[role], response.text


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
    client: CheckedClient, people: People, role: str, expected: int
) -> None:
    body = {
        "name": "N",
        "url": "https://n.example.test/",
        "backend": "dcat",
        "organization": people.org.id,
    }
    response = client.post("/api/1/harvest/sources/", json=body, headers=people.by_role(role))
    assert response.status_code == expected, response.text


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
