"""Scale benchmark: a 100,000-dataset DCAT catalog harvested by two `moisson worker` processes.

The catalog (RDF/XML, Hydra pages of `--per-page` datasets, 2 distributions each) is generated
on request by a loopback server (`tests/dcat_catalog.py`) and split into `--sources` sources:
one source is one job is one worker slot, so several sources let the workers share the load.
A fresh PostgreSQL database receives the harvest; the broker is Redis (or `--broker`).

Printed: datasets per second overall (first job started -> last job ended), the peak memory
(VmHWM) of each worker process and its pool children, and how the time of one job splits
between fetching, parsing (+ splitting into records), mapping and writing (everything else:
hashing, reconcile, flush, commit), measured in this process on one extra source with light
timers around `httpx.Client.send`, `DcatBackend.gather` and `DcatBackend.map`.

    PYTHONPATH=src python bench/bench_scale.py [--datasets 100000] [--sources 10]

Run it on an idle machine: it takes minutes and uses every core.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402
from tests.conftest import fresh_postgres_database  # noqa: E402
from tests.dcat_catalog import Catalog, CatalogServer  # noqa: E402
from tests.integration.tasks.workers import Deployment, MoissonProcess, add_source  # noqa: E402

from moisson.backends.dcat import DcatBackend  # noqa: E402
from moisson.config import Settings  # noqa: E402
from moisson.domain.enums import JobStatus  # noqa: E402
from moisson.harvest.engine import run_job  # noqa: E402
from moisson.services.runs import create_pending_job  # noqa: E402
from moisson.storage.migrate import upgrade  # noqa: E402
from moisson.storage.models import Dataset, HarvestJob, HarvestSource, Resource  # noqa: E402
from moisson.storage.session import make_engine  # noqa: E402

FINAL = {JobStatus.DONE, JobStatus.DONE_ERRORS, JobStatus.FAILED}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--sources", type=int, default=10)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=1, help="pool size of each worker")
    parser.add_argument("--split-datasets", type=int, default=3000, help="0: skip the split")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    pages = max(1, args.datasets // args.sources // args.per_page)
    catalog = Catalog(pages=pages, per_page=args.per_page)
    total = catalog.size * args.sources
    server = CatalogServer({f"s{n}": catalog for n in range(args.sources)}).start()
    server.catalogs["split"] = Catalog(
        pages=max(1, args.split_datasets // args.per_page), per_page=args.per_page
    )
    print(
        f"catalog: {args.sources} sources x {pages} pages x {args.per_page} datasets "
        f"= {total} datasets; {args.workers} workers x concurrency {args.concurrency}"
    )
    with (
        fresh_postgres_database(args.postgres, "moisson_bench_scale") as url,
        tempfile.TemporaryDirectory() as logs,
    ):
        upgrade(url)
        engine = make_engine(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
        sessions = sessionmaker(bind=engine, expire_on_commit=False)
        deployment = Deployment(url, args.broker, Path(logs))
        try:
            source_ids = [
                add_source(sessions, f"s{n}", server.url(f"s{n}")) for n in range(args.sources)
            ]
            workers = [
                deployment.start_worker(f"bench{n}", concurrency=args.concurrency)
                for n in range(args.workers)
            ]
            for worker in workers:
                worker.wait_ready(60)
            job_ids = [deployment.submit(sessions, source_id) for source_id in source_ids]
            wait_for_jobs(sessions, job_ids, total)
            report(sessions, job_ids, total, workers)
            peaks = {w.name: peak_rss_kib(w) for w in workers}
        finally:
            deployment.close()
        for name, (main_kib, children) in peaks.items():
            pool = ", ".join(f"{kib / 1024:.0f}" for kib in children)
            print(f"peak RSS (VmHWM) {name}: main {main_kib / 1024:.0f} MiB, pool [{pool}] MiB")
        if args.split_datasets:
            time_split(sessions, url, server.url("split"))
        engine.dispose()
    server.stop()


def wait_for_jobs(sessions: sessionmaker[Session], job_ids: list[str], total: int) -> None:
    started = time.monotonic()
    last = 0.0
    while True:
        with sessions() as session:
            jobs = session.scalars(select(HarvestJob).where(HarvestJob.id.in_(job_ids))).all()
        done = sum(j.items_done + j.items_failed for j in jobs)
        if all(j.status in FINAL for j in jobs):
            return
        now = time.monotonic()
        if now - last >= 15:
            print(f"  {now - started:6.0f}s  {done}/{total} items", flush=True)
            last = now
        time.sleep(1)


def report(
    sessions: sessionmaker[Session], job_ids: list[str], total: int, workers: list[MoissonProcess]
) -> None:
    with sessions() as session:
        jobs = session.scalars(select(HarvestJob).where(HarvestJob.id.in_(job_ids))).all()
        datasets = session.scalar(select(func.count()).select_from(Dataset)) or 0
        resources = session.scalar(select(func.count()).select_from(Resource)) or 0
    statuses = sorted({str(j.status) for j in jobs})
    first = min(j.started for j in jobs if j.started)
    last = max(j.ended for j in jobs if j.ended)
    elapsed = (last - first).total_seconds()
    per_worker: dict[str, int] = {}
    for j in jobs:
        pid = int(str(j.worker).split(":")[1])
        owner = next((w.name for w in workers if w.owns(pid)), "?")
        per_worker[owner] = per_worker.get(owner, 0) + 1
    print(f"jobs: {statuses}, jobs per worker {per_worker}")
    print(f"datasets: {datasets} (expected {total}), resources: {resources}")
    print(f"elapsed: {elapsed:.1f}s, {datasets / elapsed:.0f} datasets/s overall")
    durations = sorted((j.ended - j.started).total_seconds() for j in jobs if j.ended and j.started)
    print(f"job durations: min {durations[0]:.1f}s, max {durations[-1]:.1f}s")


def peak_rss_kib(worker: MoissonProcess) -> tuple[int, list[int]]:
    """VmHWM of the worker's main process and of each of its pool children, in KiB."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    return vm_hwm(worker.pid), [vm_hwm(int(pid)) for pid in children]


def vm_hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


# --------------------------------------------------------------------------- time split


class Timers:
    def __init__(self) -> None:
        self.spent: dict[str, float] = {"fetch": 0.0, "gather": 0.0, "map": 0.0}

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[name] += time.perf_counter() - start

        return timed

    def wrap_generator(
        self, name: str, function: Callable[..., Iterator[Any]]
    ) -> Callable[..., Iterator[Any]]:
        """Times a generator's own work only (not what its consumer does between items)."""

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            inner = function(*args, **kwargs)
            while True:
                start = time.perf_counter()
                try:
                    item = next(inner)
                except StopIteration:
                    return
                finally:
                    self.spent[name] += time.perf_counter() - start
                yield item

        return timed


def time_split(sessions: sessionmaker[Session], url: str, catalog_url: str) -> None:
    """One job run in this process with timers around fetch, gather and map."""
    timers = Timers()
    originals = (httpx.Client.send, DcatBackend.gather, DcatBackend.map)
    httpx.Client.send = timers.wrap("fetch", httpx.Client.send)  # type: ignore[method-assign]
    DcatBackend.gather = timers.wrap_generator("gather", DcatBackend.gather)  # type: ignore[method-assign]
    DcatBackend.map = timers.wrap("map", DcatBackend.map)  # type: ignore[method-assign]
    settings = Settings(_env_file=None, database_url=url, outbound_allow_networks="127.0.0.0/8")  # type: ignore[call-arg]
    try:
        source_id = add_source(sessions, "split", catalog_url)
        with sessions() as session:
            job = create_pending_job(session, session.get_one(HarvestSource, source_id))
            session.commit()
        start = time.perf_counter()
        run_job(sessions, settings, job.id)
        elapsed = time.perf_counter() - start
    finally:
        httpx.Client.send, DcatBackend.gather, DcatBackend.map = originals  # type: ignore[method-assign]
    with sessions() as session:
        done = session.get(HarvestJob, job.id)
        items = done.items_done if done else 0
    spent = timers.spent
    parts = {
        "fetch": spent["fetch"],
        "parse + split": spent["gather"] - spent["fetch"],
        "map": spent["map"],
        "write (reconcile, hash, flush, commit)": elapsed - spent["gather"] - spent["map"],
    }
    print(
        f"time split of one job, one process: {items} datasets in {elapsed:.1f}s "
        f"({items / elapsed:.0f}/s)"
    )
    for name, seconds in parts.items():
        print(f"  {name:40s} {seconds:7.2f}s  {100 * seconds / elapsed:5.1f}%")


if __name__ == "__main__":
    main()
