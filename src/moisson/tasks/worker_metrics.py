"""Prometheus metrics of a `moisson worker`, served by the worker itself.

The jobs of a Celery worker run in its pool processes (prefork), so the counters they bump
(`moisson_remote_requests_total`) live there. Prometheus' multiprocess mode keeps each
process's values in files of one directory; the worker's main process serves their sum on
`--metrics-port`. The mode must be chosen before `prometheus_client` is first imported, which
is why `serve_worker_metrics` is called first thing by the command.

The directory is new at each start (counters restart from zero, as Prometheus expects of a
restarted process), unless `PROMETHEUS_MULTIPROC_DIR` is set: then the operator must empty it
before each start.
"""

from __future__ import annotations

import os
import sys
import tempfile

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def serve_worker_metrics(port: int, host: str = "127.0.0.1") -> str:
    """Switch this process (and the pool it forks) to multiprocess metrics and serve them on
    `host:port`. Returns the metrics directory."""
    if "prometheus_client" in sys.modules and not os.environ.get(MULTIPROC_ENV):
        raise RuntimeError("prometheus_client was imported before worker metrics were set up")
    directory = os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="moisson-metrics-")
    os.environ[MULTIPROC_ENV] = directory

    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    import moisson.http.metrics  # noqa: F401 (the counter is shown at zero before any job)

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    start_http_server(port, addr=host, registry=registry)
    return directory
