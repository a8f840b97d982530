"""Quality figures of a source and of one dataset, from their latest assessments.

Per source, as data.europa.eu shows a catalog: the average MQA score, how many datasets
fall in each rating band, the share of datasets meeting each metric (what to fix first:
the metrics met least, weighted by their points), the datasets with DCAT-AP violations,
and the datasets to fix first (lowest scores). A dataset's figures are also given in
udata's `quality` shape (`udata_quality`), with the MQA assessment in an extra key.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from moisson.config import Settings
from moisson.domain.json import Json
from moisson.quality.mqa import Points
from moisson.storage.models import QualityAssessment
from moisson.storage.repositories import quality as repository

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
