"""Whole-pipeline DCAT benchmark: loopback HTTP server -> real client -> dcat backend ->
RDF mapping -> engine -> database.

A synthetic catalog (`bench/catalog.py`: N datasets x 3 distributions, RDF/XML Hydra pages)
is served from another process on 127.0.0.1 over real sockets. A fresh database is migrated
(`moisson.storage.migrate.upgrade`), a source and a pending job are created, and `run_job`
harvests it with the real outbound client and the real backend. Then the same catalog is
harvested again (an unchanged re-run). Then, as the reference of the same run, the same pages
are parsed by pyoxigraph alone (the floor of any DCAT harvest: no splitting, mapping or writes).
Printed: datasets/s of the first run and records/s of the re-run, each beside the parse-only
rate as a ratio (per CPU second: steadier than wall time on a shared machine), peak memory,
and where the time went.

    PYTHONPATH=src python -m bench.bench_pipeline [--datasets 10000] [--page-size 500]
        [--database-url postgresql+psycopg://postgres@127.0.0.1/test] [--profile]
        [--tracemalloc]

The time split comes from timers the benchmark wraps around the backend's and the engine's
functions while it runs (nothing in the code under test knows about them):
fetch = HTTP GETs; parse = RDF parsing of the pages; split = cutting a page into record
payloads (subgraph walk, canonical N-Triples, content hash); map = `DcatBackend.map` (payload
-> draft); write = everything else (matching, applying drafts, item rows, flushes, commits).
With `--database-url` on PostgreSQL a throw-away database is created on that server and
dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import multiprocessing
import os
import pstats
import resource
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bench.catalog import Catalog, CatalogServer
from moisson.backends import dcat as dcat_module
from moisson.config import Settings
from moisson.harvest.engine import run_job
from moisson.services.runs import create_pending_job
from moisson.storage.migrate import upgrade
from moisson.storage.models import Dataset, HarvestItem, HarvestJob, HarvestSource, Organization
from moisson.storage.session import make_engine, make_sessionmaker

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------- the server process


def _serve(datasets: int, page_size: int, conn: Connection) -> None:
    server = CatalogServer(datasets, page_size, pregenerate=True).start()
    conn.send(server.url)
    conn.recv()  # blocks until the benchmark is done
    conn.send(server.requests)
    server.stop()


@contextlib.contextmanager
def catalog_process(datasets: int, page_size: int) -> Iterator[str]:
    """Serve the catalog from a child process, so that its pages (tens of MB, pregenerated)
    and its CPU do not count as the harvester's."""
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(
        target=_serve, args=(datasets, page_size, theirs), daemon=True
    )
    process.start()
    url = ours.recv()
    try:
        yield url
    finally:
        ours.send("stop")
        ours.recv()
        process.join(timeout=10)


# --------------------------------------------------------------------------- timers


@dataclass
class Timers:
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rss_by_page: list[int] = field(default_factory=list)

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        seconds, calls = self.seconds, self.calls

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[name] += time.perf_counter() - start
                calls[name] += 1

        return timed


def current_rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


@contextlib.contextmanager
def instrumented(timers: Timers) -> Iterator[None]:
    """Wrap the functions whose time we split out; restore them afterwards."""
    patches: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)
        patches.append((owner, name, original))
        setattr(owner, name, timers.wrap(label, original))

    import httpx

    original_get = httpx.Client.get

    def get(self: httpx.Client, *args: Any, **kwargs: Any) -> httpx.Response:
        timers.rss_by_page.append(current_rss())
        return original_get(self, *args, **kwargs)

    patches.append((httpx.Client, "get", original_get))
    httpx.Client.get = get  # type: ignore[method-assign]
    patch(httpx.Client, "get", "fetch")
    patch(dcat_module, "_parse_page", "parse")
    for name in ("record_triples", "serialize_record", "content_hash"):
        patch(dcat_module, name, "split")
    patch(dcat_module.DcatBackend, "map", "map")
    patch(Session, "commit", "commit")
    try:
        yield
    finally:
        for owner, name, original in reversed(patches):
            setattr(owner, name, original)


# --------------------------------------------------------------------------- database


@contextlib.contextmanager
def fresh_database(url: str | None) -> Iterator[str]:
    """A migrated, empty database: a SQLite file in a temporary directory by default, or a
    throw-away database on the PostgreSQL server of `url`."""
    if url is None or url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="moisson-bench-") as directory:
            db_url = url or f"sqlite:///{Path(directory) / 'bench.db'}"
            upgrade(db_url)
            yield db_url
        return
    server = make_url(url)
    name = f"moisson_bench_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        db_url = server.set(database=name).render_as_string(hide_password=False)
        upgrade(db_url)
        yield db_url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def create_source(factory: sessionmaker[Session], url: str) -> str:
    with factory() as session:
        org = Organization(name="Bench", slug="bench")
        session.add(org)
        session.flush()
        source = HarvestSource(
            name="Bench catalog",
            slug="bench-catalog",
            url=url,
            backend="dcat",
            organization_id=org.id,
            validation_state="accepted",
        )
        session.add(source)
        session.commit()
        return source.id


def new_job(factory: sessionmaker[Session], source_id: str) -> str:
    with factory() as session:
        source = session.get(HarvestSource, source_id)
        if source is None:
            raise SystemExit("the benchmark source vanished")
        job = create_pending_job(session, source)
        session.commit()
        return job.id


# --------------------------------------------------------------------------- one run


@dataclass
class RunFigures:
    seconds: float
    cpu_seconds: float
    """CPU time of this process (the server runs in another): steadier than wall time on
    a machine busy with other work."""
    job: HarvestJob
    timers: Timers
    resources: int


def harvest(
    factory: sessionmaker[Session], settings: Settings, source_id: str, profile: bool
) -> tuple[RunFigures, cProfile.Profile | None]:
    job_id = new_job(factory, source_id)
    timers = Timers()
    profiler = cProfile.Profile() if profile else None
    with instrumented(timers):
        start, cpu_start = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        run_job(factory, settings, job_id)
        if profiler is not None:
            profiler.disable()
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
    with factory() as session:
        job = session.get(HarvestJob, job_id)
        if job is None:
            raise SystemExit("the benchmark job vanished")
        resources = session.scalar(
            select(func.count())
            .select_from(HarvestItem)
            .join(Dataset, Dataset.id == HarvestItem.dataset_id)
            .where(HarvestItem.job_id == job_id)
        )
    return RunFigures(seconds, cpu_seconds, job, timers, int(resources or 0)), profiler


def split_line(figures: RunFigures) -> str:
    t = figures.timers.seconds
    measured = {key: t.get(key, 0.0) for key in ("fetch", "parse", "split", "map", "commit")}
    measured["write"] = figures.seconds - sum(measured.values())
    return "  ".join(
        f"{key} {value:6.2f}s ({100 * value / figures.seconds:4.1f}%)"
        for key, value in measured.items()
    )


def print_profile(profiler: cProfile.Profile, title: str, limit: int = 25) -> None:
    stats = pstats.Stats(profiler)
    print(f"\n--- profile of the {title}: own time by package ---")
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package_of(filename)] += own
    total = sum(by_package.values())
    for package, own in sorted(by_package.items(), key=lambda kv: -kv[1])[:limit]:
        print(f"  {own:7.2f}s {100 * own / total:5.1f}%  {package}")
    print(f"\n--- profile of the {title}: top functions by own time ---")
    stats.sort_stats("tottime").print_stats(limit)


def _package_of(filename: str) -> str:
    parts = Path(filename).parts
    for anchor in ("moisson", "sqlalchemy", "httpx", "httpcore", "pydantic", "pyoxigraph"):
        if anchor in parts:
            index = parts.index(anchor)
            tail = parts[index : index + 3] if anchor == "moisson" else parts[index : index + 2]
            return "/".join(tail).removesuffix(".py")
    if filename.startswith("<"):
        return filename
    return Path(filename).name.removesuffix(".py")


# --------------------------------------------------------------------------- the reference


@dataclass
class ParseFigures:
    seconds: float
    cpu_seconds: float
    triples: int


def parse_only(datasets: int, page_size: int, url: str) -> ParseFigures:
    """pyoxigraph parsing the very pages the harvests fetched (regenerated byte for byte from
    the same base URL), each page materialized as a list of triples; generating a page is not
    timed."""
    parts = urlsplit(url)
    catalog = Catalog(datasets, page_size, base=f"{parts.scheme}://{parts.netloc}")
    seconds = cpu_seconds = 0.0
    triples = 0
    for page in range(1, catalog.pages + 1):
        body = catalog.page(page)
        start, cpu_start = time.perf_counter(), time.process_time()
        parsed = list(pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.RDF_XML))
        cpu_seconds += time.process_time() - cpu_start
        seconds += time.perf_counter() - start
        triples += len(parsed)
    return ParseFigures(seconds, cpu_seconds, triples)


def rate_line(label: str, count: int, unit: str, run: RunFigures, parse: ParseFigures) -> str:
    per_cpu = count / run.cpu_seconds
    parse_per_cpu = count / parse.cpu_seconds
    return (
        f"{label:<11} {count / run.seconds:8.0f} {unit}/s wall, {per_cpu:.0f}/s of CPU time = "
        f"{per_cpu / parse_per_cpu:.3f} of parse-only ({parse_per_cpu:.0f}/s of CPU time)"
    )


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--profile", action="store_true", help="cProfile both runs")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations (slower)"
    )
    args = parser.parse_args()

    with (
        catalog_process(args.datasets, args.page_size) as url,
        fresh_database(args.database_url) as db_url,
    ):
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=db_url,
            outbound_allow_networks="127.0.0.0/8",  # type: ignore[arg-type]
        )
        engine = make_engine(settings)
        factory = make_sessionmaker(engine)
        source_id = create_source(factory, url)
        pages = -(-args.datasets // args.page_size)
        print(
            f"catalog: {args.datasets} datasets x 3 distributions, {pages} RDF/XML pages of "
            f"{args.page_size}, served on {url}"
        )
        print(f"database: {engine.dialect.name} ({make_url(db_url).render_as_string()})")
        if args.tracemalloc:
            tracemalloc.start()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        first, first_profile = harvest(factory, settings, source_id, args.profile)
        second, second_profile = harvest(factory, settings, source_id, args.profile)
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        reference = parse_only(args.datasets, args.page_size, url)
        traced_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        engine.dispose()

    for figures, label in ((first, "first run"), (second, "re-run")):
        job = figures.job
        if job.status != "done" or job.items_total != args.datasets:
            raise SystemExit(
                f"{label}: job {job.status} with {job.items_total} items "
                f"({job.items_failed} failed): the benchmark is void"
            )
    if second.job.items_unchanged != args.datasets:
        raise SystemExit(f"re-run: only {second.job.items_unchanged} unchanged items")

    print(
        f"\nfirst run:  {args.datasets / first.seconds:8.0f} datasets/s   "
        f"({first.seconds:.1f}s, {first.job.items_done} done; "
        f"{args.datasets / first.cpu_seconds:.0f}/s of CPU time)"
    )
    print(f"            {split_line(first)}")
    print(
        f"re-run:     {args.datasets / second.seconds:8.0f} records/s    "
        f"({second.seconds:.1f}s, {second.job.items_unchanged} unchanged; "
        f"{args.datasets / second.cpu_seconds:.0f}/s of CPU time)"
    )
    print(f"            {split_line(second)}")
    print(
        f"parse-only: {args.datasets / reference.seconds:8.0f} datasets/s   "
        f"({reference.seconds:.1f}s, {reference.triples} triples; "
        f"{args.datasets / reference.cpu_seconds:.0f}/s of CPU time)"
    )
    print(rate_line("first run", args.datasets, "datasets", first, reference))
    print(rate_line("re-run", args.datasets, "records", second, reference))
    print(
        f"peak RSS:   {peak_rss / 1024:8.0f} MB (high-water mark; "
        f"{rss_before / 1024:.0f} MB before the first run)"
    )
    rss = first.timers.rss_by_page
    if rss:
        print(
            f"RSS at page fetches (first run): first {rss[0] / 2**20:.0f} MB, "
            f"last {rss[-1] / 2**20:.0f} MB, max {max(rss) / 2**20:.0f} MB over {len(rss)} pages"
        )
    if traced_peak is not None:
        print(f"tracemalloc peak: {traced_peak / 2**20:8.0f} MB of Python allocations")
    if first_profile is not None:
        print_profile(first_profile, "first run")
    if second_profile is not None:
        print_profile(second_profile, "re-run")


if __name__ == "__main__":
    main()
