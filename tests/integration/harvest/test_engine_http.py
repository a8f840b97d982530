"""The engine with its own outbound client (no injected transport): real sockets."""

from __future__ import annotations

import ipaddress
import json

from sqlalchemy.orm import Session, sessionmaker
from tests.fakes import JsonCatalogBackend
from tests.http_server import Reply, loopback_server
from tests.integration.harvest.conftest import load_run, make_source

from moisson.config import Settings
from moisson.harvest.engine import run_job
from moisson.services.runs import create_pending_job

REGISTRY = {"fake": JsonCatalogBackend}


def run(db: Session, factory: sessionmaker[Session], settings: Settings, url: str):  # type: ignore[no-untyped-def]
    source = make_source(db, url=url)
    job = create_pending_job(db, source)
    db.commit()
    run_job(factory, settings, job.id, backend_registry=REGISTRY)  # type: ignore[arg-type]
    db.expire_all()
    return load_run(db, job.id)


class TestEngineOverHttp:
    def test_a_source_on_a_private_address_fails_naming_the_ip(
        self, db: Session, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        result = run(db, session_factory, settings, "http://10.0.0.1/catalog")
        assert result.job.status == "failed"
        assert len(result.errors) == 1
        assert "10.0.0.1" in result.errors[0].message

    def test_a_catalog_on_an_allowed_network_is_harvested(
        self, db: Session, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        body = json.dumps([{"id": "a", "title": "A"}, {"id": "b", "title": "B"}]).encode()
        opened = settings.model_copy(
            update={"outbound_allow_networks": [ipaddress.IPv4Network("127.0.0.1/32")]}
        )
        with loopback_server({"/catalog": Reply(body=body)}) as server:
            result = run(db, session_factory, opened, server.url("/catalog"))
            assert server.requests[0].headers["User-Agent"].startswith("Moisson/")
        assert result.job.status == "done"
        assert result.statuses == ["done", "done"]

    def test_a_redirecting_catalog_fails_the_job(
        self, db: Session, session_factory: sessionmaker[Session], settings: Settings
    ) -> None:
        opened = settings.model_copy(
            update={"outbound_allow_networks": [ipaddress.IPv4Network("127.0.0.1/32")]}
        )
        routes = {"/catalog": Reply(status=302, headers={"Location": "/elsewhere"})}
        with loopback_server(routes) as server:
            result = run(db, session_factory, opened, server.url("/catalog"))
        assert result.job.status == "failed"
        assert result.errors[0].message.startswith("Redirect (302) not allowed: ")
        assert result.errors[0].level == "WARNING"
