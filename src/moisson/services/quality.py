"""Quality figures of a source and of one dataset, from their latest assessments.

Per source, as data.europa.eu shows a catalog: the average MQA score, how many datasets
fall in each rating band, the share of datasets meeting each metric (what to fix first:
the metrics met least, weighted by their points), the datasets with DCAT-AP violations,
and the datasets to fix first (lowest scores). A dataset's figures are also given in
udata's `quality` shape (`udata_quality`), with the MQA assessment in an extra key.

After a job, `check_job_urls` asks the distribution URLs of the datasets it assessed and
re-scores them (the MQA URL metrics); the runners call it once the job's last commit is done.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.domain.json import Json
from moisson.harvest.quality import url_status
from moisson.harvest.url_status import UrlStatusChecker, guarded_client
from moisson.quality.mqa import Evaluation, Points, score
from moisson.storage.base import utcnow
from moisson.storage.models import QualityAssessment
from moisson.storage.repositories import quality as repository
from moisson.storage.session import unit_of_work

logger = logging.getLogger(__name__)

BANDS = ("excellent", "good", "sufficient", "bad")
TO_FIX = 20


def source_quality(session: Session, settings: Settings, source_id: str) -> Json:
    points = Points.load(settings.quality.points_file)
    rows = repository.live_dataset_assessments(session, source_id)
    scored = [(a, d) for a, d in rows if a.score is not None]
    count = len(scored)
    bands = dict.fromkeys(BANDS, 0)
    met: dict[str, int] = {m.id: 0 for m in points.metrics}
    for assessment, _ in scored:
        bands[assessment.band or "bad"] = bands.get(assessment.band or "bad", 0) + 1
        for metric in (assessment.mqa or {}).get("met", ()):
            if metric in met:
                met[metric] += 1
    share = {metric: (n / count if count else 0.0) for metric, n in met.items()}
    weights = {m.id: m.points for m in points.metrics}
    to_fix_first = sorted(share, key=lambda m: -(1 - share[m]) * weights[m])
    worst = sorted(scored, key=lambda row: (row[0].score or 0, row[1].title))[:TO_FIX]
    return {
        "datasets": count,
        "average": round(sum(a.score or 0 for a, _ in scored) / count, 1) if count else None,
        "maximum": points.maximum,
        "bands": bands,
        "metrics": share,
        "metrics_to_fix_first": [m for m in to_fix_first if share[m] < 1][:5],
        "nonconforming": sum(1 for a, _ in rows if a.violations),
        "violations": sum(a.violations for a, _ in rows),
        "warnings": sum(a.warnings for a, _ in rows),
        "to_fix": [
            {
                "id": dataset.id,
                "title": dataset.title,
                "score": assessment.score,
                "band": assessment.band,
                "violations": assessment.violations,
            }
            for assessment, dataset in worst
        ],
    }


def dataset_quality(session: Session, dataset_id: str) -> QualityAssessment | None:
    return repository.for_dataset(session, dataset_id)


def udata_quality(assessment: QualityAssessment | None) -> Json:
    """udata's `quality` object where the MQA measures the same thing, plus `mqa` (an extra
    key: score, band, metrics met) and `dcat_ap` (violation and warning counts). udata
    criteria that the MQA does not measure (update frequency fulfilled, description length,
    resource documentation) are left out rather than guessed."""
    if assessment is None or assessment.mqa is None:
        return {}
    mqa = assessment.mqa
    met = set(mqa.get("met", ()))
    unchecked = set(mqa.get("unchecked", ()))
    criteria: Json = {
        "license": "licenceAvailability" in met,
        "temporal_coverage": "temporalAvailability" in met,
        "spatial": "spatialAvailability" in met,
        "has_open_format": "formatMediaTypeNonProprietary" in met,
    }
    if "accessUrlStatusCode" not in unchecked:
        criteria["all_resources_available"] = "accessUrlStatusCode" in met
    criteria["score"] = round(sum(1 for v in criteria.values() if v) / len(criteria), 2)
    criteria["mqa"] = mqa
    criteria["dcat_ap"] = {"violations": assessment.violations, "warnings": assessment.warnings}
    return criteria


@dataclass(frozen=True)
class UrlCheckReport:
    """What one job's URL checks did."""

    checked: int
    """URLs asked now."""
    unchecked: int
    """URLs of the job's datasets left unchecked (over `url_checks_max_per_job`)."""
    rescored: int
    """Assessments whose score was computed again."""


def check_job_urls(
    session_factory: sessionmaker[Session],
    settings: Settings,
    job_id: str,
    *,
    client: httpx.Client | None = None,
    stopping: threading.Event | None = None,
) -> UrlCheckReport | None:
    """Check the URLs of the datasets the job assessed that were never checked (at most
    `url_checks_max_per_job`, each host at most once per `url_checks_per_host_interval`),
    store their statuses and re-score those datasets. Three steps, so that no transaction is
    open while a URL is asked: read (short transaction), check (none), write (short
    transaction). `None` when checks are off. `client` replaces the guarded one (tests); it
    is closed here. Once `stopping` is set, no further URL is asked and what was found is
    stored."""
    options = settings.quality
    if not (options.enabled and options.url_checks):
        if client is not None:
            client.close()
        return None
    with unit_of_work(session_factory) as session:
        evaluated = {
            a.id: Evaluation.from_json(a.evaluation)
            for a in repository.evaluated_of_job(session, job_id)
            if a.evaluation is not None
        }
        urls = list(dict.fromkeys(u for e in evaluated.values() for u in sorted(e.urls())))
        known = repository.url_statuses(session, urls)
    todo = [url for url in urls if url not in known]
    asked = todo[: options.url_checks_max_per_job]
    if not asked:
        if client is not None:
            client.close()
        return UrlCheckReport(0, len(todo), 0)
    with UrlStatusChecker(
        client or guarded_client(settings),
        max_urls=options.url_checks_max_per_job,
        per_host_interval=options.url_checks_per_host_interval,
        timeout=options.url_checks_timeout,
    ) as checker:
        for url in asked:
            if stopping is not None and stopping.is_set():
                break
            checker.status(url)
        statuses = dict(checker.results)
    known.update(statuses)
    affected = [i for i, e in evaluated.items() if e.urls() & statuses.keys()]
    points = Points.load(options.points_file)
    answered_ok = url_status(known)
    with unit_of_work(session_factory) as session:
        repository.record_url_statuses(session, statuses, utcnow())
        rows = []
        for assessment in repository.by_ids(session, affected):  # still the latest ones
            new = score(evaluated[assessment.id], points, answered_ok)
            rows.append(
                {"id": assessment.id, "score": new.points, "band": new.band, "mqa": new.as_json()}
            )
        repository.update_scores(session, rows)
    logger.info(
        "Job %s: %d URL(s) checked, %d left unchecked, %d dataset(s) re-scored",
        job_id,
        len(statuses),
        len(todo) - len(statuses),
        len(rows),
    )
    return UrlCheckReport(len(statuses), len(todo) - len(statuses), len(rows))


def check_job_urls_quietly(
    session_factory: sessionmaker[Session],
    settings: Settings,
    job_id: str,
    *,
    stopping: threading.Event | None = None,
) -> None:
    """`check_job_urls` as the runners call it: a failure is logged and never reaches the
    harvest, which has ended."""
    try:
        check_job_urls(session_factory, settings, job_id, stopping=stopping)
    except Exception:
        logger.exception("Job %s: the URL checks failed", job_id)
