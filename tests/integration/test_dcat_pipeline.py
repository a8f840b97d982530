"""The whole DCAT pipeline, untimed: the benchmark's synthetic catalog served over real
sockets, the real outbound client, the dcat backend, the RDF mapping and `run_job`.

The catalog (`bench/catalog.py`) is the one `bench/bench_pipeline.py` times; here it is small
(60 datasets over 3 Hydra pages) and the assertions are about results, never speed.
"""

from __future__ import annotations

import ipaddress

from bench.catalog import DISTRIBUTIONS_PER_DATASET, serve_catalog
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker
from tests.integration.harvest.conftest import Run, load_run, make_org, make_source

from moisson.config import Settings
from moisson.harvest.engine import run_job
from moisson.services.runs import create_pending_job
from moisson.storage.models import Dataset, HarvestSource

DATASETS = 60
PAGE_SIZE = 20


def harvest(
    db: Session, factory: sessionmaker[Session], settings: Settings, source: HarvestSource
) -> Run:
    job = create_pending_job(db, source)
    db.commit()
    run_job(factory, settings, job.id)  # real client, real backend registry
    db.expire_all()
    return load_run(db, job.id)


def harvested_datasets(db: Session, source: HarvestSource) -> list[Dataset]:
    return list(
        db.scalars(
            select(Dataset)
            .where(Dataset.harvest_source_id == source.id)
            .options(selectinload(Dataset.resources))
            .order_by(Dataset.harvest_remote_id)
        )
    )


def test_a_paged_catalog_is_harvested_then_an_unchanged_rerun_rewrites_nothing(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    opened = settings.model_copy(
        update={"outbound_allow_networks": [ipaddress.IPv4Network("127.0.0.0/8")]}
    )
    with serve_catalog(DATASETS, PAGE_SIZE) as server:
        source = make_source(db, url=server.url, backend="dcat", organization=make_org(db))
        first = harvest(db, session_factory, opened, source)
        assert server.requests == 3  # three Hydra pages, each fetched once
        datasets = harvested_datasets(db, source)
        versions = {ds.id: ds.version for ds in datasets}

        second = harvest(db, session_factory, opened, source)
        assert server.requests == 6

    assert first.job.status == "done", [e.message for e in first.errors]
    assert first.job.items_total == first.job.items_done == DATASETS
    assert first.job.items_datasets == DATASETS
    assert first.job.items_unchanged == 0
    assert [item.seq for item in first.items] == list(range(DATASETS))
    assert {item.page for item in first.items} == {server.catalog.page_url(n) for n in (1, 2, 3)}
    expected_ids = sorted(server.catalog.identifier(i) for i in range(DATASETS))
    assert [ds.harvest_remote_id for ds in datasets] == expected_ids
    assert all(len(ds.resources) == DISTRIBUTIONS_PER_DATASET for ds in datasets)
    sample = datasets[0]
    assert sample.title
    assert sample.tags
    assert sample.spatial
    assert sample.temporal_start
    assert sample.license is not None
    assert "**" in sample.description  # the HTML description became Markdown
    assert all(r.checksum_type == "sha256" and r.filesize for r in sample.resources)
    assert sample.contact_point_ids

    assert second.job.status == "done", [e.message for e in second.errors]
    assert second.job.items_total == second.job.items_done == DATASETS
    assert second.job.items_unchanged == DATASETS
    assert all(item.unchanged for item in second.items)
    assert [item.dataset_id for item in second.items] == [item.dataset_id for item in first.items]
    assert {ds.id: ds.version for ds in harvested_datasets(db, source)} == versions
