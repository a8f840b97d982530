"""CSW benchmark: a csw-iso-19139 harvest of N ISO 19139 records served by a real pycsw 2.6.2.

The records (`tests/csw_server/records.py`, each distinct: title, abstract, keywords,
citation identifier, a download link) are loaded into a pycsw of its own virtualenv
(`make pycsw-venv`) on loopback, with its `maxrecords` cap above the page size Moisson asks
for (25, udata's). One `run_job` harvests them into a fresh SQLite database (or the
PostgreSQL server of `--database-url`) with the engine's own guarded client, then a second
run finds them unchanged.

Printed: records/s of each run (wall clock and per CPU second of this process), the requests
made (GetCapabilities + GetRecords pages) and the time spent waiting on them, peak RSS
(VmHWM), and the same-run reference: the mapping-only rate of the same records (parse +
`dataset_from_iso`, no HTTP, no database), so that figures compare across machines as ratios.

    PYTHONPATH=src .venv/bin/python -m bench.bench_csw [--records 4000]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import httpx  # noqa: E402
from tests.csw_server.harness import PycswServer  # noqa: E402
from tests.csw_server.records import iso_record  # noqa: E402

from bench.bench_pipeline import fresh_database, new_job  # noqa: E402
from moisson.config import Settings  # noqa: E402
from moisson.harvest.engine import run_job  # noqa: E402
from moisson.mapping.iso19139 import dataset_from_iso  # noqa: E402
from moisson.mapping.licenses import LicenseTable  # noqa: E402
from moisson.mapping.xml import parse_xml  # noqa: E402
from moisson.storage.models import HarvestJob, HarvestSource, Organization  # noqa: E402
from moisson.storage.session import make_engine, make_sessionmaker  # noqa: E402

WORDS = ("eau", "sol", "air", "route", "forêt", "urbanisme", "risque", "littoral", "agriculture")


def records(count: int) -> list[tuple[str, bytes]]:
    out = []
    for n in range(count):
        keywords = (*(WORDS[(n + k) % len(WORDS)] for k in range(3)), f"lot-{n % 50}")
        xml = iso_record(
            f"bench-{n:06d}",
            title=f"Jeu de données {n} : {WORDS[n % len(WORDS)]} de la commune {n % 700}",
            code=f"fr-bench-{n:06d}",
            code_space="https://id.bench.test",
            abstract=f"Description du jeu {n}. " + " ".join(WORDS) * (1 + n % 4),
            keywords=keywords,
        )
        out.append((f"bench-{n:06d}.xml", xml))
    return out


class Requests:
    """Counts and times the HTTP requests of the harvest (wraps `httpx.Client.send`)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.original = httpx.Client.send

    def __enter__(self) -> Requests:
        original = self.original

        @functools.wraps(original)
        def send(client: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
            start = time.perf_counter()
            try:
                return original(client, request, **kwargs)
            finally:
                self.count += 1
                self.seconds += time.perf_counter() - start

        httpx.Client.send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        httpx.Client.send = self.original  # type: ignore[method-assign]


def vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def mapping_only(xmls: list[bytes], licenses: LicenseTable) -> tuple[float, float]:
    """Records per second (wall, CPU) of parse + map alone, on the same records."""
    now = datetime.now(UTC).replace(tzinfo=None)

    def work() -> None:
        for xml in xmls:
            dataset_from_iso(parse_xml(xml), licenses=licenses, now=now)

    wall, cpu = timed(work)
    return len(xmls) / wall, len(xmls) / cpu


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (the pycsw server)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(work: Callable[[], None]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=4000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    written = records(args.records)
    licenses = LicenseTable.load()
    with (
        tempfile.TemporaryDirectory(prefix="moisson-bench-csw-") as workdir,
        fresh_database(args.database_url) as db_url,
    ):
        loading = time.perf_counter()
        pycsw_server = PycswServer(
            written, workdir=Path(workdir), max_records=100, start_timeout=3600
        )
        with pycsw_server as pycsw:
            print(
                f"pycsw 2.6.2: {args.records} ISO 19139 records loaded in "
                f"{time.perf_counter() - loading:.0f}s, maxrecords 100, served on {pycsw.url}"
            )
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                database_url=db_url,
                outbound_allow_networks="127.0.0.0/8",  # type: ignore[arg-type]
            )
            engine = make_engine(settings)
            factory = make_sessionmaker(engine)
            with factory() as session:
                org = Organization(name="Bench", slug="bench")
                session.add(org)
                session.flush()
                source = HarvestSource(
                    name="Bench CSW",
                    slug="bench-csw",
                    url=pycsw.url,
                    backend="csw-iso-19139",
                    organization_id=org.id,
                    validation_state="accepted",
                )
                session.add(source)
                session.commit()
                source_id = source.id
            print(f"database: {engine.dialect.name}")
            reference, reference_cpu = mapping_only([xml for _, xml in written], licenses)
            if pycsw.process is None:
                raise SystemExit("pycsw is not running")
            for label in ("first run", "unchanged re-run"):
                job_id = new_job(factory, source_id)
                server_cpu = cpu_seconds(pycsw.process.pid)
                with Requests() as requests:
                    wall, cpu = timed(lambda: run_job(factory, settings, job_id))  # noqa: B023
                server_cpu = cpu_seconds(pycsw.process.pid) - server_cpu
                with factory() as session:
                    job = session.get(HarvestJob, job_id)
                    if job is None:
                        raise SystemExit(f"{label}: the job vanished")
                    status, items, failed = job.status, job.items_total, job.items_failed
                if status != "done" or items != args.records:
                    raise SystemExit(f"{label}: job {status}, {items} items ({failed} failed)")
                rate, rate_cpu = args.records / wall, args.records / cpu
                print(
                    f"{label}: {rate:.0f} records/s wall, {rate_cpu:.0f} per CPU second of "
                    f"Moisson ({rate_cpu / reference_cpu:.2f} x the mapping-only CPU rate); "
                    f"{requests.count} requests, {requests.seconds:.1f}s of {wall:.1f}s waiting "
                    f"on pycsw, which spent {server_cpu:.1f} CPU s answering"
                )
            engine.dispose()
    print(
        f"reference, mapping only (parse + dataset_from_iso): {reference:.0f} records/s wall, "
        f"{reference_cpu:.0f} per CPU second"
    )
    print(f"peak RSS (VmHWM): {vm_hwm_mib():.0f} MiB")


if __name__ == "__main__":
    main()
