"""API latency while harvests run: `moisson serve` with slow sources and one large fast one.

A real `moisson serve` process (in-process worker, scheduler) on a fresh database harvests
`--slow` DCAT sources whose every page takes `--delay` seconds, and one large source of
`--datasets` datasets served as fast as the machine allows; the catalogs come from a loopback
server in a child process (`tests/dcat_catalog.py`). Meanwhile this process sends ordinary
requests in a loop: reads (a job, the datasets page, the sources page) and writes (a PUT on an
idle source). The same loop first runs for `--idle` seconds with nothing harvesting: that is
the reference, measured in the same run (the machine's speed varies 2-3x).

Printed per request kind: p50 / p99 / max in milliseconds, idle then under harvest, and the
errors (any non-2xx answer, or a request taking more than 10 s).

    PYTHONPATH=src python bench/bench_api_latency.py [--seconds 40] [--slow 3] [--delay 5]
        [--datasets 20000] [--database-url postgresql+psycopg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import httpx  # noqa: E402
from tests.conftest import fresh_postgres_database  # noqa: E402
from tests.dcat_catalog import Catalog, CatalogServer  # noqa: E402

from moisson.config import Settings  # noqa: E402
from moisson.services.users import ensure_first_admin  # noqa: E402
from moisson.storage.migrate import upgrade  # noqa: E402
from moisson.storage.models import HarvestSource  # noqa: E402
from moisson.storage.session import make_engine, make_sessionmaker, unit_of_work  # noqa: E402

READS = ("GET job", "GET datasets", "GET sources")
WRITES = ("PUT source",)
TOO_SLOW = 10.0


def _serve_catalogs(catalogs: dict[str, Catalog], conn: Connection) -> None:
    server = CatalogServer(catalogs).start()
    conn.send(server.base)
    conn.recv()  # until the parent says stop
    server.stop()


@contextmanager
def catalog_process(catalogs: dict[str, Catalog]) -> Iterator[str]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_serve_catalogs, args=(catalogs, child))
    process.start()
    try:
        yield parent.recv()
    finally:
        parent.send("stop")
        process.join(10)


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url:
        with fresh_postgres_database(url, f"moisson_bench_latency_{os.getpid()}") as fresh:
            yield fresh
        return
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{directory}/moisson.db"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(url: str, base: str, keys: list[str]) -> tuple[str, dict[str, str], str]:
    """(admin key, source id by catalog key, the idle source's id)."""
    upgrade(url)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    with unit_of_work(sessions) as session:
        admin = ensure_first_admin(session, settings)
        if admin is None:
            raise SystemExit("a fresh database already has a sysadmin")
        ids: dict[str, str] = {}
        for key in [*keys, "idle"]:
            source = HarvestSource(
                name=key,
                slug=key,
                url=f"{base}/{key}/catalog.rdf",
                backend="dcat",
                validation_state="accepted",
                owner_id=admin.user.id,
            )
            session.add(source)
            session.flush()
            ids[key] = source.id
    engine.dispose()
    return admin.api_key, ids, ids.pop("idle")


@contextmanager
def moisson_serve(url: str, port: int, threads: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "MOISSON_DATABASE_URL": url,
        "MOISSON_OUTBOUND_ALLOW_NETWORKS": "127.0.0.1/32",
        "MOISSON_HARVEST__WORKER_THREADS": str(threads),
        "MOISSON_LOG_LEVEL": "WARNING",
        "MOISSON_BROKER_URL": "",
    }
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "moisson", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/1/harvest/sources/", timeout=5)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("moisson serve did not start") from None
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(30)


def request_loop(
    client: httpx.Client, seconds: float, job_id: str, idle: str, headers: dict[str, str]
) -> tuple[dict[str, list[float]], list[str]]:
    times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    calls = {
        "GET job": ("GET", f"/api/1/harvest/job/{job_id}/", None),
        "GET datasets": ("GET", "/api/1/datasets/?page_size=20", None),
        "GET sources": ("GET", "/api/1/harvest/sources/", None),
        "PUT source": ("PUT", f"/api/1/harvest/source/{idle}/", {"description": ""}),
    }
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        for kind, (method, path, body) in calls.items():
            if body is not None:
                body = {"description": f"edit {n}"}
            started = time.monotonic()
            try:
                response = client.request(
                    method, path, json=body, headers=headers, timeout=TOO_SLOW
                )
                if response.status_code >= 300:
                    errors.append(f"{kind}: {response.status_code} {response.text[:80]}")
            except httpx.HTTPError as exc:
                errors.append(f"{kind}: {type(exc).__name__}")
            times[kind].append(time.monotonic() - started)
            n += 1
    return times, errors


def summary(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"{statistics.median(ms):7.1f} {p99:7.1f} {ms[-1]:7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--slow", type=int, default=3)
    parser.add_argument("--delay", type=float, default=5.0)
    parser.add_argument("--datasets", type=int, default=20000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    catalogs = {
        f"slow{i}": Catalog(pages=50, per_page=10, delay=args.delay) for i in range(args.slow)
    }
    catalogs["large"] = Catalog(pages=max(1, args.datasets // 100), per_page=100)
    with (
        catalog_process(catalogs) as base,
        database(args.database_url or None) as url,
    ):
        key, ids, idle = prepare(url, base, list(catalogs))
        headers = {"X-API-KEY": key}
        port = free_port()
        with (
            moisson_serve(url, port, threads=len(catalogs)),
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client,
        ):
            # The reference: the same loop, nothing harvesting (a finished job to read).
            first = client.post(f"/api/1/harvest/source/{idle}/run/", headers=headers).json()
            idle_job = first["last_job"]["id"]
            time.sleep(2)
            reference, reference_errors = request_loop(client, args.idle, idle_job, idle, headers)
            jobs = {
                name: client.post(f"/api/1/harvest/source/{sid}/run/", headers=headers).json()[
                    "last_job"
                ]["id"]
                for name, sid in ids.items()
            }
            time.sleep(1)
            loaded, errors = request_loop(client, args.seconds, jobs["large"], idle, headers)
            large = client.get(f"/api/1/harvest/job/{jobs['large']}/?page_size=1").json()
            slow = [
                client.get(f"/api/1/harvest/job/{jobs[n]}/?page_size=1").json()
                for n in jobs
                if n != "large"
            ]
    database_kind = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{database_kind}: {args.slow} sources with {args.delay:g} s pages + one of "
        f"{args.datasets} datasets, {args.seconds:g} s of requests"
    )
    print(f"{'request':14} {'idle p50/p99/max ms':>26}   {'harvesting p50/p99/max ms':>26}")
    for kind in (*READS, *WRITES):
        print(f"{kind:14} {summary(reference[kind]):>26}   {summary(loaded[kind]):>26}")
    for name, group in (("reads", READS), ("writes", WRITES)):
        every = [t for kind in group for t in loaded[kind]]
        base_times = [t for kind in group for t in reference[kind]]
        print(f"all {name:10} {summary(base_times):>26}   {summary(every):>26}")
    print(
        f"large job: {large['status']}, {large.get('items_total', '?')} items seen so far; "
        f"slow jobs: {[j.get('items_total', '?') for j in slow]} items"
    )
    print(f"errors: {len(reference_errors) + len(errors)} {(reference_errors + errors)[:5]}")


if __name__ == "__main__":
    main()
