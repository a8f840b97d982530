"""The published DCAT catalog: N datasets served page by page through the API, per syntax.

    PYTHONPATH=src .venv/bin/python -m bench.bench_catalog --datasets 100000
    # options: --page-size 1000, --syntaxes nt,ttl,... (default: all six),
    #          --database-url postgresql+psycopg://postgres@127.0.0.1/test (default: a
    #          throw-away SQLite file)

The catalog is seeded with Core bulk inserts (no harvest): every dataset has a title, a
description, 4 tags, a licence, a frequency, a temporal period, a polygon, two contact
points out of a shared pool, DCAT rights extras and harvest metadata; each of its two
resources a format, a media type, a size and a SHA-256 checksum. Then every page of
`/api/1/site/catalog.{ext}` is fetched through the ASGI app (Starlette's test client, so no
socket noise) and its bytes counted. The pages are walked as an aggregator walks them: by
each page's next link (its `Link: rel="next"` header, the `hydra:next` IRI).

Printed per syntax: datasets/s served (wall clock), MB/s, and the **reference** measured in
the same run: pyoxigraph serializing the same page's triples, already built, in memory
(what serialization alone costs). The ratio served/reference is the figure to compare
between machines. RSS is sampled after every page: first, last and peak of the samples.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pyoxigraph
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.orm import Session

from moisson.api import create_app
from moisson.config import Settings
from moisson.publishing import syntaxes
from moisson.publishing.catalog import PageLinks, page_triples
from moisson.services import catalog as catalog_service
from moisson.storage.base import Base, new_id
from moisson.storage.models import ContactPoint, Dataset, Resource
from moisson.storage.session import make_engine, make_sessionmaker

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
START = datetime(2024, 1, 1, tzinfo=UTC)
BATCH = 5000
FORMATS = (("csv", "text/csv"), ("json", "application/json"))


def current_rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_BYTES


def seed(session: Session, count: int) -> None:
    rng = random.Random(18)
    contacts = [
        {
            "id": new_id(),
            "name": f"Service {n}",
            "email": f"contact{n}@example.org",
            "role": "contact" if n % 2 else "publisher",
        }
        for n in range(50)
    ]
    session.execute(insert(ContactPoint), contacts)
    licenses = ["lov2", "odc-odbl", "cc-by", "fr-lo"]
    frequencies = ["daily", "weekly", "monthly", "annual", "unknown"]
    for first in range(0, count, BATCH):
        datasets, resources = [], []
        for n in range(first, min(count, first + BATCH)):
            dataset_id = new_id()
            west, south = rng.uniform(-5, 8), rng.uniform(42, 50)
            east, north = west + 1, south + 1
            ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
            stamp = START + timedelta(seconds=n)
            datasets.append(
                {
                    "id": dataset_id,
                    "slug": f"jeu-{n}",
                    "title": f"Jeu de données numéro {n}",
                    "description": f"Description du jeu {n}. " * 8,
                    "license": licenses[n % 4],
                    "frequency": frequencies[n % 5],
                    "tags": [f"theme-{n % 40}", f"mot-{n % 300}", "environnement", "open-data"],
                    "temporal_start": date(2010 + n % 10, 1, 1),
                    "temporal_end": date(2020 + n % 5, 12, 31),
                    "spatial": {"geom": {"type": "MultiPolygon", "coordinates": [[ring]]}},
                    "extras": {"dcat": {"rights": ["Licence Ouverte"], "provenance": ["Relevés"]}},
                    "contact_point_ids": [contacts[n % 50]["id"], contacts[(n + 7) % 50]["id"]],
                    "created_at": stamp,
                    "last_modified": stamp,
                    "harvest_uri": f"https://data.example.org/dataset/{n}",
                    "harvest_dct_identifier": f"remote-{n}",
                    "harvest_remote_url": f"https://data.example.org/datasets/{n}",
                    "harvest_issued_at": stamp,
                    "harvest_modified_at": stamp,
                    "harvest_extra": {},
                }
            )
            for position, (fmt, mime) in enumerate(FORMATS):
                resources.append(
                    {
                        "id": new_id(),
                        "dataset_id": dataset_id,
                        "position": position,
                        "url": f"https://data.example.org/files/{n}/data.{fmt}",
                        "title": f"data.{fmt}",
                        "description": "Export complet",
                        "format": fmt,
                        "mime": mime,
                        "filesize": 1000 + n,
                        "checksum_type": "sha256",
                        "checksum_value": f"{n:064x}",
                        "harvest": {"uri": f"https://data.example.org/distribution/{n}-{position}"},
                        "extras": {},
                        "created_at": stamp,
                        "last_modified": stamp,
                    }
                )
        session.execute(insert(Dataset), datasets)
        session.execute(insert(Resource), resources)
        session.commit()


@contextlib.contextmanager
def database(url: str | None) -> Iterator[str]:
    if url:
        from tests.conftest import fresh_postgres_database

        with fresh_postgres_database(url, f"moisson_bench_catalog_{os.getpid()}") as fresh:
            yield fresh
        return
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{directory}/catalog.db"


def reference_rate(
    settings: Settings, factory: object, page_size: int, syntax: syntaxes.Syntax
) -> float:
    """Datasets/s of pyoxigraph serializing page 1's triples, built beforehand."""
    with factory() as session:  # type: ignore[operator]
        links = PageLinks(
            base="http://bench.test/api/1/site/catalog",
            params=(),
            page=1,
            page_size=page_size,
            total=0,
        )
        page = catalog_service.catalog_page(
            session, settings, catalog_service.site_info(settings),
            catalog_service.filters_of(session, catalog_service.CatalogQuery()), links, "",
        )  # fmt: skip
    triples = list(page_triples(page.info, page.datasets, page.dataservices, page.links))
    rounds, started = 0, time.perf_counter()
    while rounds < 3 or time.perf_counter() - started < 2:
        pyoxigraph.serialize(triples, None, syntax.format, prefixes=syntaxes.PREFIXES)
        rounds += 1
    return rounds * len(page.datasets) / (time.perf_counter() - started)


def next_url(link: str | None, page: int, page_size: int, ext: str) -> str:
    """Where an aggregator goes next: the `Link: rel="next"` of the page (the same IRI as
    its `hydra:next`), else, from a Moisson that sends none, the next page number."""
    if link:
        return link.partition("<")[2].partition(">")[0].removeprefix("http://bench.test")
    return f"/api/1/site/catalog.{ext}?page={page}&page_size={page_size}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--syntaxes", default="nt,ttl,rdf,jsonld,n3,trig")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    with database(args.database_url) as url:
        settings = Settings(_env_file=None, database_url=url, public_url="http://bench.test")  # type: ignore[call-arg]
        engine = make_engine(settings)
        Base.metadata.create_all(engine)
        factory = make_sessionmaker(engine)
        started = time.perf_counter()
        with factory() as session:
            seed(session, args.datasets)
        print(f"seeded {args.datasets} datasets in {time.perf_counter() - started:.0f} s")
        app = create_app(settings, session_factory=factory)
        pages = -(-args.datasets // args.page_size)
        print(
            f"{'syntax':8} {'datasets/s':>10} {'MB/s':>6} {'reference':>10} {'ratio':>6} "
            f"{'RSS first/last/peak MB':>24}"
        )
        with TestClient(app, base_url="http://bench.test") as client:
            for ext in args.syntaxes.split(","):
                syntax = syntaxes.EXTENSIONS[ext]
                samples: list[int] = []
                size = 0
                started = time.perf_counter()
                url = f"/api/1/site/catalog.{ext}?page=1&page_size={args.page_size}"
                for page in range(1, pages + 1):
                    response = client.get(url)
                    if response.status_code != 200:
                        raise SystemExit(
                            f"page {page}: {response.status_code} {response.text[:300]}"
                        )
                    size += len(response.content)
                    url = next_url(response.headers.get("link"), page + 1, args.page_size, ext)
                    del response
                    samples.append(current_rss())
                elapsed = time.perf_counter() - started
                rate = args.datasets / elapsed
                reference = reference_rate(settings, factory, args.page_size, syntax)
                mib = [s / 2**20 for s in (samples[0], samples[-1], max(samples))]
                print(
                    f"{ext:8} {rate:10.0f} {size / elapsed / 1e6:6.1f} {reference:10.0f} "
                    f"{rate / reference:6.2f} {mib[0]:8.0f}/{mib[1]:.0f}/{mib[2]:.0f}"
                )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of the process (high-water mark, seeding included): {peak:.0f} MB")
        engine.dispose()


if __name__ == "__main__":
    main()
