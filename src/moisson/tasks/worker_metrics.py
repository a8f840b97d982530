"""Prometheus metrics of a `moisson worker`, served by the worker itself.

The jobs of a Celery worker run in its pool processes (prefork), so the counters they bump
(`moisson_remote_requests_total`) live there. Prometheus' multiprocess mode keeps each
process's values in files of one directory; the worker's main process serves their sum on
`--metrics-port`. Prometheus picks the mode when it is first imported (from
`PROMETHEUS_MULTIPROC_DIR`); the CLI may have imported it already, so `serve_worker_metrics`
also switches the value class itself. That is enough because every Moisson metric is
labelled: its values are created at first use (in a job), long after the switch.

The directory is new at each start (counters restart from zero, as Prometheus expects of a
restarted process), unless `PROMETHEUS_MULTIPROC_DIR` is set: then the operator must empty it
before each start.
"""

from __future__ import annotations

import os
import tempfile

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def serve_worker_metrics(port: int, host: str = "127.0.0.1") -> str:
    """Switch this process (and the pool it forks) to multiprocess metrics and serve them on
    `host:port`. Returns the metrics directory."""
    directory = os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="moisson-metrics-")
    os.environ[MULTIPROC_ENV] = directory

    from prometheus_client import CollectorRegistry, start_http_server, values
    from prometheus_client.multiprocess import MultiProcessCollector

    if not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]

    import moisson.http.metrics  # noqa: F401 (the counter is shown at zero before any job)

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    start_http_server(port, addr=host, registry=registry)
    return directory
