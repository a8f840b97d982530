"""`GET /metrics`: Prometheus text exposition (not part of udata's API, so not in OpenAPI).

The harvest figures are read from the database at scrape time (`services.metrics`), so they
are right whichever process ran the jobs. The process's own collectors follow (Python
runtime, and requests to remotes sent by this process: previews and the in-process worker;
Celery workers expose theirs with `moisson worker --metrics-port`). Public, like every read
of this API: it shows counts only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import Metric

from moisson.api.deps import read_factory
from moisson.services.metrics import HarvestStateCollector

router = APIRouter()


class _Collector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


class _Chain:
    def __init__(self, *collectors: _Collector) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    database = HarvestStateCollector(read_factory(request))
    body = generate_latest(_Chain(database, REGISTRY))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
