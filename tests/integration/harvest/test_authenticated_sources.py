"""Sources that demand credentials, harvested over real loopback sockets."""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
from typing import ClassVar

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.fakes import JsonCatalogBackend
from tests.http_server import Reply, Seen, loopback_server
from tests.integration.harvest.conftest import load_run, make_source

from moisson.config import Settings
from moisson.domain.capabilities import BackendInfo
from moisson.domain.credentials import parse_credentials
from moisson.encryption import seal
from moisson.harvest.engine import run_job
from moisson.harvest.preview import preview_source
from moisson.services.runs import create_pending_job

CATALOG = json.dumps([{"id": "a", "title": "A"}, {"id": "b", "title": "B"}]).encode()
PASSWORD = "s3cr3t-pa55word"
TOKEN = "tok-abcdef-123456"
API_KEY = "key-0123456789"


class RedirectFollowingBackend(JsonCatalogBackend):
    info: ClassVar[BackendInfo] = BackendInfo(
        id="fake-follow", label="Fake JSON, redirects followed", follow_redirects=True
    )


REGISTRY = {"fake": JsonCatalogBackend, "fake-follow": RedirectFollowingBackend}
BASIC = "Basic " + base64.b64encode(f"ann:{PASSWORD}".encode()).decode()


@pytest.fixture
def opened(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"outbound_allow_networks": [ipaddress.IPv4Network("127.0.0.1/32")]}
    )


def demanding(header: str, expected: str):  # type: ignore[no-untyped-def]
    """A catalog answering 401 unless `header` carries `expected`."""

    def reply(seen: Seen) -> Reply:
        given = {k.lower(): v for k, v in seen.headers.items()}.get(header.lower())
        if given != expected:
            return Reply(status=401, headers={"WWW-Authenticate": 'Basic realm="c"'})
        return Reply(body=CATALOG, headers={"Content-Type": "application/json"})

    return reply


def run(db: Session, factory: sessionmaker[Session], settings: Settings, url: str, **fields):  # type: ignore[no-untyped-def]
    credentials = fields.pop("credentials", None)
    if credentials is not None:
        parsed = parse_credentials(credentials)
        fields.update(credentials_kind=parsed.kind, credentials_token=seal(settings, parsed))
    source = make_source(db, url=url, **fields)
    job = create_pending_job(db, source)
    db.commit()
    run_job(factory, settings, job.id, backend_registry=REGISTRY)  # type: ignore[arg-type]
    db.expire_all()
    return load_run(db, job.id)


@pytest.mark.parametrize(
    ("credentials", "header", "expected"),
    [
        ({"type": "basic", "username": "ann", "password": PASSWORD}, "Authorization", BASIC),
        ({"type": "bearer", "token": TOKEN}, "Authorization", f"Bearer {TOKEN}"),
        ({"type": "headers", "headers": {"X-API-Key": API_KEY}}, "X-API-Key", API_KEY),
    ],
    ids=["basic", "bearer", "api-key-header"],
)
def test_a_catalog_demanding_credentials_is_harvested_with_them_only(
    db: Session,
    session_factory: sessionmaker[Session],
    opened: Settings,
    credentials: dict[str, object],
    header: str,
    expected: str,
) -> None:
    with loopback_server({"/catalog": demanding(header, expected)}) as server:
        refused = run(db, session_factory, opened, server.url("/catalog"))
        harvested = run(
            db, session_factory, opened, server.url("/catalog"), credentials=credentials
        )
    assert refused.job.status == "failed"
    assert "401" in refused.errors[0].message
    assert harvested.job.status == "done"
    assert harvested.statuses == ["done", "done"]


def test_no_credential_follows_a_redirect_to_another_origin(
    db: Session, session_factory: sessionmaker[Session], opened: Settings
) -> None:
    credentials = {"type": "headers", "headers": {"X-API-Key": API_KEY, "X-Other": "o-" + TOKEN}}
    with loopback_server({"/elsewhere": Reply(body=CATALOG)}) as other:
        # Same host, another port: another origin.
        routes = {"/catalog": Reply(status=302, headers={"Location": other.url("/elsewhere")})}
        with loopback_server(routes) as server:
            result = run(
                db,
                session_factory,
                opened,
                server.url("/catalog"),
                backend="fake-follow",
                credentials=credentials,
            )
            first = server.requests[0].headers
        arrived = other.requests[0].headers
    assert result.job.status == "done"
    assert first["X-API-Key"] == API_KEY
    assert first["X-Other"] == "o-" + TOKEN
    assert not {"x-api-key", "x-other", "authorization"} & {k.lower() for k in arrived}


def test_a_same_origin_redirect_keeps_the_credentials(
    db: Session, session_factory: sessionmaker[Session], opened: Settings
) -> None:
    with loopback_server({}) as server:
        server.script("/catalog", Reply(status=301, headers={"Location": "/v2/catalog"}))
        server.script("/v2/catalog", demanding("Authorization", f"Bearer {TOKEN}"))
        result = run(
            db,
            session_factory,
            opened,
            server.url("/catalog"),
            backend="fake-follow",
            credentials={"type": "bearer", "token": TOKEN},
        )
    assert result.job.status == "done"
    assert result.statuses == ["done", "done"]


def test_secrets_appear_in_no_log_line_and_no_preview(
    db: Session,
    session_factory: sessionmaker[Session],
    opened: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    credentials = {"type": "basic", "username": "ann", "password": PASSWORD}
    with loopback_server({"/catalog": demanding("Authorization", BASIC)}) as server:
        result = run(db, session_factory, opened, server.url("/catalog"), credentials=credentials)
        source = make_source(db, url=server.url("/catalog"))
        parsed = parse_credentials(credentials)
        source.credentials_kind = parsed.kind
        source.credentials_token = seal(opened, parsed)
        db.commit()
        preview = preview_source(session_factory, opened, source, backend_registry=REGISTRY)  # type: ignore[arg-type]
    assert result.job.status == "done"
    assert [entry.item.status for entry in preview.items] == ["done", "done"]
    logged = "\n".join(
        f"{record.getMessage()} {record.args!r} {record.__dict__!r}" for record in caplog.records
    )
    encoded = BASIC.removeprefix("Basic ")
    assert logged  # the run did log (requests, job end)
    assert PASSWORD not in logged
    assert encoded not in logged
    assert PASSWORD not in repr(preview)
    assert encoded not in repr(preview)


def test_credentials_no_key_decrypts_fail_the_job_saying_so(
    db: Session, session_factory: sessionmaker[Session], opened: Settings
) -> None:
    parsed = parse_credentials({"type": "bearer", "token": TOKEN})
    token = seal(opened.model_copy(update={"secret_key": "a-former-key"}), parsed)
    with loopback_server({"/catalog": Reply(body=CATALOG)}) as server:
        source = make_source(
            db, url=server.url("/catalog"), credentials_kind="bearer", credentials_token=token
        )
        job = create_pending_job(db, source)
        db.commit()
        run_job(session_factory, opened, job.id, backend_registry=REGISTRY)  # type: ignore[arg-type]
        db.expire_all()
        assert server.requests == []
    result = load_run(db, job.id)
    assert result.job.status == "failed"
    assert "MOISSON_SECRET_KEY" in result.errors[0].message
    assert "set the credentials again" in result.errors[0].message
