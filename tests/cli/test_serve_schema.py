"""`moisson serve` on a database that was never migrated, as a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.conftest import fresh_postgres_database

POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(database_url: str, port: int, **settings: str) -> subprocess.Popen[str]:
    """A real `moisson serve`; `settings` are more `MOISSON_` variables (name without prefix)."""
    env = {
        **os.environ,
        "MOISSON_DATABASE_URL": database_url,
        "MOISSON_ENVIRONMENT": "testing",
        "MOISSON_BROKER_URL": "",
        **{f"MOISSON_{name}": value for name, value in settings.items()},
    }
    return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "moisson", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_an_empty_sqlite_file_is_migrated_and_served(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"
    database.touch()
    port = free_port()
    process = serve(f"sqlite:///{database}", port)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/1/harvest/sources/")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve never answered"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["total"] == 0
    finally:
        process.terminate()
        out, _err = process.communicate(timeout=30)
    assert "Database schema migrated to the latest version" in out
    assert "admin@localhost" in out  # then the first start carries on as usual


def test_an_unmigrated_postgres_database_stops_serve_with_one_line(tmp_path: Path) -> None:
    configured = os.environ.get("MOISSON_TEST_DATABASE_URL", "")
    server = configured if configured.startswith("postgresql") else POSTGRES_SERVER
    with fresh_postgres_database(server, f"moisson_unmigrated_{os.getpid()}") as url:
        process = serve(url, free_port())
        out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert err.strip().splitlines() == [
        "The database has no schema: run `moisson db upgrade` first"
    ]
    assert "Traceback" not in out + err
