"""Prometheus metrics read from the database at scrape time.

Jobs run in other processes (`moisson worker`, or several of them): counters kept in their
memory would be invisible to the API process and lost at every restart. The state of the
harvest lives in the database, so `GET /metrics` reads it there, on each scrape:

    moisson_harvest_jobs{status}                 gauge: jobs kept in the database, by status
    moisson_harvest_items{status}                gauge: items of those jobs, by status (summed
                                                 from the job counters, never from item rows)
    moisson_harvest_items_unchanged              gauge: items found unchanged (not rewritten)
    moisson_harvest_job_duration_seconds         histogram of finished jobs (started -> ended)
    moisson_harvest_sources{state}               gauge: sources not deleted, active or inactive
    moisson_harvest_quality_items{state}         gauge: items assessed / nonconforming (with a
                                                 DCAT-AP violation), from the job counters
    moisson_harvest_quality_results{severity}    gauge: SHACL results of those items
    moisson_quality_objects{band}                gauge: harvested datasets by MQA rating band
                                                 (their latest assessment; `none`: dataservices)

Every figure covers the jobs the retention keeps (`jobs_retention_days`): the histogram's
counts go down when old jobs are purged, which Prometheus reads as a counter reset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString
from sqlalchemy.orm import Session

import moisson.http.metrics  # noqa: F401 (registers the remote requests counter in this process)
from moisson.domain.enums import ItemStatus, JobStatus
from moisson.storage.repositories import jobs as jobs_repo
from moisson.storage.repositories import quality as quality_repo
from moisson.storage.repositories import sources as sources_repo

DURATION_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0)


class HarvestStateCollector:
    """A Prometheus collector whose `collect()` runs a few aggregate queries."""

    def __init__(self, session: Callable[[], Session]) -> None:
        self.session = session

    def collect(self) -> Iterator[Metric]:
        with self.session() as session:
            yield from self._jobs(session)
            yield from self._items(session)
            yield self._durations(session)
            yield self._sources(session)
            yield from self._quality(session)

    def _jobs(self, session: Session) -> Iterator[Metric]:
        counts = jobs_repo.count_by_status(session)
        jobs = GaugeMetricFamily(
            "moisson_harvest_jobs", "Harvest jobs in the database, by status.", labels=["status"]
        )
        for status in JobStatus:
            jobs.add_metric([status.value], counts.get(status.value, 0))
        yield jobs

    def _items(self, session: Session) -> Iterator[Metric]:
        totals = jobs_repo.item_totals(session)
        items = GaugeMetricFamily(
            "moisson_harvest_items",
            "Items of the harvest jobs in the database, by status.",
            labels=["status"],
        )
        for status in ItemStatus:
            items.add_metric([status.value], totals.by_status[status])
        yield items
        yield GaugeMetricFamily(
            "moisson_harvest_items_unchanged",
            "Items found unchanged since the previous run (not rewritten).",
            value=totals.unchanged,
        )

    def _quality(self, session: Session) -> Iterator[Metric]:
        totals = jobs_repo.quality_totals(session)
        items = GaugeMetricFamily(
            "moisson_harvest_quality_items",
            "Items validated against DCAT-AP, and those with a violation.",
            labels=["state"],
        )
        items.add_metric(["assessed"], totals.assessed)
        items.add_metric(["nonconforming"], totals.nonconforming)
        yield items
        results = GaugeMetricFamily(
            "moisson_harvest_quality_results",
            "DCAT-AP SHACL results of the items, by severity.",
            labels=["severity"],
        )
        results.add_metric(["violation"], totals.violations)
        results.add_metric(["warning"], totals.warnings)
        yield results
        bands = quality_repo.count_by_band(session)
        objects = GaugeMetricFamily(
            "moisson_quality_objects",
            "Harvested objects by the MQA rating band of their latest assessment.",
            labels=["band"],
        )
        for band in ("excellent", "good", "sufficient", "bad"):
            objects.add_metric([band], bands.get(band, 0))
        objects.add_metric(["none"], bands.get(None, 0))
        yield objects

    def _durations(self, session: Session) -> Metric:
        durations = jobs_repo.durations(session, DURATION_BUCKETS)
        buckets = [
            (floatToGoString(bound), count)  # type: ignore[no-untyped-call]
            for bound, count in zip(DURATION_BUCKETS, durations.at_most, strict=True)
        ]
        buckets.append(("+Inf", durations.count))
        return HistogramMetricFamily(
            "moisson_harvest_job_duration_seconds",
            "Duration of the finished harvest jobs in the database (started to ended).",
            buckets=buckets,
            sum_value=durations.total_seconds,
        )

    def _sources(self, session: Session) -> Metric:
        counts = sources_repo.live_count_by_active(session)
        sources = GaugeMetricFamily(
            "moisson_harvest_sources", "Harvest sources not deleted.", labels=["state"]
        )
        sources.add_metric(["active"], counts.get(True, 0))
        sources.add_metric(["inactive"], counts.get(False, 0))
        return sources
