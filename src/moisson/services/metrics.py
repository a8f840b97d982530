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
from typing import Any

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString
from sqlalchemy import ColumnElement, Float, case, cast, func, select
from sqlalchemy.orm import Session

import moisson.http.metrics  # noqa: F401 (registers the remote requests counter in this process)
from moisson.domain.enums import ItemStatus, JobStatus
from moisson.storage.models import HarvestJob, HarvestSource, QualityAssessment

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
        rows = session.execute(select(HarvestJob.status, func.count()).group_by(HarvestJob.status))
        counts: dict[str, int] = dict(rows.all())
        jobs = GaugeMetricFamily(
            "moisson_harvest_jobs", "Harvest jobs in the database, by status.", labels=["status"]
        )
        for status in JobStatus:
            jobs.add_metric([status.value], counts.get(status.value, 0))
        yield jobs

    def _items(self, session: Session) -> Iterator[Metric]:
        columns = [
            func.coalesce(func.sum(getattr(HarvestJob, f"items_{status.value}")), 0)
            for status in ItemStatus
        ]
        unchanged = func.coalesce(func.sum(HarvestJob.items_unchanged), 0)
        row = session.execute(select(*columns, unchanged)).one()
        items = GaugeMetricFamily(
            "moisson_harvest_items",
            "Items of the harvest jobs in the database, by status.",
            labels=["status"],
        )
        for status, value in zip(ItemStatus, row[:-1], strict=True):
            items.add_metric([status.value], int(value))
        yield items
        yield GaugeMetricFamily(
            "moisson_harvest_items_unchanged",
            "Items found unchanged since the previous run (not rewritten).",
            value=int(row[-1]),
        )

    def _quality(self, session: Session) -> Iterator[Metric]:
        def total(column: Any) -> ColumnElement[int]:
            return func.coalesce(func.sum(column), 0)

        row = session.execute(
            select(
                total(HarvestJob.quality_assessed),
                total(HarvestJob.quality_nonconforming),
                total(HarvestJob.quality_violations),
                total(HarvestJob.quality_warnings),
            )
        ).one()
        items = GaugeMetricFamily(
            "moisson_harvest_quality_items",
            "Items validated against DCAT-AP, and those with a violation.",
            labels=["state"],
        )
        items.add_metric(["assessed"], int(row[0]))
        items.add_metric(["nonconforming"], int(row[1]))
        yield items
        results = GaugeMetricFamily(
            "moisson_harvest_quality_results",
            "DCAT-AP SHACL results of the items, by severity.",
            labels=["severity"],
        )
        results.add_metric(["violation"], int(row[2]))
        results.add_metric(["warning"], int(row[3]))
        yield results
        bands = dict(
            session.execute(
                select(QualityAssessment.band, func.count()).group_by(QualityAssessment.band)
            ).all()
        )
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
        seconds = _duration_seconds(session)
        finished = (HarvestJob.ended.is_not(None), HarvestJob.started.is_not(None))
        per_bucket = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in DURATION_BUCKETS]
        row = session.execute(
            select(func.count(), func.coalesce(func.sum(seconds), 0.0), *per_bucket).where(
                *finished
            )
        ).one()
        total, total_seconds = int(row[0]), float(row[1])
        buckets = [
            (floatToGoString(bound), int(count or 0))  # type: ignore[no-untyped-call]
            for bound, count in zip(DURATION_BUCKETS, row[2:], strict=True)
        ]
        buckets.append(("+Inf", total))
        return HistogramMetricFamily(
            "moisson_harvest_job_duration_seconds",
            "Duration of the finished harvest jobs in the database (started to ended).",
            buckets=buckets,
            sum_value=total_seconds,
        )

    def _sources(self, session: Session) -> Metric:
        rows = (
            session.execute(
                select(HarvestSource.active, func.count())
                .where(HarvestSource.deleted_at.is_(None))
                .group_by(HarvestSource.active)
            )
        ).all()
        counts = {bool(active): count for active, count in rows}
        sources = GaugeMetricFamily(
            "moisson_harvest_sources", "Harvest sources not deleted.", labels=["state"]
        )
        sources.add_metric(["active"], counts.get(True, 0))
        sources.add_metric(["inactive"], counts.get(False, 0))
        return sources


def _duration_seconds(session: Session) -> ColumnElement[float]:
    """`ended - started` in seconds, in the dialect of the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", HarvestJob.ended - HarvestJob.started), Float)
    return (func.julianday(HarvestJob.ended) - func.julianday(HarvestJob.started)) * 86400.0
