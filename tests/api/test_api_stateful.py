"""A stateful property test of the harvest API: Hypothesis drives sequences of calls (create,
update, validate, schedule, unschedule, run, preview, jobs, delete) with valid and invalid
inputs over the real app, as a sysadmin and as a plain user, while a stranger keeps trying
to write to their sources.

After every call: no 5xx and a body valid against the reference (the checked client), a
status among those the operation may answer, and a refused write (4xx) or any preview left
the source and its jobs as they were. Sources point at a DCAT catalog served on loopback,
so previews really harvest. Bounded: derandomized, a few short sequences.

(Schemathesis's stateful mode needs its pytest plugin, which does not run under this pytest
version: `test_api_schemathesis.py` says why; this is the same idea, written for Hypothesis.)
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.orm import Session, sessionmaker
from tests.api.conftest import CheckedClient, People, Person
from tests.conftest import LOCAL_FIXTURES
from tests.http_server import Reply, loopback_server

from moisson.api import create_app
from moisson.config import Settings
from moisson.harvest.engine import run_job

FINISHED = ("done", "done-errors", "failed")
CATALOG = (LOCAL_FIXTURES / "admin" / "catalog.rdf").read_bytes()
SOURCES = "/api/1/harvest/sources/"
MACHINE_SETTINGS = settings(
    max_examples=10,
    stateful_step_count=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def source_url(source_id: str, action: str = "") -> str:
    return f"/api/1/harvest/source/{source_id}/" + (f"{action}/" if action else "")


class World:
    """What the machine needs from the test's fixtures (a machine takes no arguments); set
    by the test before the machine runs."""

    client: CheckedClient
    people: People
    actor: str
    catalog: str


WORLD = World()

# Strategies are built once per process, before the catalog server has a port: URLs name it
# with placeholders, filled in when a body is sent.
CATALOG_URL = "{catalog}"


def source_bodies() -> st.SearchStrategy[Any]:
    """Mostly plausible source bodies with a wrong value here and there, and now and then
    something that is not a source body at all."""
    fields = {
        "name": st.one_of(
            st.text(min_size=1, max_size=30), st.sampled_from(["", "  ", "x" * 256]), st.none()
        ),
        "description": st.one_of(st.text(max_size=50), st.none()),
        "url": st.sampled_from(
            [
                CATALOG_URL,
                CATALOG_URL + "?page=1",
                "{loopback}/missing.rdf",
                "not a url",
                "ftp://data.example.test/",
                "http://10.0.0.1/catalog.rdf",
                "",
            ]
        ),
        "backend": st.sampled_from(["dcat", "dcat", "ckan", "nope", ""]),
        "config": st.one_of(
            st.just({}),
            st.just({"filters": [{"key": "tags", "value": "x"}]}),
            st.just({"features": {"nope": True}}),
            st.just([]),
            st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
        ),
        "active": st.one_of(st.booleans(), st.just("yes")),
        "autoarchive": st.booleans(),
        "owner": st.sampled_from([None, "0123456789abcdef01234567", "nope"]),
        "organization": st.sampled_from([None, "0123456789abcdef01234567"]),
    }
    valid = st.fixed_dictionaries(
        {
            "name": st.text(min_size=1, max_size=30).filter(str.strip),
            "url": st.just(CATALOG_URL),
            "backend": st.just("dcat"),
        },
        optional={"description": st.text(max_size=30)},
    )
    any_fields = st.fixed_dictionaries({}, optional=fields)
    hostile = st.sampled_from(
        [b"[]", b"1", b"", b"{", b"\xff", b'{"name": "a", "name": "b"}', b'{"name": NaN}']
    )
    return st.one_of(valid, valid, any_fields, hostile)


SOURCE_BODIES = source_bodies()


def encode(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, dict) and isinstance(body.get("url"), str):
        loopback = WORLD.catalog.rsplit("/", 1)[0]
        url = body["url"].replace("{catalog}", WORLD.catalog).replace("{loopback}", loopback)
        body = {**body, "url": url}
    return json.dumps(body).encode()


class ApiMachine(RuleBasedStateMachine):
    sources = Bundle("sources")

    def __init__(self) -> None:
        super().__init__()
        self.client = WORLD.client
        self.people = WORLD.people
        self.actor: Person = getattr(WORLD.people, WORLD.actor)
        self.headers = {**self.actor.headers, "Content-Type": "application/json"}
        self.is_sysadmin = WORLD.actor == "sysadmin"

    # -- helpers --------------------------------------------------------------------------

    def snapshot(self, source_id: str) -> Any:
        """The source and its jobs as a sysadmin sees them."""
        admin = self.people.sysadmin.headers
        shown = self.client.get(source_url(source_id), headers=admin)
        jobs = self.client.get(source_url(source_id, "jobs"), headers=admin)
        return shown.json(), jobs.json() if jobs.status_code == 200 else jobs.status_code

    def call(
        self,
        method: str,
        url: str,
        allowed: set[int],
        *,
        body: Any = None,
        source_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        before = self.snapshot(source_id) if source_id else None
        response = self.client.request(
            method,
            url,
            content=None if body is None else encode(body),
            headers=headers or self.headers,
        )
        assert response.status_code in allowed, (method, url, response.status_code, response.text)
        refused = response.status_code >= 400
        if source_id and (refused or url.endswith("/preview/")):
            assert self.snapshot(source_id) == before, f"{method} {url} changed the source"
        return response

    # -- rules ----------------------------------------------------------------------------

    @rule(target=sources, body=SOURCE_BODIES, preview_first=st.sampled_from([False, False, True]))
    def create(self, body: Any, preview_first: bool) -> Any:
        if preview_first:
            self.call("POST", "/api/1/harvest/source/preview/", {200, 400}, body=body)
        response = self.call("POST", SOURCES, {201, 400}, body=body)
        if response.status_code != 201:
            return multiple()
        created = response.json()
        assert created["validation"]["state"] == "pending"
        assert created["owner"]["id"] == self.actor.user.id
        return created["id"]

    @rule(source_id=sources, body=SOURCE_BODIES)
    def update(self, source_id: str, body: Any) -> None:
        self.call("PUT", source_url(source_id), {200, 400}, body=body, source_id=source_id)

    @rule(
        source_id=sources,
        body=st.one_of(
            st.just({"state": "accepted"}),
            st.just({"state": "refused", "comment": "Not open data"}),
            st.fixed_dictionaries(
                {}, optional={"state": st.sampled_from(["pending", "nope", "refused"])}
            ),
            st.just(b"[]"),
        ),
    )
    def validate(self, source_id: str, body: Any) -> None:
        allowed = {200, 400} if self.is_sysadmin else {403}
        url = source_url(source_id, "validate")
        self.call("POST", url, allowed, body=body, source_id=source_id)

    @rule(
        source_id=sources,
        cron=st.sampled_from(["0 3 * * 1", "*/5 * * * *", "61 * * * *", "nope", "", 12]),
    )
    def schedule(self, source_id: str, cron: Any) -> None:
        allowed = {200, 400} if self.is_sysadmin else {403}
        url = source_url(source_id, "schedule")
        self.call("POST", url, allowed, body=cron, source_id=source_id)

    @rule(source_id=sources)
    def sysadmin_accepts(self, source_id: str) -> None:
        """The platform's side of the workflow, whoever the actor is: a job is launched."""
        headers = {**self.people.sysadmin.headers, "Content-Type": "application/json"}
        url = source_url(source_id, "validate")
        response = self.call("POST", url, {200}, body={"state": "accepted"}, headers=headers)
        assert response.json()["validation"]["state"] == "accepted"

    @rule(source_id=sources)
    def unschedule(self, source_id: str) -> None:
        allowed = {204, 400} if self.is_sysadmin else {403}
        self.call("DELETE", source_url(source_id, "schedule"), allowed, source_id=source_id)

    @rule(source_id=sources)
    def run(self, source_id: str) -> None:
        # 400 until accepted. The job runs to its end before the response is sent.
        response = self.call("POST", source_url(source_id, "run"), {200, 400}, source_id=source_id)
        if response.status_code == 200:
            jobs = self.client.get(source_url(source_id, "jobs")).json()
            assert jobs["data"][0]["status"] in FINISHED

    @rule(source_id=sources)
    def browse_datasets(self, source_id: str) -> None:
        found = self.call("GET", f"/api/1/datasets/?harvest_source={source_id}", {200}).json()
        for dataset in found["data"]:
            assert dataset["harvest"]["source_id"] == source_id
            self.call("GET", f"/api/1/datasets/{dataset['id']}/", {200})

    @rule(source_id=sources)
    def preview(self, source_id: str) -> None:
        response = self.call(
            "GET", source_url(source_id, "preview"), {200, 400}, source_id=source_id
        )
        if response.status_code == 200:
            assert response.json()["status"] in FINISHED

    @rule(
        source_id=sources,
        page=st.sampled_from([1, 1, 2, 0]),
        page_size=st.sampled_from([1, 20, 20, 1001]),
    )
    def list_jobs(self, source_id: str, page: int, page_size: int) -> None:
        url = f"{source_url(source_id, 'jobs')}?page={page}&page_size={page_size}"
        response = self.call("GET", url, {200, 400, 404})
        if response.status_code == 200:
            for job in response.json()["data"]:
                shown = self.call("GET", f"/api/1/harvest/job/{job['id']}/", {200}).json()
                assert shown["source"] == source_id
                items = self.call("GET", f"/api/1/harvest/job/{job['id']}/items/", {200}).json()
                assert items["total"] == sum(shown["items_by_status"].values())

    @rule(source_id=sources)
    def delete(self, source_id: str) -> None:
        response = self.call("DELETE", source_url(source_id), {204}, source_id=source_id)
        assert response.status_code == 204
        assert self.client.get(source_url(source_id)).json()["deleted"] is not None

    @rule(
        source_id=sources,
        action=st.sampled_from(
            [
                ("PUT", "", {"name": "Taken over"}),
                ("DELETE", "", None),
                ("POST", "run", None),
                ("GET", "preview", None),
                ("POST", "validate", {"state": "accepted"}),
                ("POST", "schedule", "0 0 * * *"),
                ("DELETE", "schedule", None),
            ]
        ),
    )
    def intrude(self, source_id: str, action: tuple[str, str, Any]) -> None:
        """A stranger's valid key never writes to a source it has no right on."""
        method, suffix, body = action
        headers = {**self.people.stranger.headers, "Content-Type": "application/json"}
        url = source_url(source_id, suffix)
        self.call(method, url, {403}, body=body, source_id=source_id, headers=headers)


@dataclass
class InlineRunner:
    """Runs each submitted job to its end at once, before the response is sent."""

    session_factory: sessionmaker[Session]
    settings: Settings

    def submit(self, job_id: str) -> None:
        run_job(self.session_factory, self.settings, job_id)


@pytest.fixture
def catalog() -> Iterator[str]:
    with loopback_server(
        {"/catalog.rdf": Reply(body=CATALOG, headers={"Content-Type": "application/rdf+xml"})}
    ) as server:
        yield server.url("/catalog.rdf")


@pytest.mark.slow
@pytest.mark.parametrize("actor", ["sysadmin", "owner"])
def test_random_call_sequences_keep_the_contract(
    settings: Settings,
    session_factory: sessionmaker[Session],
    people: People,
    catalog: str,
    actor: str,
) -> None:
    loopback = settings.model_copy(
        update={"outbound_allow_networks": [ipaddress.ip_network("127.0.0.0/8")]}
    )
    runner = InlineRunner(session_factory, loopback)
    app = create_app(loopback, session_factory=session_factory, runner=runner)
    with CheckedClient(app, base_url="http://moisson.test", follow_redirects=False) as client:
        WORLD.client, WORLD.people, WORLD.actor, WORLD.catalog = client, people, actor, catalog
        run_state_machine_as_test(ApiMachine, settings=MACHINE_SETTINGS)
